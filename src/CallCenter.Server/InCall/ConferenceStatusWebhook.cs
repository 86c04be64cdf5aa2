using System.Diagnostics;
using CallCenter.Core.InCall;
using CallCenter.Core.Routing;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Degraded;
using CallCenter.Server.Routing;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;

namespace CallCenter.Server.InCall;

/// <summary>
/// Twilio's conference status callback for the calls' conferences (<c>POST /twilio/voice/conference-status</c>, signed like every
/// webhook). It is set on the caller's <c>&lt;Dial&gt;&lt;Conference statusCallback&gt;</c> and on every participant added over REST
/// (<c>ConferenceStatusCallback</c>), because Twilio keeps the value of whichever participant joins first. A participant leaving
/// on their own is acted on: the caller hanging up ends the call (the agents go to wrap-up), the owner's softphone dropping
/// holds the caller, a party hanging up leaves the call. Each leave and the conference's end are written to the call log once,
/// keyed by conference and leg, so Twilio's retries change nothing.
/// </summary>
public static class ConferenceStatusWebhook
{
    public const string Path = "/twilio/voice/conference-status";

    /// <summary>The conference events subscribed: participants leaving and the conference ending are what the call acts on.</summary>
    public static readonly IReadOnlyList<string> Events = ["end", "leave"];

    public static RouteGroupBuilder MapConferenceStatusWebhook(this RouteGroupBuilder voice)
    {
        voice.MapPost("/conference-status", HandleAsync).WithName("TwilioVoiceConferenceStatus");
        return voice;
    }

