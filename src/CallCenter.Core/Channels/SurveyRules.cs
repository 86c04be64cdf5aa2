namespace CallCenter.Core.Channels;

/// <summary>Whether a customer is asked for a survey now, and why not.</summary>
public enum SurveyDecision
{
    Send,
    /// <summary>The customer asked not to be surveyed.</summary>
    OptedOut,
    /// <summary>The customer was already asked within the configured period.</summary>
    SurveyedRecently,
    /// <summary>No way to reach or recognise the customer.</summary>
    NoCustomer,
}

/// <summary>Survey eligibility and the customer's SMS answers: a rating digit, or a request to stop.</summary>
public static class SurveyRules
{
    private static readonly string[] OptOutWords = ["STOP", "UNSUBSCRIBE", "TD", "退订"];

    /// <summary>One survey per customer per <paramref name="period"/>, never to a customer who opted out.</summary>
    public static SurveyDecision Decide(string? customerKey, bool optedOut, DateTimeOffset? lastSurveyedAt, DateTimeOffset now, TimeSpan period)
    {
        if (string.IsNullOrWhiteSpace(customerKey)) return SurveyDecision.NoCustomer;
        if (optedOut) return SurveyDecision.OptedOut;
        if (lastSurveyedAt is { } last && now - last < period) return SurveyDecision.SurveyedRecently;
        return SurveyDecision.Send;
    }

    /// <summary>A reply that is one rating digit 1–5 (spaces and a full stop around it allowed); otherwise null.</summary>
    public static int? ParseRating(string? reply)
    {
        var text = reply?.Trim().TrimEnd('.', '。').Trim();
        return text is [>= '1' and <= '5'] ? text[0] - '0' : null;
    }

    /// <summary>Whether a reply asks to receive no more surveys (STOP, UNSUBSCRIBE, TD, 退订).</summary>
    public static bool IsOptOut(string? reply)
    {
        var text = reply?.Trim();
        return !string.IsNullOrEmpty(text) && OptOutWords.Any(w => string.Equals(text, w, StringComparison.OrdinalIgnoreCase));
    }
}
