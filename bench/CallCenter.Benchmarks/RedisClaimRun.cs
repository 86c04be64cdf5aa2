extern alias server;

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using CallCenter.Core.Routing;
using Microsoft.Extensions.Logging.Abstractions;
using server::CallCenter.Server.CallLog;
using server::CallCenter.Server.Degraded;
using server::CallCenter.Server.Hosting;
using server::CallCenter.Server.Outbound;
using server::CallCenter.Server.Routing;
using server::CallCenter.Server.Telephony;
using StackExchange.Redis;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CallCenter.Benchmarks;

/// <summary>
/// The Redis store with several processes deciding at once, each running the server's own <see cref="AcdHost"/> over it the
/// way one server instance does (operations waiting together share a unit of work that commits atomically or runs again; Twilio,
/// the call log and the consoles are stand-ins that answer at once). Each agent is a console of its own, all at once: it
/// ends its call and, in the same operation, claims the best waiting call (the assignment, timed from the request to its
/// return, conflicts and re-runs included); it accepts the offer it was notified of; a new call arrives.
/// </summary>
internal static class RedisClaimRun
{
    private const int AgentsPerProcess = 100;
    private const int WaitingCalls = 5_000;

    /// <summary>One queue, one skill, no wrap-up: every ACD bench's configuration.</summary>
    internal static readonly AcdOptions Options = new()
    {
        Queues = [new QueueOptions { Name = "general", RequiredSkills = [new SkillRequirementOptions { Skill = "general", MinLevel = 1 }], WrapUpTime = TimeSpan.Zero }],
    };

    /// <summary>Seeds the shared state, starts the worker processes, and prints their combined figures.</summary>
    public static void Run(string redis, int processes, int seconds, int warmup)
    {
        var inv = CultureInfo.InvariantCulture;
        var prefix = "acd-bench-" + Guid.NewGuid().ToString("N")[..8];
        using (var connection = ConnectionMultiplexer.Connect(redis))
        {
            var store = new RedisAcdStateStore(connection, prefix);
            var engine = new AcdEngine(Options, store);
            var now = DateTimeOffset.UtcNow;
            for (var i = 0; i < WaitingCalls; i++)
                engine.Enqueue(new CallRequest($"seed-{i}", "general"), now);
        }
        Console.WriteLine(string.Format(inv, "prefix {0}: {1:N0} waiting calls; {2} processes × {3} agents for {4} s after {5} s of warm-up",
            prefix, WaitingCalls, processes, AgentsPerProcess, seconds, warmup));

        var self = Environment.ProcessPath!;
        var dll = typeof(RedisClaimRun).Assembly.Location;
        var workers = Enumerable.Range(0, processes).Select(p => Process.Start(new ProcessStartInfo(self)
        {
            ArgumentList = { dll, "--redis-claims-worker", redis, prefix, p.ToString(inv), seconds.ToString(inv), warmup.ToString(inv) },
            RedirectStandardOutput = true,
        })!).ToList();
        var outputs = workers.Select(w => w.StandardOutput.ReadToEndAsync()).ToList();
        workers.ForEach(w => w.WaitForExit());

        var latencies = new List<double>();
        long assignments = 0, conflicts = 0, trips = 0;
        double longest = 0, cpuMs = 0, redisCpuMs = 0;
        long redisCalls = 0;
        foreach (var output in outputs.Select(o => o.Result))
        {
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var head = lines[0].Split(' ');
            var done = long.Parse(head[0], inv);
            var took = double.Parse(head[2], inv);
            assignments += done;
            conflicts += long.Parse(head[1], inv);
            longest = Math.Max(longest, took);
            trips += long.Parse(head[3], inv);
            cpuMs += double.Parse(head[4], inv);
            // Only the first worker samples Redis (its window covers the others' but for their start-up).
            if (head.Length > 5)
                (redisCpuMs, redisCalls) = (double.Parse(head[5], inv), long.Parse(head[6], inv));
            latencies.AddRange(lines.Skip(1).Select(l => double.Parse(l, inv)));
            Console.WriteLine(string.Format(inv, "  worker: {0:N0} assignments in {1:F1} s = {2:N0}/s, {3:N0} conflicts re-run, {4:F3} ms CPU per assignment",
                done, took, done / took, long.Parse(head[1], inv), double.Parse(head[4], inv) / done));
        }
        latencies.Sort();
        // Counted, so unlike the timings they do not depend on how loaded the machine is.
        Console.WriteLine(string.Format(inv, "per assignment: {0:F2} Redis round trips, {1:F0} µs Redis CPU ({2:F2} commands and scripts), {3:F3} ms client CPU",
            trips / (double)assignments, 1000 * redisCpuMs / assignments, redisCalls / (double)assignments, cpuMs / assignments));
        double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        Console.WriteLine(string.Format(inv, "aggregate: {0:N0} assignments/s ({1:N0} in {2:F1} s), {3:N0} conflicts re-run ({4:P1} of assignments)", assignments / longest, assignments, longest, conflicts, conflicts / (double)assignments));
        Console.WriteLine(string.Format(inv, "claim (end call + claim next, request to return): p50 {0:F2} ms, p90 {1:F2} ms, p99 {2:F2} ms, p99.9 {3:F2} ms, max {4:F2} ms", P(0.5), P(0.9), P(0.99), P(0.999), latencies[^1]));
        using var cleanup = ConnectionMultiplexer.Connect(redis + ",allowAdmin=true");
        var db = cleanup.GetDatabase();
        foreach (var key in cleanup.GetServers()[0].Keys(pattern: "{" + prefix + "}:*", pageSize: 1000))
            db.KeyDelete(key, CommandFlags.FireAndForget);
    }

