namespace CallCenter.Core.Metrics;

/// <summary>
/// A queue's counts and sums over a set of calls. Rows hold sums, never averages, so 15-minute rows add up
/// exactly into days, weeks and months; the ratios are derived from the sums at the end.
/// </summary>
public sealed record QueueTotals(
    int Offered, int Answered, int AnsweredWithinThreshold, int Abandoned, int ShortAbandoned, int CallbacksRequested,
    double AnswerWaitSeconds, double LongestWaitSeconds, int Talked, double TalkSeconds, int WrappedUp, double WrapUpSeconds,
    int Transfers, int Surveyed, int Satisfied)
{
    public static QueueTotals Zero { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>
    /// Totals of the calls that entered the queue; calls still waiting are left for a later run. A survey
    /// score at or above <paramref name="satisfiedFrom"/> (4 on the 1–5 keypad scale) counts as satisfied.
    /// </summary>
    public static QueueTotals From(IEnumerable<CallFacts> calls, ServiceLevelPolicy policy, int satisfiedFrom)
    {
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(policy);
        var list = calls.Where(c => c.Queued is { Outcome: not QueueOutcome.Waiting }).ToList();
        var figures = QueueFigures.From(list.Select(c => c.Queued!), policy);
        var answered = list.Where(c => c.Queued!.Outcome == QueueOutcome.Answered).ToList();
        var talked = list.Where(c => c.TalkTime is not null).ToList();
        var wrapped = list.Where(c => c.WrapUpTime is not null).ToList();
        var surveyed = list.Where(c => c.SurveyScore is not null).ToList();
        return new QueueTotals(figures.Offered, figures.Answered, figures.AnsweredWithinThreshold, figures.Abandoned,
            figures.ShortAbandoned, figures.CallbacksRequested,
            ExactSeconds.Sum(answered.Select(c => c.Queued!.Wait)),
            list.Count == 0 ? 0 : list.Max(c => c.Queued!.Wait.TotalSeconds),
            talked.Count, ExactSeconds.Sum(talked.Select(c => c.TalkTime!.Value)),
            wrapped.Count, ExactSeconds.Sum(wrapped.Select(c => c.WrapUpTime!.Value)),
            list.Sum(c => c.Transfers),
            surveyed.Count, surveyed.Count(c => c.SurveyScore >= satisfiedFrom));
    }

    public QueueTotals Add(QueueTotals other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Combine(other, +1) with { LongestWaitSeconds = Math.Max(LongestWaitSeconds, other.LongestWaitSeconds) };
    }

    /// <summary>
    /// These totals with the calls of <paramref name="removed"/> taken out and those of <paramref name="added"/> put in:
    /// how a batch's changed calls move a stored row without recounting it. Null when the longest wait may have left
    /// with a removed call, since only a recount can tell the next longest.
    /// </summary>
    public QueueTotals? Replace(QueueTotals removed, QueueTotals added)
    {
        ArgumentNullException.ThrowIfNull(removed);
        ArgumentNullException.ThrowIfNull(added);
        // A removed call may have held the longest wait; unless an added one waited as long, the next longest is unknown here.
        if (removed != Zero && removed.LongestWaitSeconds >= LongestWaitSeconds && added.LongestWaitSeconds < removed.LongestWaitSeconds) return null;
        return Combine(removed, -1).Combine(added, +1) with { LongestWaitSeconds = Math.Max(LongestWaitSeconds, added.LongestWaitSeconds) };
    }

    private QueueTotals Combine(QueueTotals other, int sign) => new(
        Offered + sign * other.Offered, Answered + sign * other.Answered, AnsweredWithinThreshold + sign * other.AnsweredWithinThreshold,
        Abandoned + sign * other.Abandoned, ShortAbandoned + sign * other.ShortAbandoned, CallbacksRequested + sign * other.CallbacksRequested,
        ExactSeconds.Add(AnswerWaitSeconds, other.AnswerWaitSeconds, sign), LongestWaitSeconds,
        Talked + sign * other.Talked, ExactSeconds.Add(TalkSeconds, other.TalkSeconds, sign),
        WrappedUp + sign * other.WrappedUp, ExactSeconds.Add(WrapUpSeconds, other.WrapUpSeconds, sign),
        Transfers + sign * other.Transfers, Surveyed + sign * other.Surveyed, Satisfied + sign * other.Satisfied);

    /// <summary>Connect rate and both service levels under the policy.</summary>
    public QueueFigures Figures(ServiceLevelPolicy policy) =>
        QueueFigures.FromCounts(Offered, Answered, AnsweredWithinThreshold, Abandoned, ShortAbandoned, CallbacksRequested, policy);

    /// <summary>Abandon rate = abandons after the short-abandon threshold ÷ offered calls.</summary>
    public double? AbandonRate => Ratio(Abandoned, Offered);

    /// <summary>Average speed of answer over answered calls, seconds.</summary>
    public double? AverageSpeedOfAnswer => Ratio(AnswerWaitSeconds, Answered);

    public double? AverageTalkTime => Ratio(TalkSeconds, Talked);

    /// <summary>Average handle time = average talk (hold included) + average after-call work.</summary>
    public double? AverageHandleTime => Talked == 0 ? null : TalkSeconds / Talked + (WrappedUp == 0 ? 0 : WrapUpSeconds / WrappedUp);

    /// <summary>Satisfaction rate (art. 17) = satisfied ÷ surveyed customers.</summary>
    public double? SatisfactionRate => Ratio(Satisfied, Surveyed);

    private static double? Ratio(double numerator, int denominator) => denominator == 0 ? null : numerator / denominator;
}
