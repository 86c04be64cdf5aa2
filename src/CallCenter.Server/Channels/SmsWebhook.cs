using System.Diagnostics;
using System.Text.RegularExpressions;
using CallCenter.Core.Channels;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Microsoft.EntityFrameworkCore;
using Twilio.TwiML;

namespace CallCenter.Server.Channels;

/// <summary>
/// `POST /twilio/messaging/incoming`: Twilio Messaging's webhook for inbound SMS, signature-checked like the voice
/// webhooks. A message is, in this order: a retried delivery (nothing happens), an opt-out or a survey rating, a
/// follow-up to the sender's open request, or a new request. An MMS's media items are registered with it (<see cref="MmsMedia"/>).
/// </summary>
public static partial class SmsWebhook
{
    public const string Path = "/twilio/messaging/incoming";

    public static IEndpointRouteBuilder MapSmsWebhook(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/twilio/messaging")
            .AddEndpointFilter<TwilioSignatureFilter>()
            // The signature is the forgery defence for these form posts.
            .DisableAntiforgery()
            .ExcludeFromDescription()
            .MapPost("/incoming", IncomingAsync).WithName("TwilioMessagingIncoming");
        return routes;
    }

    [GeneratedRegex("^(SM|MM)[0-9a-fA-F]{32}$")]
    private static partial Regex MessageSidPattern();

    [GeneratedRegex(@"^\+?[0-9]{3,15}$")]
    private static partial Regex NumberPattern();

    internal static async Task<IResult> IncomingAsync(
        HttpRequest request, ServiceRequestIntake intake, SurveyService surveys, MmsMedia mms, CallCenterDbContext db, ICallEventLog callLog,
        TimeProvider clock, CallCenterTelemetry telemetry, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var errors = new Dictionary<string, string[]>();
        var sid = form["MessageSid"].ToString();
        var from = form["From"].ToString();
        var to = form["To"].ToString();
        var body = form["Body"].ToString().Trim();
        if (!MessageSidPattern().IsMatch(sid)) errors["MessageSid"] = ["MessageSid must be SM or MM followed by 32 hex digits."];
        if (!NumberPattern().IsMatch(from)) errors["From"] = ["From must be a phone number."];
        if (!NumberPattern().IsMatch(to)) errors["To"] = ["To must be a phone number."];
        var media = MmsMedia.Parse(form, errors);
        if (body.Length == 0 && media.Count == 0) errors["Body"] = ["Body is empty and there is no media: there is nothing to answer."];
        if (body.Length > 1600) errors["Body"] = ["Body is longer than an SMS can be (1600 characters)."];
        if (errors.Count > 0)
        {
            telemetry.Webhooks.Add(1, new("route", "sms"), new("outcome", "invalid"));
            return TypedResults.ValidationProblem(errors, title: "Malformed Twilio messaging request");
        }
        Activity.Current?.SetTag("message.sid", sid);

        var account = form["AccountSid"].ToString();
        if (await db.ServiceRequestMessages.Where(m => m.ExternalId == sid).Select(m => (long?)m.RequestId).FirstOrDefaultAsync(ct) is { } repeated)
        {
            // Registered again (a no-op when it got in): the first delivery may have failed after storing the text.
            if (media.Count > 0)
                await mms.RegisterAsync(await db.ServiceRequests.AsNoTracking().SingleAsync(r => r.Id == repeated, ct), account, sid, media, ct);
            return Answered(telemetry, "replayed");
        }
        if (media.Count == 0 && await surveys.TryHandleReplyAsync(from, body, sid, ct))
            return Answered(telemetry, "survey");

        // A second text while the first is still open belongs to the same request, not a new one.
        var open = await db.ServiceRequests.AsNoTracking()
            .Where(r => r.Channel == RequestChannel.Sms && r.Contact == from && r.Status == ServiceRequestStatus.Open && r.ExternalId != sid)
            .OrderByDescending(r => r.ReceivedAt).FirstOrDefaultAsync(ct);
        if (open is not null)
        {
            var now = clock.GetUtcNow();
            var added = await db.Database.ExecuteSqlAsync($"""
                INSERT INTO service_request_messages (request_id, direction, body, external_id, at)
                VALUES ({open.Id}, 'in', {body}, {sid}, {now}) ON CONFLICT (external_id) DO NOTHING
                """, ct);
            await callLog.AppendAsync(new NewCallEvent(open.Stream, "request.message_received", "message:" + sid, now,
                CallEventPayload.Serialize(new { messageSid = sid, length = body.Length })), ct);
            await mms.RegisterAsync(open, account, sid, media, ct);
            return Answered(telemetry, added == 1 ? "follow_up" : "replayed");
        }

        var result = await intake.ReceiveAsync(new IncomingRequest(RequestChannel.Sms, sid, from, to, null, null, body), [], ct);
        await mms.RegisterAsync(result.Request, account, sid, media, ct);
        return Answered(telemetry, result.Created ? "new" : "replayed");
    }

    // An empty <Response/>: the agent answers later over REST, not in this webhook's reply.
    private static IResult Answered(CallCenterTelemetry telemetry, string outcome)
    {
        telemetry.Webhooks.Add(1, new("route", "sms"), new("outcome", outcome));
        return Twiml.Ok(new MessagingResponse());
    }
}
