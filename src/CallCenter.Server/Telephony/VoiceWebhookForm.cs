using System.Text.RegularExpressions;

namespace CallCenter.Server.Telephony;

/// <summary>Reads and checks the Twilio voice parameters a webhook needs, naming each bad field.</summary>
internal static partial class VoiceWebhookForm
{
    public static readonly IReadOnlySet<string> CallStatuses = new HashSet<string>(StringComparer.Ordinal)
    {
        "queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled",
    };

    public static readonly IReadOnlySet<string> FinalStatuses = new HashSet<string>(StringComparer.Ordinal)
    {
        "completed", "busy", "failed", "no-answer", "canceled",
    };

    [GeneratedRegex("^CA[0-9a-fA-F]{32}$")]
    private static partial Regex CallSidPattern();

    public static string? Required(IFormCollection form, string name, Dictionary<string, string[]> errors)
    {
        var value = form[name].ToString();
        if (value.Length > 0) return value;
        errors[name] = [$"{name} is required."];
        return null;
    }

    public static string? CallSid(IFormCollection form, Dictionary<string, string[]> errors)
    {
        var sid = Required(form, "CallSid", errors);
        if (sid is null || CallSidPattern().IsMatch(sid)) return sid;
        errors["CallSid"] = ["CallSid must be 'CA' followed by 32 hexadecimal digits."];
        return null;
    }
}
