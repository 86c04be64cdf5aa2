using CallCenter.Core.Complaints;

namespace CallCenter.Core.Tests.Complaints;

/// <summary>Time limits per grade on the desk's working calendar (Shanghai, Monday–Friday), evaluated at fixed instants.</summary>
public sealed class ComplaintDeadlineTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);
    // Friday 27 November 2026, 10:00 in Shanghai.
    private static readonly DateTimeOffset Received = new(2026, 11, 27, 10, 0, 0, Shanghai);
    private static readonly DateOnly NationalHoliday = new(2026, 12, 1);

    private static ComplaintPolicy Policy() =>
        new(ComplaintPolicy.DefaultGrades, new ComplaintLimit(10, LimitUnit.CalendarDays), new WorkingCalendar("Asia/Shanghai", holidays: [NationalHoliday]));

    [Test]
    public void Working_days_skip_the_weekend_and_holidays_and_keep_the_time_of_day()
    {
        var deadlines = Policy().For(ComplaintGrade.Ordinary, Received);
        Assert.Multiple(() =>
        {
            // Mon 30 Nov is the first working day after Friday.
            Assert.That(deadlines.AcceptBy, Is.EqualTo(new DateTimeOffset(2026, 11, 30, 10, 0, 0, Shanghai)));
            // 7 working days: 30 Nov, 2, 3, 4, 7, 8, 9 Dec (1 Dec is a holiday, 5–6 Dec a weekend).
            Assert.That(deadlines.AnswerBy, Is.EqualTo(new DateTimeOffset(2026, 12, 9, 10, 0, 0, Shanghai)));
        });
    }

    [Test]
    public void A_major_complaint_is_nearly_overdue_in_its_last_four_hours_and_overdue_at_24_hours_exactly()
    {
        var policy = Policy();
        var deadlines = policy.For(ComplaintGrade.Major, Received);
        var open = new Milestones(Received.AddMinutes(30), null, null);
        DeadlineState AnswerAt(TimeSpan after) => policy.Evaluate(ComplaintGrade.Major, deadlines, open, Received + after).Answer;
        Assert.Multiple(() =>
        {
            Assert.That(AnswerAt(TimeSpan.FromHours(19) + TimeSpan.FromMinutes(59)), Is.EqualTo(DeadlineState.OnTime));
            Assert.That(AnswerAt(TimeSpan.FromHours(20)), Is.EqualTo(DeadlineState.NearlyOverdue));
            Assert.That(AnswerAt(TimeSpan.FromHours(24) - TimeSpan.FromTicks(1)), Is.EqualTo(DeadlineState.NearlyOverdue));
            Assert.That(AnswerAt(TimeSpan.FromHours(24)), Is.EqualTo(DeadlineState.Overdue));
        });
    }

    [Test]
    public void An_unaccepted_serious_complaint_is_overdue_after_four_hours_while_its_answer_is_still_on_time()
    {
        var policy = Policy();
        var deadlines = policy.For(ComplaintGrade.Serious, Received);
        var status = policy.Evaluate(ComplaintGrade.Serious, deadlines, new Milestones(null, null, null), Received.AddHours(4));
        Assert.Multiple(() =>
        {
            Assert.That(status.Accept, Is.EqualTo(DeadlineState.Overdue));
            Assert.That(status.Answer, Is.EqualTo(DeadlineState.OnTime));
            Assert.That(status.Worst, Is.EqualTo(DeadlineState.Overdue));
        });
    }

    [Test]
    public void A_milestone_reached_in_time_stays_met_and_a_late_one_is_marked_late()
    {
        var policy = Policy();
        var deadlines = policy.For(ComplaintGrade.Major, Received);
        var status = policy.Evaluate(ComplaintGrade.Major, deadlines, new Milestones(Received.AddHours(1), Received.AddHours(30), null), Received.AddDays(2));
        Assert.Multiple(() =>
        {
            Assert.That(status.Accept, Is.EqualTo(DeadlineState.Met));
            Assert.That(status.Answer, Is.EqualTo(DeadlineState.MetLate));
            Assert.That(status.Close, Is.EqualTo(DeadlineState.OnTime));
        });
    }

    [Test]
    public void A_reopened_complaint_gets_a_new_answer_limit_from_the_reopen()
    {
        var policy = Policy();
        var before = policy.For(ComplaintGrade.Ordinary, Received);
        var reopened = Received.AddDays(20);
        var after = policy.ForReopened(ComplaintGrade.Ordinary, before, reopened);
        Assert.Multiple(() =>
        {
            Assert.That(after.AnswerBy, Is.EqualTo(reopened.AddDays(10)));
            Assert.That(after.CloseBy, Is.GreaterThan(after.AnswerBy));
        });
    }

    [Test]
    public void Limits_are_configurable_per_grade_and_must_be_positive()
    {
        var grades = new Dictionary<ComplaintGrade, GradeLimits>(ComplaintPolicy.DefaultGrades)
        {
            [ComplaintGrade.Ordinary] = new(new(2, LimitUnit.Hours), new(3, LimitUnit.CalendarDays), new(5, LimitUnit.CalendarDays), TimeSpan.FromHours(1)),
        };
        var policy = new ComplaintPolicy(grades, new(10, LimitUnit.CalendarDays), new WorkingCalendar("Asia/Shanghai"));
        grades[ComplaintGrade.Serious] = grades[ComplaintGrade.Serious] with { Answer = new(0, LimitUnit.Hours) };
        Assert.Multiple(() =>
        {
            Assert.That(policy.For(ComplaintGrade.Ordinary, Received).AcceptBy, Is.EqualTo(Received.AddHours(2)));
            Assert.Throws<ArgumentException>(() => _ = new ComplaintPolicy(grades, new(10, LimitUnit.CalendarDays), new WorkingCalendar("Asia/Shanghai")));
        });
    }

    [Test]
    public void An_overdue_work_order_escalates_one_level_per_period_while_open()
    {
        var escalation = new WorkOrderEscalation(TimeSpan.FromDays(1));
        var due = Received.AddDays(3);
        Assert.Multiple(() =>
        {
            Assert.That(escalation.LevelAt(due, due.AddTicks(-1)), Is.Zero);
            Assert.That(escalation.LevelAt(due, due), Is.EqualTo(1));
            Assert.That(escalation.LevelAt(due, due.AddDays(1)), Is.EqualTo(2));
        });
    }
}
