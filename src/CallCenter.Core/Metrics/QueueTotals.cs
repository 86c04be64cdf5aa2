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
            answered.Sum(c => c.Queued!.Wait.TotalSeconds),
            list.Count == 0 ? 0 : list.Max(c => c.Queued!.Wait.TotalSeconds),
            talked.Count, talked.Sum(c => c.TalkTime!.Value.TotalSeconds),
            wrapped.Count, wrapped.Sum(c => c.WrapUpTime!.Value.TotalSeconds),
            list.Sum(c => c.Transfers),
            surveyed.Count, surveyed.Count(c => c.SurveyScore >= satisfiedFrom));
    }

    public QueueTotals Add(QueueTotals other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new QueueTotals(Offered + other.Offered, Answered + other.Answered, AnsweredWithinThreshold + other.AnsweredWithinThreshold,
            Abandoned + other.Abandoned, ShortAbandoned + other.ShortAbandoned, CallbacksRequested + other.CallbacksRequested,
            AnswerWaitSeconds + other.AnswerWaitSeconds, Math.Max(LongestWaitSeconds, other.LongestWaitSeconds),
            Talked + other.Talked, TalkSeconds + other.TalkSeconds, WrappedUp + other.WrappedUp, WrapUpSeconds + other.WrapUpSeconds,
            Transfers + other.Transfers, Surveyed + other.Surveyed, Satisfied + other.Satisfied);
    }

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
