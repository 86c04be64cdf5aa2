using CallCenter.Core.Calendars;
using CallCenter.Core.Channels;

namespace CallCenter.Core.Tests.Channels;

/// <summary>Due times counted in staffed time on the line's calendar.</summary>
public sealed class WorkingTimeTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    /// <summary>Builder with valid defaults: weekdays 09:00–18:00, closed at weekends, Asia/Shanghai.</summary>
    private static BusinessCalendar OfficeHours(IEnumerable<DateOnly>? holidays = null, IEnumerable<Closure>? closures = null)
    {
        IReadOnlyList<OpeningHours> weekday = [new(new TimeOnly(9, 0), new TimeOnly(18, 0))];
        var weekly = new Dictionary<DayOfWeek, IReadOnlyList<OpeningHours>>
        {
            [DayOfWeek.Monday] = weekday, [DayOfWeek.Tuesday] = weekday, [DayOfWeek.Wednesday] = weekday,
            [DayOfWeek.Thursday] = weekday, [DayOfWeek.Friday] = weekday,
        };
        return new BusinessCalendar("Asia/Shanghai", weekly, holidays, closures);
    }

    private static DateTimeOffset Local(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, Shanghai);

    [Test]
    public void Four_working_hours_from_Friday_1755_end_on_Monday_at_1255()
    {
        var friday = Local(11, 27, 17, 55);

        var due = OfficeHours().AddWorkingTime(friday, TimeSpan.FromHours(4));

        Assert.That(due, Is.EqualTo(Local(11, 30, 12, 55)));
    }

    [Test]
    public void Time_inside_one_working_day_is_added_as_is()
    {
        Assert.That(OfficeHours().AddWorkingTime(Local(11, 24, 10, 0), TimeSpan.FromHours(4)), Is.EqualTo(Local(11, 24, 14, 0)));
    }

    [Test]
    public void A_request_arriving_at_night_starts_counting_at_the_next_opening()
    {
        Assert.That(OfficeHours().AddWorkingTime(Local(11, 24, 23, 30), TimeSpan.FromHours(1)), Is.EqualTo(Local(11, 25, 10, 0)));
    }

    [Test]
    public void Work_that_exactly_fills_the_day_is_due_at_closing_time()
    {
        Assert.That(OfficeHours().AddWorkingTime(Local(11, 24, 9, 0), TimeSpan.FromHours(9)), Is.EqualTo(Local(11, 24, 18, 0)));
    }

    [Test]
    public void Holidays_and_closures_are_skipped()
    {
        var calendar = OfficeHours(
            holidays: [new DateOnly(2026, 11, 30)],
            closures: [new Closure(new DateTime(2026, 12, 1, 9, 0, 0), new DateTime(2026, 12, 1, 11, 0, 0), "maintenance")]);

        var due = calendar.AddWorkingTime(Local(11, 27, 17, 55), TimeSpan.FromHours(4));

        // Friday 5 minutes, Monday a holiday, Tuesday opens at 11:00 after the closure: 3 h 55 more.
        Assert.That(due, Is.EqualTo(Local(12, 1, 14, 55)));
    }

    [Test]
    public void A_24x7_line_counts_wall_clock_time_except_holidays()
    {
        var calendar = new BusinessCalendar("Asia/Shanghai", weekly: null, holidays: [new DateOnly(2026, 11, 28)]);

        Assert.That(calendar.AddWorkingTime(Local(11, 27, 22, 0), TimeSpan.FromHours(4)), Is.EqualTo(Local(11, 29, 2, 0)));
    }

    [Test]
    public void A_calendar_that_never_opens_is_refused_rather_than_looping()
    {
        var never = new BusinessCalendar("Asia/Shanghai", new Dictionary<DayOfWeek, IReadOnlyList<OpeningHours>>());

        Assert.Throws<InvalidOperationException>(() => never.AddWorkingTime(Local(11, 27, 9, 0), TimeSpan.FromHours(1)));
    }

    [Test]
    public void Working_time_between_two_instants_counts_only_staffed_time()
    {
        Assert.That(OfficeHours().WorkingTimeBetween(Local(11, 27, 17, 55), Local(11, 30, 12, 55)), Is.EqualTo(TimeSpan.FromHours(4)));
        Assert.That(OfficeHours().WorkingTimeBetween(Local(11, 30, 12, 55), Local(11, 27, 17, 55)), Is.EqualTo(TimeSpan.Zero));
    }
}
