namespace CallCenter.Server.Metrics;

/// <summary>
/// One queue's figures for one interval under one service-level policy version. Rows of an older policy
/// version are never rewritten; a late event recomputes its interval's row for the current version.
/// </summary>
public sealed class QueueIntervalRollup
{
    public DateTimeOffset IntervalStart { get; init; }
    public required string Queue { get; init; }
    public int PolicyVersion { get; init; }
    public int Offered { get; set; }
    public int Answered { get; set; }
    public int AnsweredWithinThreshold { get; set; }
    public int Abandoned { get; set; }
    public int ShortAbandoned { get; set; }
    public double? ConnectRate { get; set; }
    public double? ServiceLevelOffered { get; set; }
    public double? ServiceLevelAnswered { get; set; }
    /// <summary>Average speed of answer over answered calls, seconds.</summary>
    public double? AverageSpeedOfAnswer { get; set; }
    /// <summary>Average talk time of calls that ended in the interval's cohort, seconds.</summary>
    public double? AverageTalkTime { get; set; }
    public required string Definition { get; set; }
    public DateTimeOffset ComputedAt { get; set; }
}

/// <summary>How far the worker has read the call log: the last global event number folded into rollups.</summary>
public sealed class MetricsWatermark
{
    public required string Name { get; init; }
    public long LastGlobalSeq { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>One agent's workload in one interval: calls answered there, their talk time, and wrap-ups marked resolved.</summary>
public sealed class AgentIntervalRollup
{
    public DateTimeOffset IntervalStart { get; init; }
    public required string Agent { get; init; }
    public int Answered { get; set; }
    public int Completed { get; set; }
    public double TalkSeconds { get; set; }
    public int WrappedUp { get; set; }
    public int MarkedResolved { get; set; }
    public DateTimeOffset ComputedAt { get; set; }
}
