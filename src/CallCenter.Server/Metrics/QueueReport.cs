using System.Globalization;
using CallCenter.Core.Metrics;

namespace CallCenter.Server.Metrics;

/// <summary>A queue's figures over a report period, every ratio recomputed from summed counts, with its definition.</summary>
public sealed record PeriodFigures(
    string Period, DateTimeOffset From, DateTimeOffset To, string Queue,
    int Offered, int Answered, int AnsweredWithinThreshold, int Abandoned, int ShortAbandoned, int CallbacksRequested, int Transfers,
    double? ConnectRate, double? ServiceLevelOffered, double? ServiceLevelAnswered, double? AbandonRate,
    double? AverageSpeedOfAnswer, double LongestWaitSeconds, double? AverageTalkTime, double? AverageHandleTime,
    int Surveyed, double? SatisfactionRate, int PolicyVersion, string Definition);

/// <summary>How report periods are cut in the centre's time zone.</summary>
public enum ReportPeriod
{
    Day,
    /// <summary>ISO 8601 week, Monday to Sunday.</summary>
    Week,
    Month,
}

/// <summary>Maps totals onto interval rows and sums interval rows into local days, weeks and months.</summary>
public static class QueueReport
{
    /// <summary>Every queue across the centre, in period reports.</summary>
    public const string AllQueues = "*";

    public static void Fill(QueueIntervalRollup row, QueueTotals t, ServiceLevelPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(policy);
        var f = t.Figures(policy);
        row.Offered = t.Offered;
        row.Answered = t.Answered;
        row.AnsweredWithinThreshold = t.AnsweredWithinThreshold;
        row.Abandoned = t.Abandoned;
        row.ShortAbandoned = t.ShortAbandoned;
        row.CallbacksRequested = t.CallbacksRequested;
        row.AnswerWaitSeconds = t.AnswerWaitSeconds;
        row.LongestWaitSeconds = t.LongestWaitSeconds;
        row.Talked = t.Talked;
        row.TalkSeconds = t.TalkSeconds;
        row.WrappedUp = t.WrappedUp;
        row.WrapUpSeconds = t.WrapUpSeconds;
        row.Transfers = t.Transfers;
        row.Surveyed = t.Surveyed;
        row.Satisfied = t.Satisfied;
        row.ConnectRate = f.ConnectRate;
        row.ServiceLevelOffered = f.ServiceLevelOffered;
        row.ServiceLevelAnswered = f.ServiceLevelAnswered;
        row.AverageSpeedOfAnswer = t.AverageSpeedOfAnswer;
        row.AverageTalkTime = t.AverageTalkTime;
        row.AverageHandleTime = t.AverageHandleTime;
        row.AbandonRate = t.AbandonRate;
        row.SatisfactionRate = t.SatisfactionRate;
        row.Definition = policy.Definition;
    }

    public static QueueTotals Totals(QueueIntervalRollup r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new QueueTotals(r.Offered, r.Answered, r.AnsweredWithinThreshold, r.Abandoned, r.ShortAbandoned, r.CallbacksRequested,
            r.AnswerWaitSeconds, r.LongestWaitSeconds, r.Talked, r.TalkSeconds, r.WrappedUp, r.WrapUpSeconds, r.Transfers, r.Surveyed, r.Satisfied);
    }

    /// <summary>
    /// Sums rows of one policy version into periods, per queue and across all queues. An interval belongs to the
    /// local period its start falls in, so a day across a daylight-saving change has 92 or 100 intervals.
    /// </summary>
    public static List<PeriodFigures> Summarise(IEnumerable<QueueIntervalRollup> rows, ServiceLevelPolicy policy, ReportPeriod by, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(zone);
        var sums = new SortedDictionary<(DateOnly Start, string Queue), QueueTotals>();
        foreach (var row in rows.Where(r => r.PolicyVersion == policy.Version))
        {
            var start = PeriodStart(RollupCalculator.LocalDay(row.IntervalStart, zone), by);
            foreach (var queue in new[] { row.Queue, AllQueues })
                sums[(start, queue)] = (sums.GetValueOrDefault((start, queue)) ?? QueueTotals.Zero).Add(Totals(row));
        }
        return [.. sums.Select(s => Figures(s.Key.Start, by, zone, s.Key.Queue, s.Value, policy))];
    }

    public static DateOnly PeriodStart(DateOnly day, ReportPeriod by) => by switch
    {
        ReportPeriod.Day => day,
        ReportPeriod.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
        _ => new DateOnly(day.Year, day.Month, 1),
    };

    public static DateOnly PeriodEnd(DateOnly start, ReportPeriod by) => by switch
    {
        ReportPeriod.Day => start.AddDays(1),
        ReportPeriod.Week => start.AddDays(7),
        _ => start.AddMonths(1),
    };

    public static string PeriodName(DateOnly start, ReportPeriod by) => by switch
    {
        ReportPeriod.Day => start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        ReportPeriod.Week => string.Create(CultureInfo.InvariantCulture,
            $"{ISOWeek.GetYear(start.ToDateTime(TimeOnly.MinValue))}-W{ISOWeek.GetWeekOfYear(start.ToDateTime(TimeOnly.MinValue)):D2}"),
        _ => start.ToString("yyyy-MM", CultureInfo.InvariantCulture),
    };

    private static PeriodFigures Figures(DateOnly start, ReportPeriod by, TimeZoneInfo zone, string queue, QueueTotals t, ServiceLevelPolicy policy)
    {
        var f = t.Figures(policy);
        return new PeriodFigures(PeriodName(start, by), RollupCalculator.LocalMidnight(start, zone), RollupCalculator.LocalMidnight(PeriodEnd(start, by), zone), queue,
            t.Offered, t.Answered, t.AnsweredWithinThreshold, t.Abandoned, t.ShortAbandoned, t.CallbacksRequested, t.Transfers,
            f.ConnectRate, f.ServiceLevelOffered, f.ServiceLevelAnswered, t.AbandonRate, t.AverageSpeedOfAnswer, t.LongestWaitSeconds,
            t.AverageTalkTime, t.AverageHandleTime, t.Surveyed, t.SatisfactionRate, policy.Version, policy.Definition);
    }
}
