using System.Diagnostics;
using System.Globalization;

namespace CallCenter.Benchmarks;

/// <summary>Stopwatch mode: throughput, per-decision percentiles, memory and the availability storm, which BenchmarkDotNet's means do not show.</summary>
internal static class LatencyRun
{
    public static void Run(int samples)
    {
        var inv = CultureInfo.InvariantCulture;
        var setup = Stopwatch.StartNew();
        var workload = new EngineWorkload();
        setup.Stop();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        var process = Process.GetCurrentProcess();
        process.Refresh();
        Console.WriteLine(string.Format(inv, "setup: {0:F1} s, {1} busy agents, {2:N0} waiting calls", setup.Elapsed.TotalSeconds, workload.BusyAgents, World.WaitingCalls));
        Console.WriteLine(string.Format(inv, "memory after load: managed heap {0:F0} MB, working set {1:F0} MB", heap / 1048576.0, process.WorkingSet64 / 1048576.0));

        for (var i = 0; i < 20_000; i++)
            workload.Cycle();

        // Throughput: whole cycles back to back, Tick included.
        var gcBefore = GC.CollectionCount(0);
        var gc1Before = GC.CollectionCount(1);
        var gc2Before = GC.CollectionCount(2);
        var cpuBefore = process.TotalProcessorTime;
        var pauseBefore = GC.GetTotalPauseDuration();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var throughput = Stopwatch.StartNew();
        for (var i = 0; i < samples; i++)
            workload.Cycle();
        throughput.Stop();
        process.Refresh();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var lastGc = GC.GetGCMemoryInfo(GCKind.Ephemeral);
        var cpu = process.TotalProcessorTime - cpuBefore;
        var cyclesPerSecond = samples / throughput.Elapsed.TotalSeconds;
        var pause = GC.GetTotalPauseDuration() - pauseBefore;
        Console.WriteLine(string.Format(inv, "throughput (wall clock): {0:N0} cycles/s = {1:N0} routing decisions/s (2 per cycle), GCs gen0/1/2 {2}/{5}/{6}, GC pauses {3:F0} ms of {4:F0} ms", cyclesPerSecond, 2 * cyclesPerSecond, GC.CollectionCount(0) - gcBefore, pause.TotalMilliseconds, throughput.Elapsed.TotalMilliseconds, GC.CollectionCount(1) - gc1Before, GC.CollectionCount(2) - gc2Before));
        Console.WriteLine(string.Format(inv, "throughput (process CPU time, discounts other load on the machine): {0:N0} cycles/s = {1:N0} routing decisions/s", samples / cpu.TotalSeconds, 2 * samples / cpu.TotalSeconds));
        // Load-independent work counters: what a cycle allocates and how much of it outlives a gen0 collection.
        Console.WriteLine(string.Format(inv, "per cycle: {0:F2} us CPU, {1:N0} bytes allocated; last gen{2} GC promoted {3:N0} KB in a {4:F1} ms pause", cpu.TotalMilliseconds * 1000 / samples, (double)allocated / samples, lastGc.Generation, lastGc.PromotedBytes / 1024.0, lastGc.PauseDurations[0].TotalMilliseconds));

        // Latency of each routing decision on its own.
        var route = new long[samples];
        var arrive = new long[samples];
        var end = new long[samples];
        var answer = new long[samples];
        for (var i = 0; i < samples; i++)
        {
            var tEnd = Stopwatch.GetTimestamp();
            var agent = workload.PrepareFreeAgent();
            var t0 = Stopwatch.GetTimestamp();
            end[i] = t0 - tEnd;
            var decisions = workload.Route(agent);
            var t1 = Stopwatch.GetTimestamp();
            workload.Accept(decisions);
            var t2 = Stopwatch.GetTimestamp();
            answer[i] = t2 - t1;
            var arrived = workload.Arrive();
            var t3 = Stopwatch.GetTimestamp();
            workload.Accept(arrived);
            workload.Advance();
            route[i] = t1 - t0;
            arrive[i] = t3 - t2;
        }
        var decisionSeconds = (route.Sum() + arrive.Sum()) / (double)Stopwatch.Frequency;
        Console.WriteLine(string.Format(inv, "decision-only throughput: {0:N0} routing decisions/s (2 x {1:N0} decisions / time inside the two routing calls)", 2 * samples / decisionSeconds, samples));
        Report("agent-available decision", route);
        Report("call-arrival decision", arrive);
        Report("end call (not routing)", end);
        Report("answer (not routing)", answer);

        // Storm: every agent ends its call, then all 10,000 become available back to back.
        var ended = workload.EndAllCalls();
        var peeked = workload.Engine.Counters.TiersPeeked;
        var examined = workload.Engine.Counters.AgentsExamined;
        var offers = workload.Engine.Counters.Offers;
        var storm = Stopwatch.StartNew();
        foreach (var agent in ended)
            workload.Route(agent);
        storm.Stop();
        var tiers = World.QueueCount * 2;
        Console.WriteLine(string.Format(
            inv,
            "storm: {0:N0} agents available in {1:F1} ms ({2:F2} us/agent), {3:N0} offers; tier heads peeked {4:N0} ({5:F1}/agent) vs queues x agents = {6:N0}; idle agents examined {7:N0}",
            ended.Count, storm.Elapsed.TotalMilliseconds, storm.Elapsed.TotalMilliseconds * 1000 / ended.Count,
            workload.Engine.Counters.Offers - offers,
            workload.Engine.Counters.TiersPeeked - peeked, (double)(workload.Engine.Counters.TiersPeeked - peeked) / ended.Count,
            (long)tiers * ended.Count, workload.Engine.Counters.AgentsExamined - examined));
        process.Refresh();
        Console.WriteLine(string.Format(inv, "peak working set: {0:F0} MB", process.PeakWorkingSet64 / 1048576.0));

        // Baseline on the same population, fewer samples because each decision scans everything.
        var naive = new NaiveRouter();
        const int naiveSamples = 200;
        for (var i = 0; i < 20; i++)
            naive.Cycle();
        var naiveClock = Stopwatch.StartNew();
        for (var i = 0; i < naiveSamples; i++)
            naive.Cycle();
        naiveClock.Stop();
        var naivePerSecond = naiveSamples / naiveClock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Format(inv, "naive scan: {0:N0} cycles/s; engine/naive = {1:N0}x", naivePerSecond, cyclesPerSecond / naivePerSecond));
    }

    private static void Report(string name, long[] ticks)
    {
        Array.Sort(ticks);
        double Us(double q) => ticks[Math.Min(ticks.Length - 1, (int)(q * ticks.Length))] * 1e6 / Stopwatch.Frequency;
        Console.WriteLine(string.Format(
            CultureInfo.InvariantCulture,
            "{0}: mean {7:F2} us, p50 {1:F2} us, p90 {2:F2} us, p99 {3:F2} us, p99.9 {4:F2} us, max {5:F0} us (n={6:N0})",
            name, Us(0.50), Us(0.90), Us(0.99), Us(0.999), ticks[^1] * 1e6 / Stopwatch.Frequency, ticks.Length, ticks.Average() * 1e6 / Stopwatch.Frequency));
    }
}
