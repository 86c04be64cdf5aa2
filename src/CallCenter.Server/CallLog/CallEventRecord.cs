namespace CallCenter.Server.CallLog;

/// <summary>
/// One row of the append-only call log: numbered globally and per call, chained to the row
/// before it by SHA-256 so that any edit, insertion or deletion shows on verification.
/// </summary>
public sealed class CallEventRecord
{
    public long GlobalSeq { get; init; }
    public required string CallSid { get; init; }
    public int CallSeq { get; init; }
    public required string Type { get; init; }
    /// <summary>Idempotency key: a replayed webhook maps to the same (call, step) and is not written twice.</summary>
    public required string StepKey { get; init; }
    public DateTimeOffset OccurredAt { get; init; }
    /// <summary>JSON kept byte-for-byte (json, not jsonb) because the hash covers its exact text.</summary>
    public required string Payload { get; init; }
    public required byte[] PrevHash { get; init; }
    public required byte[] Hash { get; init; }
}
