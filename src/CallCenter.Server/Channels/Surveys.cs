using System.Security.Cryptography;
using CallCenter.Core.Channels;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Channels;

/// <summary>What became of a survey answer.</summary>
public enum SurveyAnswerOutcome
{
    Recorded,
    UnknownSurvey,
    AlreadyAnswered,
    Expired,
}

/// <summary>
/// Satisfaction surveys after text requests: sent by SMS or e-mail when the customer is eligible (not opted out, not
/// surveyed within the period), answered once by a reply digit or through the survey link. Every step goes to the
/// request's call-log stream.
/// </summary>
public sealed class SurveyService(
    CallCenterDbContext db, ICallEventLog callLog, ISmsSender sms, IEmailSender email, IOptions<ChannelOptions> options,
    IOptions<Telephony.TwilioOptions> twilio, TimeProvider clock, ILogger<SurveyService> logger)
{
    public const string SmsText =
        "感谢您联系本行。请回复1-5为本次服务评分（5=非常满意），回复TD退订。Thank you for contacting us: reply 1-5 to rate our service (5 = very satisfied), STOP to opt out.";

    /// <summary>After an agent answered a request: sends the survey if the customer is eligible; returns whether one was sent.</summary>
    public async Task<bool> SendAfterRequestAsync(ServiceRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.Value.Surveys;
        var now = clock.GetUtcNow();
        var optedOut = await db.SurveyOptOuts.AnyAsync(o => o.CustomerKey == request.CustomerKey || o.CustomerKey == request.Contact, ct);
        var last = await db.Surveys.Where(s => s.CustomerKey == request.CustomerKey).MaxAsync(s => (DateTimeOffset?)s.SentAt, ct);
        var decision = SurveyRules.Decide(request.CustomerKey, optedOut, last, now, settings.Period);
        if (decision != SurveyDecision.Send)
        {
            await AppendAsync(request.Stream, "survey.skipped", new { reason = decision.ToString() }, now, ct);
            return false;
        }

        var survey = new Survey
        {
            Token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(),
            CustomerKey = request.CustomerKey,
            Channel = request.Channel.ToString().ToLowerInvariant(),
            Subject = request.Reference,
            Queue = request.Queue,
            Agent = request.Agent,
            Contact = request.Contact,
            SentAt = now,
        };
        try
        {
            // Sent before it is stored: a survey the customer never received must not count as "surveyed recently".
            if (IsEmail(request.Contact))
                await email.SendAsync(request.Contact, "How did we do? / 服务评价", EmailText(survey.Token), inReplyTo: request.ExternalId, ct);
            else
                await sms.SendAsync(request.Line, request.Contact, SmsText, ct);
        }
        catch (ReplyNotSentException ex)
        {
            logger.LogWarning("Survey for request {Reference} not sent: {Reason}", request.Reference, ex.Message);
            await AppendAsync(request.Stream, "survey.not_sent", new { reason = ex.Message }, now, ct);
            return false;
        }
        db.Surveys.Add(survey);
        await db.SaveChangesAsync(ct);
        await AppendAsync(request.Stream, "survey.sent", new { channel = survey.Channel, agent = survey.Agent, queue = survey.Queue }, now, ct);
        return true;
    }

    /// <summary>
    /// A customer's short reply by SMS or e-mail: a stop word opts them out, a digit 1–5 answers their open survey.
    /// Returns false when the reply is neither, so it is handled as a request. A repeated delivery (same message id) is
    /// recognised and changes nothing.
    /// </summary>
    public async Task<bool> TryHandleReplyAsync(string contact, string? body, string messageId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (await db.Surveys.AnyAsync(s => s.AnswerMessageId == messageId, ct)) return true;
        if (SurveyRules.IsOptOut(body))
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO survey_opt_outs (customer_key, at, source) VALUES ({contact}, {now}, 'reply') ON CONFLICT (customer_key) DO NOTHING
                """, ct);
            // Logged in the stream of the customer's latest request (usually the one surveyed): a stream named after the
            // number would put it unmasked in the log, and the reports would take it for a call.
            var latest = await db.ServiceRequests.Where(r => r.Contact == contact).OrderByDescending(r => r.ReceivedAt)
                .Select(r => r.Reference).FirstOrDefaultAsync(ct);
            if (latest is not null)
                await AppendAsync(ServiceRequest.StreamOf(latest), "survey.opted_out", new { contact = ServiceRequestIntake.MaskContact(contact) }, now, ct);
            return true;
        }
        if (SurveyRules.ParseRating(body) is not { } rating) return false;
        var since = now - options.Value.Surveys.AnswerWindow;
        var open = await db.Surveys.Where(s => s.Contact == contact && s.AnsweredAt == null && s.SentAt >= since)
            .OrderByDescending(s => s.SentAt).FirstOrDefaultAsync(ct);
        if (open is not null)
        {
            await AnswerAsync(open, rating, messageId, now, ct);
            return true;
        }
        // A second rating for a survey already answered changes nothing (and is no request either).
        return await db.Surveys.AnyAsync(s => s.Contact == contact && s.AnsweredAt != null && s.SentAt >= since, ct);
    }

    /// <summary>An answer through the survey link; unknown, answered or expired surveys change nothing.</summary>
    public async Task<SurveyAnswerOutcome> AnswerByTokenAsync(string token, int rating, CancellationToken ct)
    {
        var survey = await db.Surveys.AsNoTracking().SingleOrDefaultAsync(s => s.Token == token, ct);
        var now = clock.GetUtcNow();
        if (survey is null) return SurveyAnswerOutcome.UnknownSurvey;
        if (survey.AnsweredAt is not null) return SurveyAnswerOutcome.AlreadyAnswered;
        if (now - survey.SentAt > options.Value.Surveys.AnswerWindow) return SurveyAnswerOutcome.Expired;
        return await AnswerAsync(survey, rating, null, now, ct);
    }

    // The conditional update is the guard: of two answers racing, exactly one is recorded.
    private async Task<SurveyAnswerOutcome> AnswerAsync(Survey survey, int rating, string? messageId, DateTimeOffset now, CancellationToken ct)
    {
        var updated = await db.Surveys.Where(s => s.Id == survey.Id && s.AnsweredAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Rating, rating).SetProperty(s => s.AnsweredAt, now).SetProperty(s => s.AnswerMessageId, messageId), ct);
        if (updated == 0) return SurveyAnswerOutcome.AlreadyAnswered;
        var satisfied = options.Value.Surveys.Policy.IsSatisfied(rating);
        await AppendAsync(ServiceRequest.StreamOf(survey.Subject), "survey.answered", new { rating, satisfied, channel = survey.Channel }, now, ct);
        return SurveyAnswerOutcome.Recorded;
    }

    private string EmailText(string token) =>
        $"""
        感谢您联系本行。请直接回复本邮件一个数字1-5为本次服务评分（5=非常满意），或打开：{SurveyLink(token)}
        回复TD退订。

        Thank you for contacting us. Reply to this e-mail with one digit 1-5 to rate our service (5 = very satisfied), or open:
        {SurveyLink(token)}
        Reply STOP to receive no more surveys.
        """;

    private string SurveyLink(string token) =>
        (twilio.Value.PublicBaseUrl?.ToString().TrimEnd('/') ?? "") + "/api/surveys/" + token;

    internal static bool IsEmail(string contact) => contact.Contains('@', StringComparison.Ordinal);

    private Task<AppendResult> AppendAsync<T>(string stream, string type, T payload, DateTimeOffset at, CancellationToken ct) =>
        callLog.AppendAsync(new NewCallEvent(stream, type, type, at, CallEventPayload.Serialize(payload)), ct);
}
