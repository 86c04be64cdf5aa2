using CallCenter.Core.Channels;
using CallCenter.Server.Agents;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
using CallCenter.Server.Telemetry;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Channels;

/// <summary>
/// The agent's side of text requests. The ACD offers a request like a call (`GET /api/agent/offer`, accepted with
/// `POST /api/agent/offers/{id}/accept`, no caller to connect); the agent reads it here and replies, which sends the
/// answer by SMS or e-mail, ends the agent's handling (wrap-up follows as after a call) and sends a survey.
/// </summary>
public static class AgentRequestApi
{
    /// <summary>A request as the agent handling it sees it; the contact is masked (the reply goes out without the agent seeing it).</summary>
    public sealed record RequestView(string Reference, string Stream, RequestChannel Channel, string Category, string Contact, bool Verified,
        string? Subject, string Body, DateTimeOffset ReceivedAt, DateTimeOffset DueAt, ServiceRequestStatus Status,
        IReadOnlyList<MessageView> Messages, IReadOnlyList<AttachmentView> Attachments, IReadOnlyList<MediaView> Media);

    public sealed record MessageView(string Direction, string Body, DateTimeOffset At, string? Agent);

    public sealed record AttachmentView(string FileName, string ContentType, long Bytes);

    /// <summary>An MMS media item: "pending" while it is fetched from Twilio, then "stored" with its audited link, or "failed".</summary>
    public sealed record MediaView(long Id, string MessageSid, string ContentType, string State, long? Bytes, string? Url);

    public sealed record ReplyRequest(string? Text);

    public sealed record ReplyResult(string Reference, DateTimeOffset AnsweredAt, bool OnTime, bool SurveySent);

    public const int MaxSmsReply = 1600;
    public const int MaxEmailReply = 20_000;

    public static IEndpointRouteBuilder MapAgentRequestApi(this IEndpointRouteBuilder routes)
    {
        var requests = routes.MapGroup("/api/agent/requests").WithTags("Agent").RequireStaff()
            .AddEndpointFilter<AcdProblemFilter>()
            .ProducesProblem(StatusCodes.Status409Conflict);
        requests.MapGet("/{reference}", GetAsync).WithName("AgentGetRequest").WithSummary("The text request offered to you or in your hands.");
        requests.MapGet("/{reference}/media/{id:long}", MediaAsync).WithName("AgentGetRequestMedia")
            .WithSummary("One MMS media item of a request, for the agent holding it or QA staff and supervisors; every access is audited.")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        requests.MapPost("/{reference}/reply", ReplyAsync).WithName("AgentReplyToRequest")
            .WithSummary("Answer the request you hold: sent by SMS or e-mail; your handling ends and wrap-up starts.")
            .ProducesProblem(StatusCodes.Status502BadGateway);
        return routes;
    }

    private static async Task<Results<Ok<RequestView>, ProblemHttpResult>> GetAsync(
        string reference, HttpContext http, AcdHost acd, CallCenterDbContext db, CancellationToken ct)
    {
        var agent = await acd.AgentAsync(http.User.WorkNumber(), ct);
        var stream = ServiceRequest.StreamOf(reference);
        if (!agent.Texts.Any(t => t.CallSid == stream))
            return NotYours(reference);
        var request = await db.ServiceRequests.AsNoTracking().Include(r => r.Attachments).SingleOrDefaultAsync(r => r.Reference == reference, ct);
        if (request is null) return NotYours(reference);
        var messages = await db.ServiceRequestMessages.AsNoTracking().Where(m => m.RequestId == request.Id).OrderBy(m => m.At)
            .Select(m => new MessageView(m.Direction, m.Body, m.At, m.Agent)).ToListAsync(ct);
        var media = await db.ServiceRequestMedia.AsNoTracking().Where(m => m.RequestId == request.Id).OrderBy(m => m.ReceivedAt).ThenBy(m => m.MediaIndex)
            .Select(m => new { m.Id, m.MessageSid, m.ContentType, m.State, m.Bytes }).ToListAsync(ct);
        return TypedResults.Ok(new RequestView(request.Reference, request.Stream, request.Channel, request.Category,
            ServiceRequestIntake.MaskContact(request.Contact), request.CustomerId is not null, request.Subject, request.Body,
            request.ReceivedAt, request.DueAt, request.Status, messages,
            [.. request.Attachments.Select(a => new AttachmentView(a.FileName, a.ContentType, a.Bytes))],
            [.. media.Select(m => new MediaView(m.Id, m.MessageSid, m.ContentType, m.State, m.Bytes,
                m.State == MediaState.Stored ? $"/api/agent/requests/{request.Reference}/media/{m.Id}" : null))]));
    }

