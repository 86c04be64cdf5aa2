namespace CallCenter.Core.Metrics;

/// <summary>How an agent's logged-in time in one interval was spent.</summary>
/// <param name="Available">Idle and ready for a call.</param>
/// <param name="Handling">Ringing, talking (hold included) or in after-call work.</param>
/// <param name="Break">On a break of any reason.</param>
public sealed record AgentSeconds(double Available, double Handling, double Break)
{
    /// <summary>Occupancy = handling time ÷ (handling + available time); breaks are outside it.</summary>
    public double? Occupancy => Available + Handling <= 0 ? null : Handling / (Available + Handling);
}

/// <summary>Cuts an agent's state changes into per-interval time; a span only counts once its end is known.</summary>
public static class AgentTime
{
    /// <summary>
    /// Seconds per state in every interval touched between <paramref name="from"/> and the last change. The agent
    /// is in <paramref name="stateAtFrom"/> at <paramref name="from"/>; time after the last change is not counted
    /// yet, since nobody knows when that state ends.
    /// </summary>
    public static Dictionary<DateTimeOffset, AgentSeconds> PerInterval(string? stateAtFrom, IEnumerable<(DateTimeOffset At, string To)> changes,
        DateTimeOffset from, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(changes);
        // Spans are summed as whole ticks and divided once (ExactSeconds), so the time a later batch adds to a stored
        // interval gives the same double as recutting the interval from scratch.
        var ticks = new Dictionary<DateTimeOffset, (long Available, long Handling, long Break)>();
        var (state, since) = (stateAtFrom, from);
        foreach (var (at, to) in changes.OrderBy(c => c.At))
        {
            if (at > since) Add(ticks, state, since, at, interval);
            (state, since) = (to, at > since ? at : since);
        }
        return ticks.ToDictionary(t => t.Key, t => new AgentSeconds(ExactSeconds.FromTicks(t.Value.Available),
            ExactSeconds.FromTicks(t.Value.Handling), ExactSeconds.FromTicks(t.Value.Break)));
    }

    private static void Add(Dictionary<DateTimeOffset, (long Available, long Handling, long Break)> result, string? state, DateTimeOffset from,
        DateTimeOffset to, TimeSpan interval)
    {
        var kind = state switch
        {
            "Available" => 0,
            "Reserved" or "OnCall" or "WrapUp" => 1,
            "Break" => 2,
            _ => -1,
        };
        if (kind < 0) return;
        for (var start = Floor(from, interval); start < to; start += interval)
        {
            var span = ((to < start + interval ? to : start + interval) - (from > start ? from : start)).Ticks;
            var (available, handling, onBreak) = result.GetValueOrDefault(start);
            result[start] = kind switch
            {
                0 => (available + span, handling, onBreak),
                1 => (available, handling + span, onBreak),
                _ => (available, handling, onBreak + span),
            };
        }
    }

    private static DateTimeOffset Floor(DateTimeOffset at, TimeSpan interval) => new(at.UtcTicks - at.UtcTicks % interval.Ticks, TimeSpan.Zero);
}
