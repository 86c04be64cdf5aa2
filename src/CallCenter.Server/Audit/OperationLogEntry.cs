namespace CallCenter.Server.Audit;

/// <summary>
/// One staff operation (time, operator, action, target, result), kept at least three years
/// (requirements: operation logs). Written in the same transaction as the change it describes.
/// </summary>
public sealed class OperationLogEntry
{
    public long Id { get; private set; }
    public DateTimeOffset OccurredAt { get; init; }
    /// <summary>Work number of who did it, or "system" / "anonymous" for failed logins.</summary>
    public required string Operator { get; init; }
    public required string Action { get; init; }
    public required string Target { get; init; }
    /// <summary>succeeded, refused or failed.</summary>
    public required string Result { get; init; }
    public string? Details { get; init; }
}
