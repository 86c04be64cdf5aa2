using System.ComponentModel.DataAnnotations;

namespace CallCenter.Server.Telephony;

/// <summary>Twilio account settings; secrets come from configuration or the environment, never the repo.</summary>
public sealed class TwilioOptions
{
    public const string SectionName = "Twilio";

    /// <summary>Signs and verifies every webhook (environment Twilio__AuthToken).</summary>
    [Required]
    public string AuthToken { get; set; } = "";

    /// <summary>The public base URL Twilio calls, e.g. https://hotline.bank.example; signatures cover it, not the proxy's view.</summary>
    [Required]
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>E.164 number the fallback URL dials when the server cannot serve calls normally (a backup site).</summary>
    public string? FallbackNumber { get; set; }
}
