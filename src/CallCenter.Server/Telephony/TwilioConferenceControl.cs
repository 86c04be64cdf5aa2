using CallCenter.Core.InCall;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Rest.Api.V2010.Account.Conference;
using CallRecording = Twilio.Rest.Api.V2010.Account.Call.RecordingResource;
using CreateCallRecordingOptions = Twilio.Rest.Api.V2010.Account.Call.CreateRecordingOptions;
using Twilio.TwiML;
using TwilioVoice = Twilio.TwiML.Voice;

namespace CallCenter.Server.Telephony;

/// <summary>A conference and one participant's call leg in it, as Twilio answered the participant's creation.</summary>
public sealed record ConferenceLeg(string ConferenceSid, string CallSid);

/// <summary>A change to a conference participant: only the properties set are sent.</summary>
public sealed record ParticipantChange
{
    public bool? Hold { get; init; }
    public bool? Muted { get; init; }
    public bool? Coaching { get; init; }
    /// <summary>The call SID of the agent a coaching supervisor speaks to.</summary>
    public string? CallSidToCoach { get; init; }
    /// <summary>TwiML played to this participant alone (the DTMF pad's digits).</summary>
    public Uri? AnnounceUrl { get; init; }
}

/// <summary>
/// The conference that bridges a caller to agents: add, change and remove participants (hold, mute, transfers,
/// three-way calls, supervisor coaching), end it, or take the caller out of it with new TwiML.
/// Each returns false or null (already logged) when Twilio did not take the request.
/// </summary>
public interface ITwilioConferenceControl
{
    /// <summary>Dials <paramref name="to"/> (client:… or an E.164 number) into the named conference under <paramref name="label"/>.</summary>
    Task<ConferenceLeg?> AddParticipantAsync(string conferenceName, string to, string from, string label, ParticipantChange? start, CancellationToken ct);

    Task<bool> UpdateParticipantAsync(string conferenceSid, string label, ParticipantChange change, CancellationToken ct);

    Task<bool> RemoveParticipantAsync(string conferenceSid, string label, CancellationToken ct);

    /// <summary>Ends the conference: every participant, the caller too, is hung up.</summary>
    Task<bool> EndConferenceAsync(string conferenceSid, CancellationToken ct);

    Task<bool> RedirectAsync(string callSid, string twiml, CancellationToken ct);

    /// <summary>
    /// Cancels a call we placed that nobody has answered yet (queued or ringing at Twilio); a call past that is left alone.
    /// Ending its conference does not reach such a call, and a customer answering later would find nobody there.
    /// </summary>
    Task CancelUnansweredAsync(string callSid, CancellationToken ct);
}

public sealed partial class TwilioCallControl : ITwilioConferenceControl
{
    /// <summary>Where Twilio's identity for the hotline's own legs comes from when it dials an agent's softphone.</summary>
    public const string HotlineClient = "client:hotline";

    /// <summary>
    /// The caller's TwiML once an agent takes the call: into the call's own conference, which ends when the caller
    /// leaves; until an agent's leg joins, the caller hears Twilio's wait music rather than silence. Participants leaving
    /// and the conference ending are reported to <paramref name="conferenceStatusCallback"/>.
    /// </summary>
    public static string ConferenceTwiml(string callSid, Uri conferenceStatusCallback)
    {
        var dial = new TwilioVoice.Dial();
        dial.Conference(InCallSession.ConferenceName(callSid), beep: TwilioVoice.Conference.BeepEnum.False,
            startConferenceOnEnter: false, endConferenceOnExit: true,
            statusCallbackEvent: [TwilioVoice.Conference.EventEnum.End, TwilioVoice.Conference.EventEnum.Leave],
            statusCallback: conferenceStatusCallback, statusCallbackMethod: Twilio.Http.HttpMethod.Post);
        return new VoiceResponse().Append(dial).ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
    }

    /// <summary>Where Twilio reports the conferences' participants leaving and their end.</summary>
    public Uri ConferenceStatusCallback => new(options.Value.PublicBaseUrl!.ToString().TrimEnd('/') + InCall.ConferenceStatusWebhook.Path);

