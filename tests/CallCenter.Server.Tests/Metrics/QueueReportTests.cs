using CallCenter.Core.Metrics;
using CallCenter.Server.Metrics;

namespace CallCenter.Server.Tests.Metrics;

/// <summary>Cutting 15-minute rows into local days and weeks: midnight, daylight-saving changes, policy versions.</summary>
public sealed class QueueReportTests
{
    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly ServiceLevelPolicy Policy = ServiceLevelPolicy.Default;

    /// <summary>One offered, answered-on-time call per interval.</summary>
    private static QueueIntervalRollup Row(DateTimeOffset start, int version = 1) => new()
    {
        IntervalStart = start, Queue = "cards", PolicyVersion = version, Definition = "",
        Offered = 1, Answered = 1, AnsweredWithinThreshold = 1, AnswerWaitSeconds = 8,
    };

    private static IEnumerable<QueueIntervalRollup> EveryInterval(DateTimeOffset from, DateTimeOffset to)
    {
        for (var t = from; t < to; t += TimeSpan.FromMinutes(15)) yield return Row(t);
    }

    [Test]
    public void A_local_day_across_the_spring_change_has_92_intervals_and_across_the_autumn_change_100()
    {
        var rows = EveryInterval(new DateTimeOffset(2026, 3, 28, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 10, 27, 0, 0, 0, TimeSpan.Zero));

        var days = QueueReport.Summarise(rows, Policy, ReportPeriod.Day, London).Where(d => d.Queue == "cards").ToDictionary(d => d.Period);

        Assert.That(days["2026-03-29"].Offered, Is.EqualTo(92));
        Assert.That(days["2026-03-30"].Offered, Is.EqualTo(96));
        Assert.That(days["2026-10-25"].Offered, Is.EqualTo(100));
        Assert.That(days["2026-10-25"].To - days["2026-10-25"].From, Is.EqualTo(TimeSpan.FromHours(25)));
    }

    [Test]
    public void The_interval_before_local_midnight_belongs_to_the_day_it_starts_in()
    {
        // 15:45 UTC is 23:45 in Shanghai; 16:00 UTC is the next local day.
        QueueIntervalRollup[] rows = [Row(new DateTimeOffset(2026, 11, 27, 15, 45, 0, TimeSpan.Zero)), Row(new DateTimeOffset(2026, 11, 27, 16, 0, 0, TimeSpan.Zero))];

        var days = QueueReport.Summarise(rows, Policy, ReportPeriod.Day, Shanghai).Where(d => d.Queue == "cards").ToList();

        Assert.That(days.Select(d => (d.Period, d.Offered)), Is.EqualTo(new[] { ("2026-11-27", 1), ("2026-11-28", 1) }));
        Assert.That(days[0].From, Is.EqualTo(new DateTimeOffset(2026, 11, 26, 16, 0, 0, TimeSpan.Zero)));
    }

    [Test]
    public void A_week_runs_monday_to_sunday_and_is_named_by_its_iso_week()
    {
        var rows = EveryInterval(new DateTimeOffset(2026, 11, 22, 16, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 29, 16, 0, 0, TimeSpan.Zero));

        var weeks = QueueReport.Summarise(rows, Policy, ReportPeriod.Week, Shanghai).Where(w => w.Queue == "cards").ToList();

        Assert.That(weeks.Single().Period, Is.EqualTo("2026-W48"));
        Assert.That(weeks.Single().Offered, Is.EqualTo(7 * 96));
        Assert.That(weeks.Single().AverageSpeedOfAnswer, Is.EqualTo(8));
    }

    [Test]
    public void Rows_of_another_policy_version_never_mix_into_a_report()
    {
        var at = new DateTimeOffset(2026, 11, 27, 2, 0, 0, TimeSpan.Zero);
        QueueIntervalRollup[] rows = [Row(at), Row(at, version: 2), Row(at.AddMinutes(15), version: 2)];

        var day = QueueReport.Summarise(rows, Policy with { Version = 2 }, ReportPeriod.Day, Shanghai).Single(d => d.Queue == "cards");

        Assert.That((day.Offered, day.PolicyVersion), Is.EqualTo((2, 2)));
    }

    [Test]
    public void The_all_queues_row_recomputes_its_ratios_from_summed_counts()
    {
        var at = new DateTimeOffset(2026, 11, 27, 2, 0, 0, TimeSpan.Zero);
        QueueIntervalRollup[] rows =
        [
            new() { IntervalStart = at, Queue = "cards", PolicyVersion = 1, Definition = "", Offered = 1, Answered = 1, AnsweredWithinThreshold = 1 },
            new() { IntervalStart = at, Queue = "loans", PolicyVersion = 1, Definition = "", Offered = 3, Answered = 1, Abandoned = 2 },
        ];

        var all = QueueReport.Summarise(rows, Policy, ReportPeriod.Day, Shanghai).Single(d => d.Queue == QueueReport.AllQueues);

        Assert.That(all.ConnectRate, Is.EqualTo(0.5), "2 answered ÷ 4 offered, not the mean of 1.0 and 0.33");
        Assert.That(all.ServiceLevelOffered, Is.EqualTo(0.25));
    }
}
