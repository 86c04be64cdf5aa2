extern alias server;

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using CallCenter.Core.Routing;
using Microsoft.Extensions.Logging.Abstractions;
using server::CallCenter.Server.Hosting;
using server::CallCenter.Server.Routing;
using server::CallCenter.Server.Telephony;
using StackExchange.Redis;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CallCenter.Benchmarks;

/// <summary>
/// The Redis store below saturation, as a hotline runs it: calls arrive at a given rate with Poisson gaps (open loop: they do
/// not wait for earlier ones), each process's agents accept what they are offered, talk for an exponentially distributed
/// time and end the call (which claims the next waiting one, if any). The server's own <see cref="AcdHost"/> in each process,
/// stand-ins for Twilio, the call log and the consoles. A claim is an operation that assigned a call: a call arriving to an
/// idle agent, or an agent's end call that took a waiting call; timed from the request to its return.
/// </summary>
internal static class RedisOpenLoopRun
{
    private const int AgentsPerProcess = 200;

    /// <summary>Share of the agents' time on calls at the given rate: below saturation, with room for the arrivals' bursts.</summary>
    private const double Utilisation = 0.8;

    /// <summary>Starts the worker processes, each taking an equal share of <paramref name="rate"/> calls/s, and prints their combined figures.</summary>
    public static void Run(string redis, int processes, double rate, int seconds, int warmup)
    {
        var inv = CultureInfo.InvariantCulture;
        var prefix = "acd-open-" + Guid.NewGuid().ToString("N")[..8];
        var talk = Utilisation * AgentsPerProcess / (rate / processes);
        Console.WriteLine(string.Format(inv, "prefix {0}: {1:N0} calls/s offered, Poisson; {2} processes × {3} agents, mean talk {4:F3} s (utilisation {5:P0}); {6} s timed after {7} s of warm-up",
            prefix, rate, processes, AgentsPerProcess, talk, Utilisation, seconds, warmup));
        var self = Environment.ProcessPath!;
        var dll = typeof(RedisOpenLoopRun).Assembly.Location;
        var workers = Enumerable.Range(0, processes).Select(p => Process.Start(new ProcessStartInfo(self)
        {
            ArgumentList = { dll, "--redis-open-worker", redis, prefix, p.ToString(inv), (rate / processes).ToString("R", inv), seconds.ToString(inv), warmup.ToString(inv) },
            RedirectStandardOutput = true,
        })!).ToList();
        var outputs = workers.Select(w => w.StandardOutput.ReadToEndAsync()).ToList();
        workers.ForEach(w => w.WaitForExit());

        var claims = new List<double>();
        var routing = new List<double>();
        var accepts = new List<double>();
        long assignments = 0, conflicts = 0, trips = 0, arrived = 0;
        double cpuMs = 0, redisCpuMs = 0;
        long redisCalls = 0;
        foreach (var output in outputs.Select(o => o.Result))
        {
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var head = lines[0].Split(' ');
            var done = long.Parse(head[0], inv);
            assignments += done;
            conflicts += long.Parse(head[1], inv);
            trips += long.Parse(head[2], inv);
            cpuMs += double.Parse(head[3], inv);
            arrived += long.Parse(head[4], inv);
            if (head.Length > 5)
                (redisCpuMs, redisCalls) = (double.Parse(head[5], inv), long.Parse(head[6], inv));
            foreach (var line in lines.Skip(1))
            {
                var ms = double.Parse(line.AsSpan(2), inv);
                (line[0] switch { 'c' => claims, 'a' => accepts, _ => routing }).Add(ms);
                if (line[0] == 'c')
                    routing.Add(ms);
            }
            Console.WriteLine(string.Format(inv, "  worker: {0:N0} assignments = {1:N0}/s of {2:N0} calls arrived, {3:N0} conflicts re-run, {4:F3} ms CPU per assignment",
                done, done / (double)seconds, long.Parse(head[4], inv), long.Parse(head[1], inv), double.Parse(head[3], inv) / done));
        }
        Console.WriteLine(string.Format(inv, "per assignment: {0:F2} Redis round trips, {1:F0} µs Redis CPU ({2:F2} commands and scripts), {3:F3} ms client CPU",
            trips / (double)assignments, 1000 * redisCpuMs / assignments, redisCalls / (double)assignments, cpuMs / assignments));
        Console.WriteLine(string.Format(inv, "aggregate: {0:N0} assignments/s for {1:N0} calls/s arrived, {2:N0} conflicts re-run ({3:P1} of assignments)",
            assignments / (double)seconds, arrived / (double)seconds, conflicts, conflicts / (double)assignments));
        Console.WriteLine(Percentiles("claim (an arrival offered to an idle agent, or an end call that took a waiting call)", claims));
        Console.WriteLine(Percentiles("every arrival and end call", routing));
        Console.WriteLine(Percentiles("accept (check, Twilio stand-in, commit)", accepts));
        using var cleanup = ConnectionMultiplexer.Connect(redis + ",allowAdmin=true");
        var db = cleanup.GetDatabase();
        foreach (var key in cleanup.GetServers()[0].Keys(pattern: "{" + prefix + "}:*", pageSize: 1000))
            db.KeyDelete(key, CommandFlags.FireAndForget);
    }