    /// <summary>
    /// Caller first (a failure there leaves them in Twilio's queue), then the agent's softphone, then the recording:
    /// caller and everyone else on separate channels, started on the caller's call so the archive's callback and the
    /// agent's pause button work as with a plain dial.
    /// </summary>
    public async Task<ConferenceLeg?> ConnectToAgentAsync(string callSid, string agentId, CancellationToken ct)
    {
        if (!await RedirectAsync(callSid, ConferenceTwiml(callSid, ConferenceStatusCallback), ct))
            return null;
        var leg = await AddParticipantAsync(InCallSession.ConferenceName(callSid), "client:" + ClientIdentity(agentId), HotlineClient,
            InCallSession.AgentLabel(agentId), null, ct);
        if (leg is null)
            return null;
        var callback = new Uri(options.Value.PublicBaseUrl!.ToString().TrimEnd('/') + RecordingCallbackPath);
        if (!await SendAsync(callSid, "recording start", client => CallRecording.CreateAsync(new CreateCallRecordingOptions(callSid)
            {
                RecordingChannels = "dual",
                RecordingStatusCallback = callback,
                RecordingStatusCallbackMethod = Twilio.Http.HttpMethod.Post,
                RecordingStatusCallbackEvent = ["completed"],
            }, client), ct))
        {
            // The caller is with the agent already; dropping them would be worse than a gap the integrity check reports.
            logger.LogError("Call {CallSid} is connected to {Agent} but its recording did not start", callSid, agentId);
        }
        return leg;
    }

    public async Task<ConferenceLeg?> AddParticipantAsync(string conferenceName, string to, string from, string label, ParticipantChange? start,
        CancellationToken ct)
    {
        ConferenceLeg? leg = null;
        var shown = to.StartsWith("client:", StringComparison.Ordinal) ? to : Core.Privacy.PhoneNumberMask.Mask(to);
        var added = await SendAsync(conferenceName, $"participant {label} ({shown})", async client =>
        {
            var participant = await ParticipantResource.CreateAsync(new CreateParticipantOptions(conferenceName,
                new Twilio.Types.PhoneNumber(from), new Twilio.Types.PhoneNumber(to))
            {
                Label = label,
                Beep = "false",
                // The call ends with the caller; agents and parties may come and go around them.
                EndConferenceOnExit = false,
                StartConferenceOnEnter = true,
                Muted = start?.Muted,
                Coaching = start?.Coaching,
                CallSidToCoach = start?.CallSidToCoach,
                // Twilio keeps the conference callback of whichever participant joins first (caller by TwiML or this leg), so
                // every participant asks for the same one.
                ConferenceStatusCallback = ConferenceStatusCallback,
                ConferenceStatusCallbackMethod = Twilio.Http.HttpMethod.Post,
                ConferenceStatusCallbackEvent = [.. InCall.ConferenceStatusWebhook.Events],
            }, client);
            leg = new ConferenceLeg(participant.ConferenceSid, participant.CallSid);
        }, ct);
        return added ? leg : null;
    }

    public Task<bool> UpdateParticipantAsync(string conferenceSid, string label, ParticipantChange change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        return SendAsync(conferenceSid, $"participant {label} update", client => ParticipantResource.UpdateAsync(
            new UpdateParticipantOptions(conferenceSid, label)
            {
                Hold = change.Hold,
                Muted = change.Muted,
                Coaching = change.Coaching,
                CallSidToCoach = change.CallSidToCoach,
                AnnounceUrl = change.AnnounceUrl,
                AnnounceMethod = change.AnnounceUrl is null ? null : Twilio.Http.HttpMethod.Post,
            }, client), ct);
    }

    public Task<bool> RemoveParticipantAsync(string conferenceSid, string label, CancellationToken ct) =>
        SendAsync(conferenceSid, $"participant {label} removal", client => ParticipantResource.DeleteAsync(
            new DeleteParticipantOptions(conferenceSid, label), client), ct);

    public Task<bool> EndConferenceAsync(string conferenceSid, CancellationToken ct) =>
        SendAsync(conferenceSid, "conference end", client => ConferenceResource.UpdateAsync(
            new UpdateConferenceOptions(conferenceSid) { Status = ConferenceResource.UpdateStatusEnum.Completed }, client), ct);
}
