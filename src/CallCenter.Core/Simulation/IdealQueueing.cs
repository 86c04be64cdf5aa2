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
}
