using CallCenter.Core.Outbound;

namespace CallCenter.Server.Outbound;

/// <summary>Twilio's final status of an outbound call, read as the outcome of an attempt.</summary>
internal static class TwilioDialStatus
{
    /// <summary>The outcome of a final <c>CallStatus</c>; null for one that is not final (queued, ringing, in-progress).</summary>
    public static DialOutcome? Outcome(string? callStatus) => callStatus switch
    {
        "completed" => DialOutcome.Answered,
        "no-answer" => DialOutcome.NoAnswer,
        "busy" => DialOutcome.Busy,
        "failed" or "canceled" => DialOutcome.Failed,
        _ => null,
    };
}