    /// <summary>
    /// One process: its agents take the seeded calls, then cycle for the given time, all at once; prints counts, round trips,
    /// CPU (and, for the first, Redis's CPU and commands meanwhile) and each claim's latency (ms).
    /// </summary>
    public static async Task WorkerAsync(string redis, string prefix, int id, int seconds, int warmup)
    {
        var inv = CultureInfo.InvariantCulture;
        using var connection = RedisConnection.Connect(redis + ",allowAdmin=true");
        var store = new RedisAcdStateStore(connection, prefix);
        var offers = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        using var meters = new BenchMeters();
        using var host = new AcdHost(MsOptions.Create(Options), store, TimeProvider.System, new NoCallLog(), new ConnectingTwilio(),
            MsOptions.Create(new TwilioOptions()), new AcdMetrics(meters), new OfferNotifier(offers), new NoCallbacks(),
            NullLogger<AcdHost>.Instance);
        long conflicts = 0, units = 0, batched = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name is "callcenter.acd.conflicts" or "callcenter.acd.batch_size")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref conflicts, value));
        // Operations per unit of work (group commit): how many operations one prefetch and one commit served.
        listener.SetMeasurementEventCallback<int>((_, value, _, _) =>
        {
            Interlocked.Increment(ref units);
            Interlocked.Add(ref batched, value);
        });
        listener.Start();

        string OfferOf(string agent) => offers.TryRemove(agent, out var call) ? call : throw new InvalidOperationException($"{agent} was offered no call.");
        var agents = Enumerable.Range(0, AgentsPerProcess).Select(i => $"w{id}-a{i}").ToArray();
        var calls = await Task.WhenAll(agents.Select(async agent =>
        {
            await host.LoginAsync(agent, [new AgentSkill("general", 1)], CancellationToken.None);
            var call = OfferOf(agent);
            await host.AcceptAsync(agent, call, CancellationToken.None);
            return call;
        }));
        var next = 0L;

        // One agent's cycles until the time is up: end call + claim the next (timed), accept the offer, a new call arrives. Each
        // request starts as a work item of its own, as an HTTP request from a console does: with the stand-ins answering at once and
        // the store's calls synchronous, every await here would otherwise complete inline, and the first agent's loop would run the
        // whole time before the second's began (one console per process, which is what this bench measured before 2026-11-29 10:10).
        async Task<List<double>> CycleAsync(int i, Stopwatch clock, int forSeconds)
        {
            var timings = new List<double>(1 << 14);
            while (clock.Elapsed.TotalSeconds < forSeconds)
            {
                await Task.Yield();
                var started = Stopwatch.GetTimestamp();
                await host.EndCallAsync(agents[i], calls[i], CancellationToken.None);
                timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                calls[i] = OfferOf(agents[i]);
                await Task.Yield();
                await host.AcceptAsync(agents[i], calls[i], CancellationToken.None);
                await Task.Yield();
                await host.EnqueueAsync(new CallRequest($"w{id}-c{Interlocked.Increment(ref next)}", "general"), CancellationToken.None);
            }
            return timings;
        }

        // Untimed: tiered JIT keeps compiling for tens of seconds of traffic, which is not the steady state.
        var warming = Stopwatch.StartNew();
        await Task.WhenAll(agents.Select((_, i) => CycleAsync(i, warming, warmup)));
        Interlocked.Exchange(ref conflicts, 0);
        Interlocked.Exchange(ref units, 0);
        Interlocked.Exchange(ref batched, 0);

        var server = connection.GetServers()[0];
        var redisBefore = id == 0 ? await RedisSampleAsync(server) : default;
        var trips = store.RoundTrips;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var total = Stopwatch.StartNew();
        var latencies = await Task.WhenAll(agents.Select((_, i) => CycleAsync(i, total, seconds)));
        total.Stop();
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        trips = store.RoundTrips - trips;
        var redisFigures = "";
        if (id == 0)
        {
            var after = await RedisSampleAsync(server);
            redisFigures = string.Format(inv, " {0:F1} {1}", after.CpuMs - redisBefore.CpuMs, after.Calls.Values.Sum() - redisBefore.Calls.Values.Sum() - 2);
            // Which commands (inside the scripts too), per assignment: where Redis's time goes.
            var count = latencies.Sum(l => l.Count);
            Console.Error.WriteLine(string.Join(", ", after.Calls.Select(c => (c.Key, Calls: c.Value - redisBefore.Calls.GetValueOrDefault(c.Key)))
                .Where(c => c.Calls > 0).OrderByDescending(c => c.Calls).Select(c => string.Format(inv, "{0} {1:F2}", c.Key, c.Calls / (double)count))));
        }
        var all = latencies.SelectMany(l => l).ToList();
        Console.Error.WriteLine(string.Format(inv, "worker {0}: {1:N0} units of work for {2:N0} operations ({3:F1} per unit)",
            id, Interlocked.Read(ref units), Interlocked.Read(ref batched), Interlocked.Read(ref batched) / (double)Math.Max(1, Interlocked.Read(ref units))));
        Console.WriteLine(string.Format(inv, "{0} {1} {2:F3} {3} {4:F1}{5}", all.Count, Interlocked.Read(ref conflicts), total.Elapsed.TotalSeconds, trips, cpuMs, redisFigures));
        Console.WriteLine(string.Join('\n', all.Select(l => l.ToString("F4", inv))));
    }

    // Redis's own CPU (user + system, ms) and commands run (scripts count once), from INFO.
    internal static async Task<(double CpuMs, Dictionary<string, long> Calls)> RedisSampleAsync(IServer server)
    {
        var info = (await server.InfoAsync("cpu")).Concat(await server.InfoAsync("commandstats")).SelectMany(g => g)
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var cpu = double.Parse(info["used_cpu_user"], CultureInfo.InvariantCulture) + double.Parse(info["used_cpu_sys"], CultureInfo.InvariantCulture);
        var calls = info.Where(p => p.Key.StartsWith("cmdstat_", StringComparison.Ordinal))
            .ToDictionary(p => p.Key["cmdstat_".Length..], p => long.Parse(p.Value.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        return (cpu * 1000, calls);
    }

    // What the host needs besides the store, answering at once: the offer is what the agent's console is told.
    private sealed class OfferNotifier(ConcurrentDictionary<string, string> offers) : IAgentNotifier
    {
        public void StateChanged(string agentId, string state, string? reason, DateTimeOffset at)
        {
        }

        public void Offered(string agentId, string callSid, string queue, DateTimeOffset? ringDeadline) => offers[agentId] = callSid;
    }

    internal sealed class NoCallLog : ICallEventLog
    {
        private static readonly Task<AppendResult> Appended = Task.FromResult(new AppendResult(0, 0, true));

        public bool IsSpooling => false;

        public Task<AppendResult> AppendAsync(NewCallEvent callEvent, CancellationToken cancellationToken) => Appended;

        public Task RecordCallAsync(CallRowChange change, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    internal sealed class ConnectingTwilio : ITwilioCallControl
    {
        public Task<ConferenceLeg?> ConnectToAgentAsync(string callSid, string agentId, CancellationToken ct) =>
            Task.FromResult<ConferenceLeg?>(new ConferenceLeg("CF-" + callSid, "CA-" + agentId));

        public Task<bool> MoveToCallbackRequestAsync(string callSid, CancellationToken ct) => Task.FromResult(true);

        public Task<bool> SetRecordingPausedAsync(string callSid, bool paused, CancellationToken ct) => Task.FromResult(true);

        public Task<string?> PlaceCallAsync(string to, string from, string twiml, Uri statusCallback, CancellationToken ct, Uri? recordingStatusCallback = null) =>
            Task.FromResult<string?>(null);

        public Task<TwilioCallState?> FetchCallAsync(string callSid, CancellationToken ct) => Task.FromResult<TwilioCallState?>(null);
    }

    internal sealed class NoCallbacks : ICallbackDialler
    {
        public Task<bool> DialAsync(string callbackId, string agentId, CancellationToken ct) => Task.FromResult(false);
    }

    internal sealed class BenchMeters : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
