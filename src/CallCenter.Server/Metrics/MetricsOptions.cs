using System.ComponentModel.DataAnnotations;
using CallCenter.Core.Metrics;

namespace CallCenter.Server.Metrics;

/// <summary>How the metrics worker runs and which service-level definition it publishes under.</summary>
public sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>
    /// Folds the call log into the rollups on this instance; false on webhook instances, whose requests would otherwise
    /// queue behind each fold's burst of work. The rollups need at least one instance with it on (they take turns).
    /// </summary>
    public bool RunWorkers { get; set; } = true;

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

    /// <summary>IANA time zone of the centre: where "today" starts on the wallboard and how days and weeks are cut in reports.</summary>
    public string TimeZone { get; set; } = "Asia/Shanghai";

    /// <summary>Call-log events folded per transaction; a backlog is worked through in batches of this size.</summary>
    [Range(100, 1_000_000)]
    public int BatchSize { get; set; } = 20_000;

    /// <summary>Lowest post-call survey score (1–5 keypad) that counts as a satisfied customer.</summary>
    [Range(1, 5)]
    public int SatisfiedFrom { get; set; } = 4;

    /// <summary>Repeat-contact window for the stored first-call-resolution figures, in days.</summary>
    [Range(1, 30)]
    public int FcrWindowDays { get; set; } = 7;

    public TimeZoneInfo Zone => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);

    public ServiceLevelPolicy Policy => new(ServiceLevelVersion, ServiceLevelThreshold, ServiceLevelTarget, ShortAbandon, AbandonsCount, CallbacksCount);
}
