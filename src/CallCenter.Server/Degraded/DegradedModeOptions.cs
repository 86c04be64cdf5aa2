using System.ComponentModel.DataAnnotations;

namespace CallCenter.Server.Degraded;

/// <summary>How the server carries on while PostgreSQL or Redis does not answer (section <c>Degraded</c>).</summary>
public sealed class DegradedModeOptions
{
    public const string SectionName = "Degraded";

    /// <summary>
    /// Where call-log writes wait while PostgreSQL is unreachable. Local disk of this instance, one folder per instance
    /// (two processes must never share it); it must survive a restart, so not a tmpfs.
    /// </summary>
    [Required]
    public string SpoolDirectory { get; set; } = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "callcenter", "spool");

    /// <summary>Longest a call-log write waits for PostgreSQL before it is spooled instead (webhooks wait for it).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:02.500")]
    public TimeSpan DatabaseWriteTimeout { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>How often a non-empty spool tries PostgreSQL again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan DrainEvery { get; set; } = TimeSpan.FromSeconds(1);
}
