using CallCenter.Core.InCall;
using CallCenter.Server.CallLog;
using CallCenter.Server.Telephony;

namespace CallCenter.Server.InCall;

/// <summary>
/// Bridges a call we place (a callback, an outbound project call) like a queued caller: the customer, once they answer, joins
/// the call's own conference (<c>call-&lt;call key&gt;</c>, <see cref="TwilioCallControl.ConferenceTwiml"/>), where the agent's
/// softphone is dialled in at once. The call-log event it writes is what gives the agent the in-call controls on the call key.
/// </summary>
public static class PlacedCallBridge
{
    /// <summary>
    /// Dials the agent into the conference and records the in-call state's start under <paramref name="callKey"/>. If Twilio will
    /// not dial the agent, the customer's call is hung up before it is answered (nobody would be there to talk to them): false.
    /// </summary>
    public static async Task<bool> DialAgentAsync(ITwilioConferenceControl conference, ICallEventLog callLog, string callKey, string line,
        string agentId, string customerCallSid, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(conference);
        ArgumentNullException.ThrowIfNull(callLog);
        // Not the request's token: the customer's call is placed already, so what follows must happen either way.
        var leg = await conference.AddParticipantAsync(InCallSession.ConferenceName(callKey), "client:" + TwilioCallControl.ClientIdentity(agentId),
            TwilioCallControl.HotlineClient, InCallSession.AgentLabel(agentId), null, CancellationToken.None);
        if (leg is null)
        {
            await conference.RedirectAsync(customerCallSid, new Twilio.TwiML.VoiceResponse().Hangup().ToString(), CancellationToken.None);
            return false;
        }
        // callerCallSid marks the call as placed by us (InCallSession.Outbound): it is never put in a queue.
        var payload = CallEventPayload.Serialize(new
        {
            agent = agentId, conferenceSid = leg.ConferenceSid, agentCallSid = leg.CallSid, callerCallSid = customerCallSid, line,
        });
        await callLog.AppendAsync(new NewCallEvent(callKey, InCallSession.ConferenceEvent, $"{InCallSession.ConferenceEvent}:{leg.ConferenceSid}:{agentId}", now,
            payload), CancellationToken.None);
        return true;
    }
}
