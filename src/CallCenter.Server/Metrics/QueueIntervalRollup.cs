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
    public int CallbacksRequested { get; set; }
    /// <summary>Sums, so rows add up exactly into days and weeks (see <see cref="CallCenter.Core.Metrics.QueueTotals"/>).</summary>
    public double AnswerWaitSeconds { get; set; }
    public double LongestWaitSeconds { get; set; }
    public int Talked { get; set; }
    public double TalkSeconds { get; set; }
    public int WrappedUp { get; set; }
    public double WrapUpSeconds { get; set; }
    public int Transfers { get; set; }
    public int Surveyed { get; set; }
    public int Satisfied { get; set; }
    public double? ConnectRate { get; set; }
    public double? ServiceLevelOffered { get; set; }
    public double? ServiceLevelAnswered { get; set; }
    /// <summary>Average speed of answer over answered calls, seconds.</summary>
    public double? AverageSpeedOfAnswer { get; set; }
    /// <summary>Average talk time of calls that ended in the interval's cohort, seconds.</summary>
    public double? AverageTalkTime { get; set; }
    public double? AverageHandleTime { get; set; }
    public double? AbandonRate { get; set; }
    public double? SatisfactionRate { get; set; }
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
    public double WrapUpSeconds { get; set; }
    public int MarkedResolved { get; set; }
    public DateTimeOffset ComputedAt { get; set; }
}

/// <summary>One hotline line in one interval: calls that came in, how many stayed in self-service, how many reached people.</summary>
public sealed class LineIntervalRollup
{
    public DateTimeOffset IntervalStart { get; init; }
    public required string Line { get; init; }
    public int Calls { get; set; }
    /// <summary>Calls that ended without asking for human service.</summary>
    public int SelfServiceOnly { get; set; }
    public int TransferredToAgent { get; set; }
    public int AnsweredByAgent { get; set; }
    public double? ConnectRate { get; set; }
    public DateTimeOffset ComputedAt { get; set; }
}

/// <summary>
/// First-call resolution of the needs raised on one local day. Provisional until the repeat window after the
/// day has closed; then final and never recomputed.
/// </summary>
public sealed class FcrDailyRollup
{
    public DateOnly Day { get; init; }
    public int WindowDays { get; init; }
    public int Needs { get; set; }
    public int ResolvedFirstTime { get; set; }
    public double? Rate { get; set; }
    public bool Provisional { get; set; }
    public required string Definition { get; set; }
    public DateTimeOffset ComputedAt { get; set; }
}
