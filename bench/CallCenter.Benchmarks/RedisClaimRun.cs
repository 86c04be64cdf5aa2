extern alias server;

using System.Diagnostics;
using System.Globalization;
using CallCenter.Core.Routing;
using server::CallCenter.Server.Routing;
using StackExchange.Redis;

namespace CallCenter.Benchmarks;

/// <summary>
/// The Redis store with several processes deciding at once, each running one engine the way one server
/// instance does (one operation at a time, each a unit of work that commits atomically or runs again).
/// One cycle per agent: it ends its call and, in the same operation, claims the best waiting call
/// (the assignment, timed from begin to commit, conflicts and re-runs included); it answers; a new call arrives.
/// </summary>
internal static class RedisClaimRun
{
    private const int AgentsPerProcess = 100;
    private const int WaitingCalls = 5_000;

    private static readonly AcdOptions Options = new()
    {
        Queues = [new QueueOptions { Name = "general", RequiredSkills = [new SkillRequirementOptions { Skill = "general", MinLevel = 1 }], WrapUpTime = TimeSpan.Zero }],
    };

    /// <summary>Seeds the shared state, starts the worker processes, and prints their combined figures.</summary>
    public static void Run(string redis, int processes, int seconds)
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
        Console.WriteLine(string.Format(inv, "prefix {0}: {1:N0} waiting calls; {2} processes × {3} agents for {4} s", prefix, WaitingCalls, processes, AgentsPerProcess, seconds));

        var self = Environment.ProcessPath!;
        var dll = typeof(RedisClaimRun).Assembly.Location;
        var workers = Enumerable.Range(0, processes).Select(p => Process.Start(new ProcessStartInfo(self)
        {
            ArgumentList = { dll, "--redis-claims-worker", redis, prefix, p.ToString(inv), seconds.ToString(inv) },
            RedirectStandardOutput = true,
        })!).ToList();
        var outputs = workers.Select(w => w.StandardOutput.ReadToEndAsync()).ToList();
        workers.ForEach(w => w.WaitForExit());

        var latencies = new List<double>();
        long assignments = 0, conflicts = 0;
        var trips = new long[4];
        var longest = 0.0;
        foreach (var output in outputs.Select(o => o.Result))
        {
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var head = lines[0].Split(' ');
            assignments += long.Parse(head[0], inv);
            conflicts += long.Parse(head[1], inv);
            longest = Math.Max(longest, double.Parse(head[2], inv));
            for (var i = 0; i < trips.Length; i++)
                trips[i] += long.Parse(head[3 + i], inv);
            latencies.AddRange(lines.Skip(1).Select(l => double.Parse(l, inv)));
            Console.WriteLine(string.Format(inv, "  worker: {0:N0} assignments in {1:F1} s = {2:N0}/s, {3:N0} conflicts re-run", long.Parse(head[0], inv), double.Parse(head[2], inv), long.Parse(head[0], inv) / double.Parse(head[2], inv), long.Parse(head[1], inv)));
        }
        latencies.Sort();
        // Counted in the store, so unlike the timings it does not depend on how loaded the machine is.
        Console.WriteLine(string.Format(inv, "Redis round trips per assignment: {0:F2} (look up the agent's call {1:F2}, end call + claim {2:F2}, answer {3:F2}, new call {4:F2})",
            trips.Sum() / (double)assignments, trips[0] / (double)assignments, trips[1] / (double)assignments, trips[2] / (double)assignments, trips[3] / (double)assignments));
        double P(double q) => latencies[Math.Min(latencies.Count - 1, (int)(q * latencies.Count))];
        Console.WriteLine(string.Format(inv, "aggregate: {0:N0} assignments/s ({1:N0} in {2:F1} s), {3:N0} conflicts re-run ({4:P1} of assignments)", assignments / longest, assignments, longest, conflicts, conflicts / (double)assignments));
        Console.WriteLine(string.Format(inv, "claim (end call + claim next, begin to commit): p50 {0:F2} ms, p90 {1:F2} ms, p99 {2:F2} ms, p99.9 {3:F2} ms, max {4:F2} ms", P(0.5), P(0.9), P(0.99), P(0.999), latencies[^1]));
        using var cleanup = ConnectionMultiplexer.Connect(redis + ",allowAdmin=true");
        var db = cleanup.GetDatabase();
        foreach (var key in cleanup.GetServers()[0].Keys(pattern: "{" + prefix + "}:*", pageSize: 1000))
            db.KeyDelete(key, CommandFlags.FireAndForget);
    }

    /// <summary>One process: its agents take the seeded calls, then cycle for the given time; prints counts and each claim's latency (ms).</summary>
    public static void Worker(string redis, string prefix, int id, int seconds)
    {
        var inv = CultureInfo.InvariantCulture;
        using var connection = ConnectionMultiplexer.Connect(redis);
        var store = new RedisAcdStateStore(connection, prefix);
        var engine = new AcdEngine(Options, store);
        long conflicts = 0;
        AcdDecisions Run(Func<AcdDecisions> operation)
        {
            while (true)
            {
                store.Begin();
                var decisions = operation();
                if (store.Commit())
                    return decisions;
                conflicts++;
            }
        }

        var agents = Enumerable.Range(0, AgentsPerProcess).Select(i => $"w{id}-a{i}").ToArray();
        foreach (var agent in agents)
        {
            var offer = Run(() => engine.Login(agent, [new AgentSkill("general", 1)], DateTimeOffset.UtcNow)).Offers.Single();
            Run(() => engine.Accept(agent, offer.CallId, DateTimeOffset.UtcNow));
        }
        conflicts = 0;

        var latencies = new List<double>(1 << 20);
        var next = 0L;
        // Round trips per step of the cycle: look up the agent's call, end call + claim, answer, new call.
        var trips = new long[4];
        T Counted<T>(int step, Func<T> action)
        {
            var before = store.RoundTrips;
            var result = action();
            trips[step] += store.RoundTrips - before;
            return result;
        }
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds)
        {
            foreach (var agent in agents)
            {
                var callId = Counted(0, () => engine.FindAgent(agent)!.CallId!);
                var started = Stopwatch.GetTimestamp();
                var offer = Counted(1, () => Run(() => engine.EndCall(agent, callId, DateTimeOffset.UtcNow))).Offers.Single();
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Counted(2, () => Run(() => engine.Accept(agent, offer.CallId, DateTimeOffset.UtcNow)));
                Counted(3, () => Run(() => engine.Enqueue(new CallRequest($"w{id}-c{next++}", "general"), DateTimeOffset.UtcNow)));
            }
        }
        total.Stop();
        Console.WriteLine(string.Format(inv, "{0} {1} {2:F3} {3}", latencies.Count, conflicts, total.Elapsed.TotalSeconds, string.Join(' ', trips)));
        Console.WriteLine(string.Join('\n', latencies.Select(l => l.ToString("F4", inv))));
    }
}
