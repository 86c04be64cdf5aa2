namespace CallCenter.Server.CallLog;

/// <summary>One telephone call as Twilio reported it; the detailed story is in its call events.</summary>
public sealed class CallRecord
{
    public long Id { get; private set; }
    public required string CallSid { get; init; }
    public required string AccountSid { get; init; }
    /// <summary>The caller's number; shown to people only masked.</summary>
    public required string FromNumber { get; init; }
    public required string ToNumber { get; init; }
    public required string Direction { get; init; }
    public required string Status { get; set; }
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? EndedAt { get; set; }
    public int? DurationSeconds { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
