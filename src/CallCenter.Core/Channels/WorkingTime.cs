using CallCenter.Core.Calendars;

namespace CallCenter.Core.Channels;

/// <summary>
/// Counts time only while a line is staffed: its weekly hours (all day on a 7×24 line), minus public holidays
/// and one-off closures. "Four working hours" from Friday 17:55 on a line that closes at 18:00 ends on Monday.
/// </summary>
public static class WorkingTime
{
    /// <summary>How far ahead a due time is looked for before the calendar is judged never to open.</summary>
    public const int MaxDaysAhead = 400;

    /// <summary>The instant at which <paramref name="work"/> of staffed time has passed since <paramref name="start"/>.</summary>
    /// <exception cref="InvalidOperationException">The calendar has no staffed time within <see cref="MaxDaysAhead"/> days.</exception>
    public static DateTimeOffset AddWorkingTime(this BusinessCalendar calendar, DateTimeOffset start, TimeSpan work)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentOutOfRangeException.ThrowIfLessThan(work, TimeSpan.Zero);
        var cursor = calendar.ToLocal(start);
        var remaining = work;
        var day = DateOnly.FromDateTime(cursor);
        for (var i = 0; i <= MaxDaysAhead; i++, day = day.AddDays(1))
        {
            foreach (var (from, to) in OpenSegments(calendar, day))
            {
                var begin = from > cursor ? from : cursor;
                if (begin >= to) continue;
                if (remaining <= to - begin)
                    return ToInstant(calendar, begin + remaining);
                remaining -= to - begin;
            }
        }
        throw new InvalidOperationException($"The calendar in {calendar.TimeZoneId} has no staffed time within {MaxDaysAhead} days of {start:O}.");
    }

    /// <summary>Staffed time between two instants (zero when <paramref name="to"/> is not after <paramref name="from"/>).</summary>
    public static TimeSpan WorkingTimeBetween(this BusinessCalendar calendar, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        if (to <= from) return TimeSpan.Zero;
        var start = calendar.ToLocal(from);
        var end = calendar.ToLocal(to);
        var total = TimeSpan.Zero;
        for (var day = DateOnly.FromDateTime(start); day <= DateOnly.FromDateTime(end); day = day.AddDays(1))
        {
            foreach (var (segFrom, segTo) in OpenSegments(calendar, day))
            {
                var a = segFrom > start ? segFrom : start;
                var b = segTo < end ? segTo : end;
                if (b > a) total += b - a;
            }
        }
        return total;
    }

    /// <summary>The day's staffed intervals in local time, in order, with closures cut out.</summary>
    internal static List<(DateTime From, DateTime To)> OpenSegments(BusinessCalendar calendar, DateOnly day)
    {
        var segments = new List<(DateTime From, DateTime To)>();
        if (calendar.Holidays.Contains(day)) return segments;
        var midnight = day.ToDateTime(TimeOnly.MinValue);
        var nextMidnight = midnight.AddDays(1);
        if (!calendar.HasWeeklyHours)
            segments.Add((midnight, nextMidnight));
        else
        {
            foreach (var hours in calendar.HoursOn(day.DayOfWeek).OrderBy(h => h.From))
                segments.Add((day.ToDateTime(hours.From), hours.To is { } to ? day.ToDateTime(to) : nextMidnight));
        }
        foreach (var closure in calendar.Closures)
        {
            var cut = new List<(DateTime From, DateTime To)>();
            foreach (var (from, to) in segments)
            {
                if (closure.ToLocal <= from || closure.FromLocal >= to) { cut.Add((from, to)); continue; }
                if (closure.FromLocal > from) cut.Add((from, closure.FromLocal));
                if (closure.ToLocal < to) cut.Add((closure.ToLocal, to));
            }
            segments = cut;
        }
        return segments;
    }

    private static DateTimeOffset ToInstant(BusinessCalendar calendar, DateTime local)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        // In UTC: instants are stored and compared as such (PostgreSQL timestamptz takes offset 0 only).
        return new DateTimeOffset(unspecified, calendar.TimeZone.GetUtcOffset(unspecified)).ToUniversalTime();
    }
}
