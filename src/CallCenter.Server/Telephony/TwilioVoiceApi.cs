using System.Diagnostics;
using CallCenter.Core.Privacy;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Channels;
using CallCenter.Server.Degraded;
using CallCenter.Server.Ivr;
using CallCenter.Server.Telemetry;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Telephony;

/// <summary>The Twilio voice webhooks: the first request of every call and its status callbacks.</summary>
public static class TwilioVoiceApi
{
    public static IEndpointRouteBuilder MapTwilioVoiceApi(this IEndpointRouteBuilder routes)
    {
        var voice = routes.MapGroup("/twilio/voice")
            .AddEndpointFilter<TwilioSignatureFilter>()
            // The signature is the forgery defence for these form posts.
            .DisableAntiforgery()
            .ExcludeFromDescription();
        voice.MapPost("/incoming", IncomingAsync).WithName("TwilioVoiceIncoming");
        voice.MapPost("/status", StatusAsync).WithName("TwilioVoiceStatus");
        voice.MapIvrWebhooks();
        voice.MapFallbackWebhook();
        voice.MapCallbackRequestWebhook();
        voice.MapSurgeCallbackWebhook();
        voice.MapCallSurveyWebhook();
        return routes;
    }

    internal static async Task<IResult> IncomingAsync(
        HttpRequest request, ICallEventLog callLog, IvrCallHandler ivr, TimeProvider clock,
        CallCenterTelemetry telemetry, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var errors = new Dictionary<string, string[]>();
        var callSid = VoiceWebhookForm.CallSid(form, errors);
        var from = VoiceWebhookForm.Required(form, "From", errors);
        var to = VoiceWebhookForm.Required(form, "To", errors);
        if (errors.Count > 0 || callSid is null || from is null || to is null)
        {
            telemetry.Webhooks.Add(1, new("route", "incoming"), new("outcome", "invalid"));
            return TypedResults.ValidationProblem(errors, title: "Malformed Twilio voice request");
        }

        Activity.Current?.SetTag("call.sid", callSid);
        var now = clock.GetUtcNow();
        var accountSid = form["AccountSid"].ToString();
        var direction = form["Direction"] is { Count: > 0 } d ? d.ToString() : "inbound";
        // Through the call-log writer, so that while PostgreSQL is away the row is spooled in order with the call's events.
        await callLog.RecordCallAsync(new CallRowChange(callSid, now, "ringing", Started: true, accountSid, from, to, direction), ct);
        var payload = CallEventPayload.Serialize(new { from = PhoneNumberMask.Mask(from), to, direction });
        var result = await callLog.AppendAsync(new NewCallEvent(callSid, "call.incoming", "incoming", now, payload), ct);

        telemetry.Webhooks.Add(1, new("route", "incoming"), new("outcome", Outcome(result)));
        return await ivr.StartAsync(callSid, to, ct) is { } twiml
            ? Twiml.Ok(twiml)
            : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Call already in the IVR",
                detail: $"Call {callSid} has moved past its first reply.");
    }

    internal static async Task<IResult> StatusAsync(
        HttpRequest request, ICallEventLog callLog, TimeProvider clock,
        CallCenterTelemetry telemetry, Routing.AcdHost acd, IvrSessionStore ivrSessions, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var errors = new Dictionary<string, string[]>();
        var callSid = VoiceWebhookForm.CallSid(form, errors);
        var status = VoiceWebhookForm.Required(form, "CallStatus", errors);
        if (status is not null && !VoiceWebhookForm.CallStatuses.Contains(status))
            errors["CallStatus"] = [$"'{status}' is not a Twilio call status."];
        int? duration = null;
        if (form["CallDuration"] is { Count: > 0 } raw)
        {
            if (int.TryParse(raw.ToString(), out var seconds) && seconds >= 0) duration = seconds;
            else errors["CallDuration"] = ["CallDuration must be a whole number of seconds."];
        }
        if (errors.Count > 0 || callSid is null || status is null)
        {
            telemetry.Webhooks.Add(1, new("route", "status"), new("outcome", "invalid"));
            return TypedResults.ValidationProblem(errors, title: "Malformed Twilio status callback");
        }

        Activity.Current?.SetTag("call.sid", callSid);
        if (await IsUnknownCallAsync(request.HttpContext.RequestServices, callLog, ivrSessions, callSid, ct))
        {
            telemetry.Webhooks.Add(1, new("route", "status"), new("outcome", "unknown_call"));
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest,
                title: "Unknown CallSid", detail: $"No call {callSid} was started through /twilio/voice/incoming.");
        }

        var now = clock.GetUtcNow();
        var payload = CallEventPayload.Serialize(new { status, duration });
        var result = await callLog.AppendAsync(new NewCallEvent(callSid, "call.status", $"status:{status}", now, payload), ct);
        // Callbacks can arrive out of order; the writer never replaces a final status by an earlier one.
        // With the call's numbers, so that a final status reaching the database before the call's spooled start still ends its row.
        await callLog.RecordCallAsync(new CallRowChange(callSid, now, status,
            AccountSid: form["AccountSid"].ToString(), From: form["From"] is { Count: > 0 } from ? from.ToString() : null,
            To: form["To"] is { Count: > 0 } to ? to.ToString() : null, Direction: form["Direction"] is { Count: > 0 } d ? d.ToString() : null,
            DurationSeconds: VoiceWebhookForm.FinalStatuses.Contains(status) ? duration : null), ct);

        // A caller gone while queued or ringing abandoned; a connected call ended. Repeats change nothing.
        if (VoiceWebhookForm.FinalStatuses.Contains(status))
        {
            await acd.CallEndedAsync(callSid, ct);
            await ivrSessions.EndAsync(callSid);
        }

        telemetry.Webhooks.Add(1, new("route", "status"), new("outcome", Outcome(result)));
        return TypedResults.NoContent();
    }

    // While writes are spooled (PostgreSQL away, or its row may still be in the spool) the call cannot be looked up: it is taken on trust,
    // since the signature already proves Twilio sent it, and a caller's hang-up must still leave the ACD.
    // A call with an IVR session is known without the database: only the incoming webhook creates one, after recording the call's row.
    // The database context is taken only when it must be asked (a call that went straight to a person, or a session expired).
    private static async Task<bool> IsUnknownCallAsync(
        IServiceProvider requestServices, ICallEventLog callLog, IvrSessionStore ivrSessions, string callSid, CancellationToken ct)
    {
        if (callLog.IsSpooling || await ivrSessions.HoldsAsync(callSid)) return false;
        try
        {
            return !await requestServices.GetRequiredService<CallCenterDbContext>().Calls.AnyAsync(c => c.CallSid == callSid, ct);
        }
        catch (Exception ex) when (DependencyFailures.IsDatabaseUnavailable(ex))
        {
            return false;
        }
    }

    private static string Outcome(AppendResult result) => result.Spooled ? "spooled" : result.Appended ? "new" : "replayed";
}
