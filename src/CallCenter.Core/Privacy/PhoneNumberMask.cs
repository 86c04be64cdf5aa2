namespace CallCenter.Core.Privacy;

/// <summary>Masks telephone numbers for people and logs that do not need the whole number.</summary>
public static class PhoneNumberMask
{
    /// <summary>
    /// Keeps the first three national digits and the last four, e.g. +8613812345678 → +86138****5678,
    /// which is how Chinese banks print a caller number on a screen or a slip.
    /// </summary>
    public static string Mask(string? number)
    {
        if (string.IsNullOrEmpty(number)) return string.Empty;
        var prefix = number.StartsWith("+86", StringComparison.Ordinal) ? "+86" : number.StartsWith('+') ? "+" : "";
        var national = number[prefix.Length..];
        if (national.Length <= 4) return prefix + new string('*', national.Length);
        if (national.Length <= 7) return prefix + new string('*', national.Length - 4) + national[^4..];
        return prefix + national[..3] + new string('*', national.Length - 7) + national[^4..];
    }
}
