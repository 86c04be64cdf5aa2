namespace CallCenter.Core.Complaints;

/// <summary>
/// When a department's overdue work order is escalated: at its due time, then again every <see cref="Every"/>
/// while it stays open, one level higher each time.
/// </summary>
public sealed record WorkOrderEscalation(TimeSpan Every)
{
    /// <summary>The escalation level a still-open work order should be at, at <paramref name="now"/> (0 = not overdue).</summary>
    public int LevelAt(DateTimeOffset dueAt, DateTimeOffset now)
    {
        if (now < dueAt) return 0;
        if (Every <= TimeSpan.Zero) return 1;
        return 1 + (int)Math.Min(int.MaxValue - 1, (now - dueAt).Ticks / Every.Ticks);
    }
}
