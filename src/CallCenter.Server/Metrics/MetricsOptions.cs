using System.ComponentModel.DataAnnotations;
using CallCenter.Core.Metrics;

namespace CallCenter.Server.Metrics;

/// <summary>How the metrics worker runs and which service-level definition it publishes under.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>How often the worker looks for new call events.</summary>
    public TimeSpan RunEvery { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Rollup interval; 15 minutes is the contact-centre norm.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Bump the version whenever any other field changes: published rows keep the version that made them.</summary>
    [Range(1, int.MaxValue)]
    public int ServiceLevelVersion { get; set; } = 1;

    public TimeSpan ServiceLevelThreshold { get; set; } = TimeSpan.FromSeconds(20);

    [Range(0.0, 1.0)]
    public double ServiceLevelTarget { get; set; } = 0.80;

    public TimeSpan ShortAbandon { get; set; } = TimeSpan.FromSeconds(5);

    public bool AbandonsCount { get; set; } = true;

    public bool CallbacksCount { get; set; }

    /// <summary>IANA time zone that decides where "today" starts on the wallboard.</summary>
    public string TimeZone { get; set; } = "Asia/Shanghai";

    public ServiceLevelPolicy Policy => new(ServiceLevelVersion, ServiceLevelThreshold, ServiceLevelTarget, ShortAbandon, AbandonsCount, CallbacksCount);
}
