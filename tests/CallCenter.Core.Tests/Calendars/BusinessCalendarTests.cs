using CallCenter.Core.Calendars;
using CallCenter.Core.Ivr;
using Microsoft.Extensions.Time.Testing;

namespace CallCenter.Core.Tests.Calendars;

/// <summary>Opening hours, holidays and closures judged with a fixed clock.</summary>
public sealed class BusinessCalendarTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    /// <summary>Builder with valid defaults: weekdays 08:00–20:00, weekends 09:00–18:00, Asia/Shanghai.</summary>
    private static BusinessCalendar Calendar(IEnumerable<DateOnly>? holidays = null, IEnumerable<Closure>? closures = null, string zone = "Asia/Shanghai")
    {
        IReadOnlyList<OpeningHours> weekday = [new(new TimeOnly(8, 0), new TimeOnly(20, 0))];
        IReadOnlyList<OpeningHours> weekend = [new(new TimeOnly(9, 0), new TimeOnly(18, 0))];
        var weekly = Enum.GetValues<DayOfWeek>().ToDictionary(
            d => d,
            d => d is DayOfWeek.Saturday or DayOfWeek.Sunday ? weekend : weekday);
        return new BusinessCalendar(zone, weekly, holidays, closures);
    }

    private static FakeTimeProvider ClockAt(int year, int month, int day, int hour, int minute = 0) =>
        new(new DateTimeOffset(year, month, day, hour, minute, 0, Shanghai));

    [Test]
    public void A_weekday_morning_in_Shanghai_is_open()
    {
        var clock = ClockAt(2026, 11, 24, 10);

        Assert.That(Calendar().IsOpen(clock.GetUtcNow()), Is.True);
    }

    [Test]
    public void Opening_and_closing_times_are_local_with_the_close_exclusive()
    {
        var calendar = Calendar();
        var clock = ClockAt(2026, 11, 24, 7, 59);

        Assert.That(calendar.IsOpen(clock.GetUtcNow()), Is.False, "07:59");
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.That(calendar.IsOpen(clock.GetUtcNow()), Is.True, "08:00");
        clock.Advance(TimeSpan.FromHours(12).Subtract(TimeSpan.FromMinutes(1)));
        Assert.That(calendar.IsOpen(clock.GetUtcNow()), Is.True, "19:59");
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.That(calendar.IsOpen(clock.GetUtcNow()), Is.False, "20:00");
    }

    [Test]
    public void The_instant_is_judged_in_the_line_time_zone_not_in_UTC()
    {
        // 23:30 UTC on Monday is 07:30 on Tuesday in Shanghai: closed; an hour later it is 08:30: open.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 23, 30, 0, TimeSpan.Zero));

        Assert.That(Calendar().IsOpen(clock.GetUtcNow()), Is.False);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.That(Calendar().IsOpen(clock.GetUtcNow()), Is.True);
    }

    [Test]
    public void Weekend_hours_differ_from_weekday_hours()
    {
        Assert.That(Calendar().IsOpen(ClockAt(2026, 11, 28, 8, 30).GetUtcNow()), Is.False, "Saturday 08:30");
        Assert.That(Calendar().IsOpen(ClockAt(2026, 11, 28, 9, 30).GetUtcNow()), Is.True, "Saturday 09:30");
        Assert.That(Calendar().IsOpen(ClockAt(2026, 11, 29, 18, 30).GetUtcNow()), Is.False, "Sunday 18:30");
    }

    [Test]
    public void A_public_holiday_is_closed_all_day_and_the_next_day_opens_normally()
    {
        var calendar = Calendar(holidays: [new DateOnly(2026, 10, 1)]);

        Assert.That(calendar.IsOpen(ClockAt(2026, 10, 1, 10).GetUtcNow()), Is.False, "National Day, a Thursday");
        Assert.That(calendar.IsOpen(ClockAt(2026, 10, 2, 10).GetUtcNow()), Is.True, "the Friday after");
    }

    [Test]
    public void A_one_off_closure_closes_the_line_only_between_its_bounds()
    {
        var calendar = Calendar(closures: [new Closure(new DateTime(2026, 11, 25, 14, 0, 0), new DateTime(2026, 11, 25, 16, 0, 0), "typhoon")]);

        Assert.That(calendar.IsOpen(ClockAt(2026, 11, 25, 13, 59).GetUtcNow()), Is.True, "before");
        Assert.That(calendar.IsOpen(ClockAt(2026, 11, 25, 14, 0).GetUtcNow()), Is.False, "at the start");
        Assert.That(calendar.IsOpen(ClockAt(2026, 11, 25, 15, 59).GetUtcNow()), Is.False, "inside");
        Assert.That(calendar.IsOpen(ClockAt(2026, 11, 25, 16, 0).GetUtcNow()), Is.True, "at the end");
    }

    [Test]
    public void A_line_without_weekly_hours_is_open_around_the_clock()
    {
        var clock = ClockAt(2026, 11, 29, 3);

        Assert.That(BusinessCalendar.AlwaysOpen.IsOpen(clock.GetUtcNow()), Is.True);
    }

    [Test]
    public void Hours_ending_at_midnight_cover_the_last_minute_of_the_day()
    {
        var weekly = Enum.GetValues<DayOfWeek>().ToDictionary(d => d, _ => (IReadOnlyList<OpeningHours>)[new OpeningHours(new TimeOnly(20, 0), null)]);
        var calendar = new BusinessCalendar("Asia/Shanghai", weekly);

        Assert.That(calendar.IsOpen(ClockAt(2026, 11, 24, 23, 59).GetUtcNow()), Is.True);
        Assert.That(calendar.IsOpen(ClockAt(2026, 11, 25, 0, 0).GetUtcNow()), Is.False);
    }

    [Test]
    public void The_calendar_in_a_flow_file_reads_hours_holidays_and_closures()
    {
        var calendar = FlowLoader.Load(Tests.Ivr.FlowFiles.Read("ivr-flows/bank-hotline.yaml"), "bank-hotline.yaml").Flow!.Calendar;

        Assert.Multiple(() =>
        {
            Assert.That(calendar.TimeZoneId, Is.EqualTo("Asia/Shanghai"));
            Assert.That(calendar.HoursOn(DayOfWeek.Wednesday), Is.EqualTo(new[] { new OpeningHours(new TimeOnly(8, 0), new TimeOnly(20, 0)) }));
            Assert.That(calendar.HoursOn(DayOfWeek.Sunday), Is.EqualTo(new[] { new OpeningHours(new TimeOnly(9, 0), new TimeOnly(18, 0)) }));
            Assert.That(calendar.IsOpen(ClockAt(2026, 10, 1, 10).GetUtcNow()), Is.False, "holiday");
            Assert.That(calendar.IsOpen(ClockAt(2026, 12, 31, 23, 0).GetUtcNow()), Is.False, "year-end closure");
            Assert.That(calendar.IsOpen(ClockAt(2026, 12, 31, 19, 0).GetUtcNow()), Is.True, "before the closure");
        });
    }

    [Test]
    public void A_zone_with_daylight_saving_keeps_local_opening_hours_across_the_change()
    {
        // Berlin moves its clocks on 2026-03-29: 08:30 local is open on both sides of the change.
        var calendar = Calendar(zone: "Europe/Berlin");

        Assert.That(calendar.IsOpen(new DateTimeOffset(2026, 3, 27, 8, 30, 0, TimeSpan.FromHours(1))), Is.True, "Friday, winter time");
        Assert.That(calendar.IsOpen(new DateTimeOffset(2026, 3, 30, 8, 30, 0, TimeSpan.FromHours(2))), Is.True, "Monday, summer time");
        Assert.That(calendar.IsOpen(new DateTimeOffset(2026, 3, 30, 7, 30, 0, TimeSpan.FromHours(1))), Is.True, "07:30 winter offset is 08:30 local");
    }
}
