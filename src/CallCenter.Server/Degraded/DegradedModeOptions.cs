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

    /// <summary>
    /// Group commit: while webhooks keep arriving, how long the call-log writer waits for more before writing, so that one
    /// write's fixed cost (the function call and its commit's WAL flush) is shared. A batch of 32 or more entries is written
    /// without waiting. Zero writes at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:00.050")]
    public TimeSpan CallLogLinger { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>How often a non-empty spool tries PostgreSQL again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan DrainEvery { get; set; } = TimeSpan.FromSeconds(1);
}
