using System.ComponentModel.DataAnnotations;
using CallCenter.Core.Archive;

namespace CallCenter.Server.Archive;

/// <summary>The recording archive's settings (section "Archive"). Master keys come from the environment only.</summary>
public sealed class ArchiveOptions
{
    public const string SectionName = "Archive";

    /// <summary>Where recordings are stored: "Local" (a folder, <see cref="StorageDirectory"/>) or "S3" (<see cref="S3"/>).</summary>
    [RegularExpression("^(Local|S3)$", ErrorMessage = "Archive:Storage is Local or S3.")]
    public string Storage { get; set; } = "Local";

    /// <summary>Root folder of the local archive storage; relative paths are under the working directory.</summary>
    [Required]
    public string StorageDirectory { get; set; } = "archive";

    /// <summary>The S3-compatible bucket when <see cref="Storage"/> is "S3" (keys from the environment: Archive__S3__AccessKey / SecretKey).</summary>
    public S3StorageOptions S3 { get; set; } = new();

    /// <summary>
    /// Master keys by id, each base64 of 32 bytes (environment Archive__MasterKeys__&lt;id&gt;). Old ids stay
    /// listed after a rotation so older recordings remain readable.
    /// </summary>
    public Dictionary<string, string> MasterKeys { get; set; } = [];

    /// <summary>The master key that wraps new recordings' data keys (environment Archive__ActiveKeyId).</summary>
    public string? ActiveKeyId { get; set; }

    /// <summary>Run the ingest, retention and integrity workers in this instance (a web-only instance turns them off).</summary>
    public bool RunWorkers { get; set; } = true;

    /// <summary>How often the ingest worker looks for due jobs besides being woken by a callback.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan IngestPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a claimed job belongs to one worker; a worker that died releases it when this passes.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "06:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Delay after the first failure; doubled for each further one up to <see cref="RetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the retention sweep and the integrity check run.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan MaintenanceEvery { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Rows one sweep statement destroys; keeps each transaction short on a catalogue of millions.</summary>
    [Range(100, 1_000_000)]
    public int SweepBatchSize { get; set; } = 50_000;

    public RetentionOptions Retention { get; set; } = new();

    /// <summary>The retention policy this configuration describes; throws when it breaks the statutory floor.</summary>
    public RetentionPolicy RetentionPolicy() =>
        Core.Archive.RetentionPolicy.Create(Retention.Version, Retention.DefaultYears, Retention.Years);
}

/// <summary>Years to keep recordings per call category (Archive:Retention).</summary>
public sealed class RetentionOptions
{
    /// <summary>Named in every tombstone, so a later reader knows which rule destroyed a recording.</summary>
    public string Version { get; set; } = "retention-v1";

    public int DefaultYears { get; set; } = RetentionPolicy.StatutoryMinimumYears;

    /// <summary>Per-category overrides, e.g. Archive__Retention__Years__Service=7.</summary>
    public Dictionary<CallCategory, int> Years { get; set; } = [];
}
