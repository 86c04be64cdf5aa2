namespace CallCenter.Core.Channels;

/// <summary>Where a non-phone request stands against its due time.</summary>
public enum TimelinessOutcome
{
    /// <summary>Handled at or before its due time.</summary>
    OnTime,
    /// <summary>Handled after its due time, or still open after it.</summary>
    Late,
    /// <summary>Still open and not yet due: it can still be on time, so it is counted in neither.</summary>
    Pending,
}

/// <summary>Non-phone timeliness (art. 17): requests handled within their due time ÷ all non-phone requests.</summary>
public static class Timeliness
{
    /// <summary>How the published figure is defined; every report carries it.</summary>
    public const string Definition =
        "Non-phone timeliness = requests (SMS, e-mail incl. fax, web) whose first answer to the customer was sent at or before " +
        "their due time ÷ all requests received in the period whose outcome is known (answered, or past due unanswered). " +
        "Due time = arrival + the category's working time on the line's business calendar; open requests not yet due are shown as pending.";

    /// <summary>Classifies one request at <paramref name="now"/>.</summary>
    public static TimelinessOutcome Classify(DateTimeOffset dueAt, DateTimeOffset? handledAt, DateTimeOffset now) => handledAt switch
    {
        { } handled => handled <= dueAt ? TimelinessOutcome.OnTime : TimelinessOutcome.Late,
        null => now > dueAt ? TimelinessOutcome.Late : TimelinessOutcome.Pending,
    };
}

/// <summary>Counts of requests by timeliness outcome; they add up across channels, days and weeks.</summary>
public sealed record TimelinessTotals(int OnTime, int Late, int Pending)
{
    /// <summary>Nothing counted yet.</summary>
    public static TimelinessTotals Empty { get; } = new(0, 0, 0);

    /// <summary>Requests whose outcome is known: the denominator.</summary>
    public int Decided => OnTime + Late;

    /// <summary>On time ÷ decided, or null when nothing is decided.</summary>
    public double? Rate => Decided == 0 ? null : (double)OnTime / Decided;

    /// <summary>Adds one request's outcome.</summary>
    public TimelinessTotals Add(TimelinessOutcome outcome) => outcome switch
    {
        TimelinessOutcome.OnTime => this with { OnTime = OnTime + 1 },
        TimelinessOutcome.Late => this with { Late = Late + 1 },
        _ => this with { Pending = Pending + 1 },
    };

    public static TimelinessTotals operator +(TimelinessTotals a, TimelinessTotals b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new(a.OnTime + b.OnTime, a.Late + b.Late, a.Pending + b.Pending);
    }
}