    internal static async Task<IResult> HandleAsync(HttpRequest request, CallCenterDbContext db, CallLocks locks, AcdHost acd,
        ITwilioConferenceControl twilio, ICallEventLog callLog, TimeProvider clock, CallCenterTelemetry telemetry, ILoggerFactory loggers,
        CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var errors = new Dictionary<string, string[]>();
        var conferenceSid = VoiceWebhookForm.Required(form, "ConferenceSid", errors);
        var name = VoiceWebhookForm.Required(form, "FriendlyName", errors);
        var kind = VoiceWebhookForm.Required(form, "StatusCallbackEvent", errors);
        var callSid = name is not null && name.StartsWith("call-", StringComparison.Ordinal) ? name["call-".Length..] : null;
        if (name is not null && callSid is not { Length: > 2 }) errors["FriendlyName"] = ["Not a conference of this call centre (call-<CallSid>)."];
        var leg = form["CallSid"].ToString();
        if (kind == "participant-leave" && leg.Length == 0) errors["CallSid"] = ["CallSid is required for participant-leave."];
        if (errors.Count > 0 || conferenceSid is null || callSid is null || kind is null)
        {
            telemetry.Webhooks.Add(1, new("route", "conference-status"), new("outcome", "invalid"));
            return TypedResults.ValidationProblem(errors, title: "Malformed Twilio conference status callback");
        }
        Activity.Current?.SetTag("call.sid", callSid);
        Activity.Current?.SetTag("conference.event", kind);
        if (kind is not ("participant-leave" or "conference-end"))
        {
            telemetry.Webhooks.Add(1, new("route", "conference-status"), new("outcome", "ignored"));
            return TypedResults.NoContent();
        }

        string outcome;
        try
        {
            // Under the call's lock: a leave caused by a command (a transfer, a party dropped) arrives while that command may still be
            // writing its own event; once it is written the leave is known to be expected.
            await using var held = await locks.AcquireAsync(callSid, CallLocks.DefaultWait, ct);
            if (held is null) return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Call busy",
                detail: $"{callSid} is busy with a command; Twilio may deliver this event again.");
            var call = await InCallSessions.LoadAsync(db, callSid, ct);
            if (call is null || call.ConferenceSid != conferenceSid)
                outcome = "unknown_conference";
            else if (kind == "conference-end")
                outcome = await ConferenceEndedAsync(call, form, acd, callLog, clock);
            else
                outcome = await ParticipantLeftAsync(call, leg, form, acd, twilio, callLog, clock, loggers.CreateLogger(typeof(ConferenceStatusWebhook)));
        }
        catch (Exception ex) when (DependencyFailures.IsDatabaseUnavailable(ex))
        {
            // Without the call log the state cannot be read; the caller hanging up must still free the agent.
            if (kind == "participant-leave" && leg == callSid) await acd.CallEndedAsync(callSid, ct);
            outcome = "degraded";
        }
        telemetry.Webhooks.Add(1, new("route", "conference-status"), new("outcome", outcome));
        return TypedResults.NoContent();
    }

    private static async Task<string> ParticipantLeftAsync(InCallSession call, string leg, IFormCollection form, AcdHost acd,
        ITwilioConferenceControl twilio, ICallEventLog callLog, TimeProvider clock, ILogger logger)
    {
        var label = form["ParticipantLabel"] is { Count: > 0 } l ? l.ToString() : null;
        var reason = Optional(form, "ReasonParticipantLeft");
        var leave = ConferenceLeaves.Classify(call, leg, label, ConferenceLeaves.IsConferenceEnding(reason));
        var appended = await callLog.AppendAsync(new NewCallEvent(call.CallSid, InCallSession.ParticipantLeftEvent,
            $"{InCallSession.ParticipantLeftEvent}:{call.ConferenceSid}:{leg}", clock.GetUtcNow(), CallEventPayload.Serialize(new
            {
                who = leave.Who.ToString(), label = leave.Who == Leaver.Caller ? InCallSession.CallerLabel : label, agent = leave.Agent,
                unexpected = leave.Unexpected, reason, callStatus = Optional(form, "ParticipantCallStatus"), at = Optional(form, "Timestamp"),
            })), CancellationToken.None);
        if (!appended.Appended) return "replayed";
        if (!leave.Unexpected) return "expected";

        // Twilio has acted already (the leg is gone): what follows must happen even if Twilio stops waiting for our answer.
        switch (leave.Who)
        {
            case Leaver.Caller:
                await acd.CallEndedAsync(call.CallSid, CancellationToken.None);
                break;
            case Leaver.Owner:
                // Nobody is left to talk to: the caller hears hold music rather than silence until the agent rejoins (POST …/rejoin) or ends the call.
                if (!call.CallerHeld && !await twilio.UpdateParticipantAsync(call.ConferenceSid, call.CallerLeg, new ParticipantChange { Hold = true }, CancellationToken.None))
                    logger.LogError("The softphone of {Agent} left call {CallSid}; the caller could not be put on hold", call.Owner, call.CallSid);
                else if (!call.CallerHeld)
                    await InCallSessions.AppendAsync(callLog, clock, call, InCallSession.HeldEvent, new { agent = call.Owner, reason = "agent_disconnected" });
                break;
            case Leaver.Agent:
                try
                {
                    await acd.LeaveCallAsync(leave.Agent!, call.CallSid, null, CancellationToken.None);
                }
                catch (IllegalTransitionException ex)
                {
                    logger.LogWarning("{Agent} left call {CallSid} at Twilio but not in the ACD: {Reason}", leave.Agent, call.CallSid, ex.Message);
                }
                break;
        }
        return "acted";
    }

    private static async Task<string> ConferenceEndedAsync(InCallSession call, IFormCollection form, AcdHost acd, ICallEventLog callLog,
        TimeProvider clock)
    {
        var endedBy = Optional(form, "CallSidEndingConference");
        var appended = await callLog.AppendAsync(new NewCallEvent(call.CallSid, InCallSession.ConferenceEndedEvent,
            $"{InCallSession.ConferenceEndedEvent}:{call.ConferenceSid}", clock.GetUtcNow(), CallEventPayload.Serialize(new
            {
                reason = Optional(form, "ReasonConferenceEnded"),
                endedBy = endedBy == call.CallSid ? InCallSession.CallerLabel : Optional(form, "ParticipantLabelEndingConference"),
                at = Optional(form, "Timestamp"),
            })), CancellationToken.None);
        // The conference outlived nothing of ours: the caller's leave (or the status callback) ends the call in the ACD too, so
        // whichever arrives first does it and the other is a no-op.
        if (appended.Appended && !call.Ended && endedBy == call.CallSid)
            await acd.CallEndedAsync(call.CallSid, CancellationToken.None);
        return appended.Appended ? "acted" : "replayed";
    }

    private static string? Optional(IFormCollection form, string name) => form[name] is { Count: > 0 } v && v.ToString().Length > 0 ? v.ToString() : null;
}
