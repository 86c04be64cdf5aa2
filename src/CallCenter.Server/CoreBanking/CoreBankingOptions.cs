using System.ComponentModel.DataAnnotations;

namespace CallCenter.Server.CoreBanking;

/// <summary>Where the bank's core system is and how long a caller may wait for it.</summary>
public sealed class CoreBankingOptions
{
    public const string SectionName = "CoreBanking";

    /// <summary>Base URL of the core system's customer-service API; unset means self-service is offline.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Sent as a bearer token; from configuration or the environment, never the repo.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Everything, retries included, must fit inside a webhook's 3-second budget.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:02.800")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMilliseconds(2500);

    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:02.800")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMilliseconds(800);
}
