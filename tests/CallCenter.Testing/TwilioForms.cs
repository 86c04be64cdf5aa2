namespace CallCenter.Testing;

/// <summary>Builds Twilio voice webhook forms with valid defaults, in Twilio's own parameter names.</summary>
public static class TwilioForms
{
    public const string AccountSid = "AC00000000000000000000000000000001";

    /// <summary>The number ivr-flows/bank-hotline.yaml answers.</summary>
    public const string BankHotline = "+862100000000";

    public static string NewCallSid() => "CA" + Guid.NewGuid().ToString("N");

    public static Dictionary<string, string> Incoming(string callSid, string from = "+8613812345678", string to = BankHotline) => new()
    {
        ["CallSid"] = callSid,
        ["AccountSid"] = AccountSid,
        ["From"] = from,
        ["To"] = to,
        ["CallStatus"] = "ringing",
        ["Direction"] = "inbound",
        ["ApiVersion"] = "2010-04-01",
    };

    public static Dictionary<string, string> Status(string callSid, string status, int? durationSeconds = null)
    {
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = callSid,
            ["AccountSid"] = AccountSid,
            ["CallStatus"] = status,
        };
        if (durationSeconds is { } d) form["CallDuration"] = d.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return form;
    }
}
