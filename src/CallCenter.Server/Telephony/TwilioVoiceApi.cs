using System.Diagnostics;
using CallCenter.Core.Privacy;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
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
        return routes;
    }

    internal static async Task<IResult> IncomingAsync(
        HttpRequest request, CallCenterDbContext db, ICallEventLog callLog, IvrCallHandler ivr, TimeProvider clock,
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
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO calls (call_sid, account_sid, from_number, to_number, direction, status, started_at, updated_at)
            VALUES ({callSid}, {accountSid}, {from}, {to}, {direction}, 'ringing', {now}, {now})
            ON CONFLICT (call_sid) DO NOTHING
            """, ct);
        var payload = CallEventPayload.Serialize(new { from = PhoneNumberMask.Mask(from), to, direction });
        var result = await callLog.AppendAsync(new NewCallEvent(callSid, "call.incoming", "incoming", now, payload), ct);

        telemetry.Webhooks.Add(1, new("route", "incoming"), new("outcome", result.Appended ? "new" : "replayed"));
        return Twiml.Ok(await ivr.StartAsync(callSid, to, ct));
    }

    internal static async Task<IResult> StatusAsync(
        HttpRequest request, CallCenterDbContext db, ICallEventLog callLog, TimeProvider clock,
        CallCenterTelemetry telemetry, Routing.AcdHost acd, CancellationToken ct)
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
        var call = await db.Calls.SingleOrDefaultAsync(c => c.CallSid == callSid, ct);
        if (call is null)
        {
            telemetry.Webhooks.Add(1, new("route", "status"), new("outcome", "unknown_call"));
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest,
                title: "Unknown CallSid", detail: $"No call {callSid} was started through /twilio/voice/incoming.");
        }

        var now = clock.GetUtcNow();
        var payload = CallEventPayload.Serialize(new { status, duration });
        var result = await callLog.AppendAsync(new NewCallEvent(callSid, "call.status", $"status:{status}", now, payload), ct);

        // Callbacks can arrive out of order; a final status is never replaced by an earlier one.
        if (!VoiceWebhookForm.FinalStatuses.Contains(call.Status))
        {
            call.Status = status;
            call.UpdatedAt = now;
            if (VoiceWebhookForm.FinalStatuses.Contains(status))
            {
                call.EndedAt = now;
                call.DurationSeconds = duration;
            }
            await db.SaveChangesAsync(ct);
        }

        // A caller gone while queued or ringing abandoned; a connected call ended. Repeats change nothing.
        if (VoiceWebhookForm.FinalStatuses.Contains(status))
            await acd.CallEndedAsync(callSid, ct);

        telemetry.Webhooks.Add(1, new("route", "status"), new("outcome", result.Appended ? "new" : "replayed"));
        return TypedResults.NoContent();
    }
}
