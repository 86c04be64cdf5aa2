namespace CallCenter.Server.Data;

/// <summary>Database behaviour at start-up.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>Apply pending migrations when the host starts (development); production runs `callcenter db migrate`.</summary>
    public bool MigrateOnStartup { get; set; }
}