    private static string Percentiles(string what, List<double> latencies)
    {
        if (latencies.Count == 0)
            return what + ": none";
        latencies.Sort();
        double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        return string.Format(CultureInfo.InvariantCulture, "{0}: {1:N0}, p50 {2:F2} ms, p90 {3:F2} ms, p99 {4:F2} ms, p99.9 {5:F2} ms, max {6:F2} ms",
            what, latencies.Count, P(0.5), P(0.9), P(0.99), P(0.999), latencies[^1]);
    }

    /// <summary>
    /// One process: its agents log in, calls arrive at <paramref name="rate"/>/s until the warm-up and the timed window are over;
    /// prints the window's assignments, conflicts, round trips, CPU, arrivals (and, for the first, Redis's CPU and commands), then
    /// each timed operation's latency (ms) tagged c (claim), r (an arrival or end call that assigned nothing) or a (accept).
    /// </summary>
    public static async Task WorkerAsync(string redis, string prefix, int id, double rate, int seconds, int warmup)
    {
        var inv = CultureInfo.InvariantCulture;
        using var connection = RedisConnection.Connect(redis + ",allowAdmin=true");
        var store = new RedisAcdStateStore(connection, prefix);
        var clock = Stopwatch.StartNew();
        bool Timed(double at) => at >= warmup && at < warmup + seconds;
        var timings = new ConcurrentQueue<string>();
        var offers = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        long assigned = 0;
        var talk = Utilisation * AgentsPerProcess / rate;
        using var meters = new RedisClaimRun.BenchMeters();
        // The console is told of an offer (after the commit that made it) and the agent takes it: accept, talk, end the call.
        var notifier = new AgentConsoles();
        using var host = new AcdHost(MsOptions.Create(RedisClaimRun.Options), store, TimeProvider.System, new RedisClaimRun.NoCallLog(),
            new RedisClaimRun.ConnectingTwilio(), MsOptions.Create(new TwilioOptions()), new AcdMetrics(meters), notifier,
            new RedisClaimRun.NoCallbacks(), NullLogger<AcdHost>.Instance);
        notifier.Offer = (agent, call) =>
        {
            offers.AddOrUpdate(call, 1, (_, n) => n + 1);
            if (Timed(clock.Elapsed.TotalSeconds))
                Interlocked.Increment(ref assigned);
            _ = Task.Run(() => AnswerAsync(host, agent, call));
        };
        long conflicts = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "callcenter.acd.conflicts")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            if (Timed(clock.Elapsed.TotalSeconds))
                Interlocked.Add(ref conflicts, value);
        });
        listener.Start();
        var agents = Enumerable.Range(0, AgentsPerProcess).Select(i => $"w{id}-a{i}").ToArray();
        foreach (var agent in agents)
            await host.LoginAsync(agent, [new AgentSkill("general", 1)], CancellationToken.None);
        clock.Restart();

        async Task AnswerAsync(AcdHost on, string agent, string call)
        {
            var started = Stopwatch.GetTimestamp();
            var at = clock.Elapsed.TotalSeconds;
            await on.AcceptAsync(agent, call, CancellationToken.None);
            if (Timed(at))
                timings.Enqueue("a " + Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("F4", inv));
            await Task.Delay(TimeSpan.FromSeconds(-Math.Log(1 - Random.Shared.NextDouble()) * talk));
            notifier.Ending(agent);
            started = Stopwatch.GetTimestamp();
            at = clock.Elapsed.TotalSeconds;
            await on.EndCallAsync(agent, call, CancellationToken.None);
            if (Timed(at))
                timings.Enqueue((notifier.Ended(agent) ? "c " : "r ") + Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("F4", inv));
        }

        async Task ArriveAsync(string call)
        {
            await Task.Yield();
            var started = Stopwatch.GetTimestamp();
            var at = clock.Elapsed.TotalSeconds;
            await host.EnqueueAsync(new CallRequest(call, "general"), CancellationToken.None);
            if (Timed(at))
                timings.Enqueue((offers.ContainsKey(call) ? "c " : "r ") + Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("F4", inv));
        }

        // The counters at the window's edges, beside the arrivals.
        var server = connection.GetServers()[0];
        var window = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(warmup));
            var redisBefore = id == 0 ? await RedisClaimRun.RedisSampleAsync(server) : default;
            var trips = store.RoundTrips;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
            trips = store.RoundTrips - trips;
            var redisFigures = "";
            if (id == 0)
            {
                var after = await RedisClaimRun.RedisSampleAsync(server);
                redisFigures = string.Format(inv, " {0:F1} {1}", after.CpuMs - redisBefore.CpuMs, after.Calls.Values.Sum() - redisBefore.Calls.Values.Sum() - 2);
            }
            return (trips, cpuMs, redisFigures);
        });

        var random = new Random(id + 1);
        var next = 0.0;
        long arrivals = 0, timedArrivals = 0;
        // Arrivals due by now start at once (each as a request of its own); the timer's ~1 ms resolution makes small bursts.
        while (clock.Elapsed.TotalSeconds < warmup + seconds)
        {
            while (next <= clock.Elapsed.TotalSeconds)
            {
                if (Timed(next))
                    timedArrivals++;
                _ = ArriveAsync($"w{id}-c{arrivals++}");
                next += -Math.Log(1 - random.NextDouble()) / rate;
            }
            var wait = next - clock.Elapsed.TotalSeconds;
            if (wait > 0)
                await Task.Delay(TimeSpan.FromSeconds(wait));
        }
        var (windowTrips, windowCpuMs, redis2) = await window;
        Console.WriteLine(string.Format(inv, "{0} {1} {2} {3:F1} {4}{5}", Interlocked.Read(ref assigned), Interlocked.Read(ref conflicts), windowTrips, windowCpuMs, timedArrivals, redis2));
        Console.WriteLine(string.Join('\n', timings));
    }

    // The consoles: each offer goes to its agent's handler; an agent's end call claimed when an offer came while it was ending.
    private sealed class AgentConsoles : IAgentNotifier
    {
        private readonly ConcurrentDictionary<string, bool> _ending = new(StringComparer.Ordinal);

        public Action<string, string> Offer { get; set; } = (_, _) => { };

        public void Ending(string agent) => _ending[agent] = false;

        public bool Ended(string agent) => _ending.TryRemove(agent, out var claimed) && claimed;

        public void StateChanged(string agentId, string state, string? reason, DateTimeOffset at)
        {
        }

        public void Offered(string agentId, string callSid, string queue, DateTimeOffset? ringDeadline)
        {
            if (_ending.ContainsKey(agentId))
                _ending[agentId] = true;
            Offer(agentId, callSid);
        }
    }
}