    private static async Task<IResult> MediaAsync(string reference, long id, HttpContext http, AcdHost acd, IAuthorizationService authorization,
        MmsMedia media, CancellationToken ct)
    {
        var mayReview = (await authorization.AuthorizeAsync(http.User, Archive.ArchiveApi.RecordingsPolicy)).Succeeded;
        var holds = !mayReview && (await acd.AgentAsync(http.User.WorkNumber(), ct)).Texts.Any(t => t.CallSid == ServiceRequest.StreamOf(reference));
        return await media.OpenAsync(reference, id, http, holds, mayReview, ct);
    }

    private static async Task<Results<Ok<ReplyResult>, ValidationProblem, ProblemHttpResult>> ReplyAsync(
        string reference, ReplyRequest body, HttpContext http, AcdHost acd, CallCenterDbContext db, ICallEventLog callLog,
        ISmsSender sms, IEmailSender email, SurveyService surveys, TimeProvider clock, ILoggerFactory loggers, CancellationToken ct)
    {
        var workNumber = http.User.WorkNumber();
        var request = await db.ServiceRequests.SingleOrDefaultAsync(r => r.Reference == reference, ct);
        var agent = await acd.AgentAsync(workNumber, ct);
        if (request is null || !agent.Texts.Any(t => t.CallSid == request.Stream))
            return NotYours(reference);
        var byEmail = SurveyService.IsEmail(request.Contact);
        var text = body.Text?.Trim() ?? "";
        var max = byEmail ? MaxEmailReply : MaxSmsReply;
        if (text.Length == 0 || text.Length > max)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["text"] = [$"text is 1 to {max} characters."] }, title: "Invalid reply");
        if (!agent.Holds(request.Stream))
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not allowed in your current state",
                detail: $"Accept request {reference} before replying to it.");

        // The claim: of two clicks on send, one sends; the other is refused before anything leaves.
        var claimed = await db.ServiceRequests.Where(r => r.Id == request.Id && r.Status == ServiceRequestStatus.Open)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, ServiceRequestStatus.Sending), ct);
        if (claimed == 0)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already answered",
                detail: $"Request {reference} has been answered or an answer is being sent.");

        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("channels.reply");
        activity?.SetTag("request.reference", reference);
        string messageId;
        try
        {
            // Not the request's token: once the provider may have taken the message, the outcome must be recorded either way.
            messageId = byEmail
                ? await email.SendAsync(request.Contact, "Re: " + (request.Subject ?? reference), text, request.ExternalId, CancellationToken.None)
                : await sms.SendAsync(request.Line, request.Contact, text, CancellationToken.None);
        }
        catch (ReplyNotSentException ex)
        {
            await db.ServiceRequests.Where(r => r.Id == request.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(r => r.Status, ServiceRequestStatus.Open), CancellationToken.None);
            var failedAt = clock.GetUtcNow();
            await callLog.AppendAsync(new NewCallEvent(request.Stream, "request.reply_failed", $"request.reply_failed:{failedAt.UtcTicks}", failedAt,
                CallEventPayload.Serialize(new { agent = workNumber, reason = ex.Message })), CancellationToken.None);
            loggers.CreateLogger(typeof(AgentRequestApi)).LogWarning("Reply to {Reference} not sent: {Reason}", reference, ex.Message);
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "The reply could not be sent",
                detail: ex.Message + " The request is still yours; try again.");
        }

        var now = clock.GetUtcNow();
        request.Status = ServiceRequestStatus.Answered;
        request.Agent = workNumber;
        request.AnsweredAt ??= now;
        db.ServiceRequestMessages.Add(new ServiceRequestMessage
        {
            RequestId = request.Id, Direction = "out", Body = text, ExternalId = messageId, Agent = workNumber, At = now,
        });
        await db.SaveChangesAsync(CancellationToken.None);
        var onTime = Timeliness.Classify(request.DueAt, request.AnsweredAt, now) == TimelinessOutcome.OnTime;
        await callLog.AppendAsync(new NewCallEvent(request.Stream, "request.answered", "request.answered", now, CallEventPayload.Serialize(new
        {
            agent = workNumber,
            channel = byEmail ? "email" : "sms",
            messageId,
            dueAt = request.DueAt,
            onTime,
        })), CancellationToken.None);
        await acd.EndCallAsync(workNumber, request.Stream, CancellationToken.None);
        var surveySent = await surveys.SendAfterRequestAsync(request, CancellationToken.None);
        return TypedResults.Ok(new ReplyResult(reference, request.AnsweredAt.Value, onTime, surveySent));
    }

    private static ProblemHttpResult NotYours(string reference) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Request not in your hands",
            detail: $"Request {reference} is not offered to you or being handled by you.");
}
