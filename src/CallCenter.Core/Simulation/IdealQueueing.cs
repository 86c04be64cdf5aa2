namespace CallCenter.Core.Simulation;

/// <summary>One call offered to an <see cref="IdealQueueing"/>: when it arrived and how long it kept an agent busy.</summary>
public readonly record struct QueueArrival(TimeSpan Arrival, TimeSpan Service);

/// <summary>
/// A first-come-first-served queue with N identical agents and no decision delay: the waits a list of calls
/// would have had. Fed the calls of a simulated day, it tells the ACD's own queueing apart from the day's luck.
/// </summary>
public static class IdealQueueing
{
    /// <summary>Each call's wait, in arrival order (Kiefer–Wolfowitz: a call starts when it has arrived and the first agent is free).</summary>
    public static TimeSpan[] Waits(int agents, IReadOnlyList<QueueArrival> calls)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(agents);
        ArgumentNullException.ThrowIfNull(calls);
        var ordered = calls.Select((c, i) => (Call: c, Index: i)).OrderBy(x => x.Call.Arrival).ThenBy(x => x.Index).ToList();
        var freeAt = new PriorityQueue<int, TimeSpan>(agents);
        for (var a = 0; a < agents; a++) freeAt.Enqueue(a, TimeSpan.MinValue);
        var waits = new TimeSpan[calls.Count];
        foreach (var (call, index) in ordered)
        {
            freeAt.TryDequeue(out var agent, out var free);
            var start = call.Arrival > free ? call.Arrival : free;
            waits[index] = start - call.Arrival;
            freeAt.Enqueue(agent, start + call.Service);
        }
        return waits;
    }

    /// <summary>
    /// What runs of a given length, starting with nobody waiting, give for M/M/N: service level and ASA of each of
    /// <paramref name="runs"/> seeded runs. Short runs are biased (they start empty) and their waits strongly
    /// correlated, so their spread is far wider than independent samples suggest; this measures it instead.
    /// </summary>
    public static RunSpread MmnRuns(int agents, double callsPerHour, TimeSpan averageHandleTime, TimeSpan length, TimeSpan threshold, int runs, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(runs);
        var random = new Random(seed);
        double Exponential(double mean) => -Math.Log(1 - random.NextDouble()) * mean;
        var gap = 3600 / callsPerHour;
        var serviceLevels = new double[runs];
        var speeds = new double[runs];
        var calls = new List<QueueArrival>();
        for (var run = 0; run < runs; run++)
        {
            calls.Clear();
            for (var t = Exponential(gap); t < length.TotalSeconds; t += Exponential(gap))
                calls.Add(new QueueArrival(TimeSpan.FromSeconds(t), TimeSpan.FromSeconds(Exponential(averageHandleTime.TotalSeconds))));
            var waits = Waits(agents, calls);
            serviceLevels[run] = waits.Length == 0 ? 1 : waits.Count(w => w <= threshold) / (double)waits.Length;
            speeds[run] = waits.Length == 0 ? 0 : waits.Average(w => w.TotalSeconds);
        }
        Array.Sort(serviceLevels);
        Array.Sort(speeds);
        return new RunSpread(serviceLevels, speeds);
    }
}

/// <summary>Sorted service levels and ASAs (seconds) of many simulated runs, to read quantiles from.</summary>
public sealed class RunSpread(double[] serviceLevels, double[] averageSpeedsOfAnswer)
{
    public (double Low, double High) ServiceLevel(double coverage) => Band(serviceLevels, coverage);

    public (double Low, double High) AverageSpeedOfAnswer(double coverage) => Band(averageSpeedsOfAnswer, coverage);

    /// <summary>The central band holding <paramref name="coverage"/> of the runs (e.g. 0.9998 leaves 1 in 10,000 out on each side).</summary>
    private static (double Low, double High) Band(double[] sorted, double coverage)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(coverage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(coverage, 1);
        var tail = (1 - coverage) / 2;
        var low = (int)Math.Floor(tail * (sorted.Length - 1));
        var high = (int)Math.Ceiling((1 - tail) * (sorted.Length - 1));
        return (sorted[low], sorted[high]);
    }
}
