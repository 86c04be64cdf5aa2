using System.Globalization;

namespace CallCenter.Core.Outbound;

/// <summary>How one outbound attempt (a callback or a project call) ended.</summary>
public enum DialOutcome
{
    Answered,
    NoAnswer,
    Busy,
    Failed,
    /// <summary>The customer said no: never called again for this callback or project.</summary>
    Refused,
}

/// <summary>One attempt and when it was placed.</summary>
public sealed record DialAttempt(DateTimeOffset At, DialOutcome Outcome);

/// <summary>Local hours in which customers may be called; <see cref="To"/> is exclusive.</summary>
public sealed record CallingHours(TimeOnly From, TimeOnly To)
{
    /// <summary>09:00–21:00, a common rule for calls to consumers.</summary>
    public static CallingHours Default { get; } = new(new TimeOnly(9, 0), new TimeOnly(21, 0));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{From:HH\\:mm}–{To:HH\\:mm}");
}

/// <summary>Attempts allowed, the wait between them, and the customers' calling hours.</summary>
public sealed record DialRules(int MaxAttempts, TimeSpan RetryDelay, CallingHours Hours)
{
    public static DialRules Default { get; } = new(3, TimeSpan.FromHours(2), CallingHours.Default);
}

/// <summary>What to do about a customer now.</summary>
public abstract record DialDecision
{
    /// <summary>Place the call now.</summary>
    public sealed record DialNow : DialDecision;

    /// <summary>Not before <see cref="At"/> (retry delay, the customer's window or calling hours).</summary>
    public sealed record WaitUntil(DateTimeOffset At) : DialDecision;

    /// <summary>Never again: reached, refused, out of attempts or past the window.</summary>
    public sealed record Finished(string Reason) : DialDecision;
}

/// <summary>
/// Decides whether and when to call a customer again: at most <see cref="DialRules.MaxAttempts"/> attempts, none after a
/// refusal or an answer, the retry delay between attempts, inside the customer's own window and only within calling
/// hours in the customer's time zone. Pure: the instant comes in.
/// </summary>
public static class DialPlanner
{
    public static DialDecision Next(DialRules rules, IReadOnlyList<DialAttempt> attempts, TimeZoneInfo customerZone, DateTimeOffset now,
        DateTimeOffset? windowFrom = null, DateTimeOffset? windowTo = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(attempts);
        ArgumentNullException.ThrowIfNull(customerZone);
        if (attempts.Any(a => a.Outcome == DialOutcome.Answered)) return new DialDecision.Finished("reached");
        if (attempts.Any(a => a.Outcome == DialOutcome.Refused)) return new DialDecision.Finished("refused");
        if (attempts.Count >= rules.MaxAttempts) return new DialDecision.Finished($"{rules.MaxAttempts} attempts made");

        var earliest = now;
        if (attempts.Count > 0 && attempts.Max(a => a.At) + rules.RetryDelay > earliest) earliest = attempts.Max(a => a.At) + rules.RetryDelay;
        if (windowFrom > earliest) earliest = windowFrom.Value;
        earliest = IntoHours(rules.Hours, customerZone, earliest);
        if (earliest >= windowTo) return new DialDecision.Finished("the customer's window has passed");
        return earliest <= now ? new DialDecision.DialNow() : new DialDecision.WaitUntil(earliest);
    }

    /// <summary>Whether <paramref name="instant"/> is inside calling hours in the customer's zone.</summary>
    public static bool InHours(CallingHours hours, TimeZoneInfo zone, DateTimeOffset instant)
    {
        ArgumentNullException.ThrowIfNull(hours);
        var local = TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, zone).DateTime);
        return local >= hours.From && local < hours.To;
    }

    // The first instant at or after `at` inside calling hours, in the customer's zone.
    private static DateTimeOffset IntoHours(CallingHours hours, TimeZoneInfo zone, DateTimeOffset at)
    {
        if (InHours(hours, zone, at)) return at;
        var local = TimeZoneInfo.ConvertTime(at, zone).DateTime;
        var day = DateOnly.FromDateTime(local);
        if (TimeOnly.FromDateTime(local) >= hours.To) day = day.AddDays(1);
        var opening = day.ToDateTime(hours.From);
        return new DateTimeOffset(opening, zone.GetUtcOffset(opening)).ToUniversalTime();
    }
}
