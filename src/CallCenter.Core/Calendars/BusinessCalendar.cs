namespace CallCenter.Core.Calendars;

/// <summary>One opening interval on a weekday, in the line's local time; <see cref="To"/> is exclusive.</summary>
/// <param name="From">Local opening time.</param>
/// <param name="To">Local closing time; null means "until midnight" so a line can be open to the end of the day.</param>
public sealed record OpeningHours(TimeOnly From, TimeOnly? To)
{
    /// <summary>True when the local time of day falls inside this interval.</summary>
    public bool Contains(TimeOnly local) => local >= From && (To is null || local < To.Value);
}

/// <summary>A one-off closure (system maintenance, typhoon day) in the line's local time, end exclusive.</summary>
public sealed record Closure(DateTime FromLocal, DateTime ToLocal, string? Reason);

/// <summary>
/// The opening calendar of one hotline: IANA time zone, weekly hours, public holidays and one-off closures.
/// Pure: the caller passes the instant, so the same calendar answers for a fixed test clock and for the server.
/// </summary>
public sealed class BusinessCalendar
{
    /// <summary>The default time zone: mainland China has no daylight saving, so local hours never shift.</summary>
    public const string DefaultTimeZoneId = "Asia/Shanghai";

    private readonly IReadOnlyDictionary<DayOfWeek, IReadOnlyList<OpeningHours>>? _weekly;
    private readonly HashSet<DateOnly> _holidays;

    /// <summary>Builds a calendar; <paramref name="weekly"/> null means open around the clock (7×24, the standard's default).</summary>
    public BusinessCalendar(
        string timeZoneId,
        IReadOnlyDictionary<DayOfWeek, IReadOnlyList<OpeningHours>>? weekly,
        IEnumerable<DateOnly>? holidays = null,
        IEnumerable<Closure>? closures = null)
    {
        TimeZoneId = timeZoneId;
        TimeZone = TimeZoneInfo.FindSystemTimeZoneById(timeZoneId);
        _weekly = weekly;
        _holidays = [.. holidays ?? []];
        Closures = [.. closures ?? []];
    }

    /// <summary>A 7×24 calendar in the default zone with no holidays.</summary>
    public static BusinessCalendar AlwaysOpen { get; } = new(DefaultTimeZoneId, weekly: null);

    /// <summary>IANA id of the line's time zone.</summary>
    public string TimeZoneId { get; }

    /// <summary>The resolved time zone.</summary>
    public TimeZoneInfo TimeZone { get; }

    /// <summary>Whether the line has weekly hours at all (false = 7×24).</summary>
    public bool HasWeeklyHours => _weekly is not null;

    /// <summary>Public holidays on which agents are not staffed.</summary>
    public IReadOnlyCollection<DateOnly> Holidays => _holidays;

    /// <summary>One-off closures.</summary>
    public IReadOnlyList<Closure> Closures { get; }

    /// <summary>The weekly intervals for a day (empty when closed that day or when the line is 7×24).</summary>
    public IReadOnlyList<OpeningHours> HoursOn(DayOfWeek day) =>
        _weekly is not null && _weekly.TryGetValue(day, out var hours) ? hours : [];

    /// <summary>Converts an instant to the line's local wall-clock time.</summary>
    public DateTime ToLocal(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, TimeZone).DateTime;

    /// <summary>Is the line staffed by agents at <paramref name="instant"/>?</summary>
    public bool IsOpen(DateTimeOffset instant)
    {
        var local = ToLocal(instant);
        foreach (var closure in Closures)
        {
            if (local >= closure.FromLocal && local < closure.ToLocal)
                return false;
        }

        if (_holidays.Contains(DateOnly.FromDateTime(local)))
            return false;

        if (_weekly is null)
            return true;

        var time = TimeOnly.FromDateTime(local);
        return HoursOn(local.DayOfWeek).Any(h => h.Contains(time));
    }
}
