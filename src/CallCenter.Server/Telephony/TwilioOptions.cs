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

    /// <summary>The account the REST API acts for (environment Twilio__AccountSid); without it calls cannot be moved to agents.</summary>
    public string? AccountSid { get; set; }

    /// <summary>Where REST requests go instead of https://api.twilio.com (a test double or an egress proxy); null means Twilio itself.</summary>
    public Uri? ApiBaseUrl { get; set; }

    /// <summary>Longest one REST request may take; it must stay well inside an agent's ring timeout.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:10")]
    public TimeSpan RestTimeout { get; set; } = TimeSpan.FromSeconds(4);
}
