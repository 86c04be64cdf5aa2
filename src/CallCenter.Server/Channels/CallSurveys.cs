using System.Security.Cryptography;
using System.Text.Json;
using CallCenter.Core.Channels;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Ivr;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Twilio.TwiML;

namespace CallCenter.Server.Channels;

/// <summary>
/// The IVR satisfaction survey after a call's agent leg: the agent ending the call sends a caller still on the line to
/// <see cref="Path"/> instead of hanging them up; there the same rules as for text surveys (opt-out, one per customer per
/// period) decide, and an eligible caller hears the flow's survey node. The 1–5 keypad answer is stored on the same
/// <see cref="Survey"/> rows as text surveys (channel "voice"), so the satisfaction figures count it per queue, agent and channel.
/// </summary>
public sealed class CallSurveys(CallCenterDbContext db, ICallEventLog callLog, IOptions<ChannelOptions> options, IOptions<TwilioOptions> twilio,
    TimeProvider clock, ILogger<CallSurveys> logger)
{
    /// <summary>The webhook a caller is redirected to when the agent's part of the call ends.</summary>
    public const string Path = "/twilio/voice/after-agent";

    /// <summary>The channel of call surveys in the satisfaction figures.</summary>
    public const string Channel = "voice";

    /// <summary>
    /// Moves the caller out of the call's conference to the post-call survey webhook; false (nothing changed) when surveys
    /// after calls are off (Channels:Surveys:AfterCalls), the call's flow has no survey node, or Twilio did not take the redirect (the caller hung up): then end the call as before.
    /// Leaving the conference ends it (the caller joined with endConferenceOnExit), which drops the agent's leg.
    /// </summary>
    public async Task<bool> TryRedirectAsync(string callSid, IvrCallHandler ivr, ITwilioConferenceControl control, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ivr);
        ArgumentNullException.ThrowIfNull(control);
        if (!options.Value.Surveys.AfterCalls || !await ivr.HasSurveyAsync(callSid)) return false;
        var url = new Uri(twilio.Value.PublicBaseUrl!.ToString().TrimEnd('/') + Path);
        var twiml = new VoiceResponse().Redirect(url, Twilio.Http.HttpMethod.Post).ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
        return await control.RedirectAsync(callSid, twiml, ct);
    }

    /// <summary>
    /// Decides and, when the caller is eligible, stores the survey (the period rule counts it from now on, answered or not);
    /// true when the caller is to hear it. A retried webhook finds the row it stored and decides the same.
    /// </summary>
    public async Task<bool> OfferAsync(string callSid, string caller, string? customerId, CancellationToken ct)
    {
        if (await db.Surveys.AnyAsync(s => s.Subject == callSid && s.Channel == Channel, ct)) return true;
        var now = clock.GetUtcNow();
        var key = customerId ?? caller;
        var optedOut = await db.SurveyOptOuts.AnyAsync(o => o.CustomerKey == key || o.CustomerKey == caller, ct);
        var last = await db.Surveys.Where(s => s.CustomerKey == key).MaxAsync(s => (DateTimeOffset?)s.SentAt, ct);
        var decision = SurveyRules.Decide(key, optedOut, last, now, options.Value.Surveys.Period);
        if (decision != SurveyDecision.Send)
        {
            await AppendAsync(callSid, "survey.skipped", new { channel = Channel, reason = decision.ToString() }, now, ct);
            return false;
        }
        var (queue, agent) = await LastAgentAsync(callSid, ct);
        db.Surveys.Add(new Survey
        {
            Token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(),
            CustomerKey = key,
            Channel = Channel,
            Subject = callSid,
            Queue = queue,
            Agent = agent,
            // Not the number: an SMS digit from it must not answer a survey given on a call.
            Contact = "call:" + callSid,
            SentAt = now,
        });
        await db.SaveChangesAsync(ct);
        await AppendAsync(callSid, "survey.sent", new { channel = Channel, agent, queue }, now, ct);
        return true;
    }

    /// <summary>The caller's keypad rating: recorded once on the call's survey; a repeat or a call never surveyed changes nothing.</summary>
    public async Task RecordAnswerAsync(string callSid, int rating, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var updated = await db.Surveys.Where(s => s.Subject == callSid && s.Channel == Channel && s.AnsweredAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Rating, rating).SetProperty(s => s.AnsweredAt, now), ct);
        if (updated == 0)
        {
            logger.LogInformation("Survey answer for call {CallSid} ignored: no open survey", callSid);
            return;
        }
        await AppendAsync(callSid, "survey.answered", new { rating, satisfied = options.Value.Surveys.Policy.IsSatisfied(rating), channel = Channel }, now, ct);
    }

    /// <summary>
    /// The caller's recorded comment after the rating (the flow's voicemail node that follows the survey): linked once to the
    /// call's answered survey; a message left on a call without an answered survey (or a repeat) changes nothing.
    /// </summary>
    public async Task RecordCommentAsync(string callSid, string recordingSid, CancellationToken ct)
    {
        var linked = await db.Surveys.Where(s => s.Subject == callSid && s.Channel == Channel && s.AnsweredAt != null && s.CommentRecordingSid == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.CommentRecordingSid, recordingSid), ct);
        if (linked == 0) return;
        await AppendAsync(callSid, "survey.comment_recorded", new { channel = Channel, recordingSid }, clock.GetUtcNow(), ct);
    }

    // The agent who had the call last: who answered it, or who it was handed to.
    private async Task<(string? Queue, string? Agent)> LastAgentAsync(string callSid, CancellationToken ct)
    {
        var payloads = await db.CallEvents.AsNoTracking().Where(e => e.CallSid == callSid && (e.Type == "acd.answered" || e.Type == "acd.left"))
            .OrderBy(e => e.CallSeq).Select(e => new { e.Type, e.Payload }).ToListAsync(ct);
        string? queue = null, agent = null;
        foreach (var p in payloads)
        {
            using var json = JsonDocument.Parse(p.Payload);
            var root = json.RootElement;
            queue = Text(root, "queue") ?? queue;
            agent = (p.Type == "acd.left" ? Text(root, "owner") : Text(root, "agent")) ?? agent;
        }
        return (queue, agent);

        static string? Text(JsonElement root, string name) =>
            root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    private Task<AppendResult> AppendAsync<T>(string callSid, string type, T payload, DateTimeOffset at, CancellationToken ct) =>
        callLog.AppendAsync(new NewCallEvent(callSid, type, type, at, CallEventPayload.Serialize(payload)), ct);
}

/// <summary>The post-call survey webhook (<see cref="CallSurveys.Path"/>), in the signed /twilio/voice group.</summary>
public static class CallSurveyWebhook
{
    /// <summary>Maps the survey webhook into the signed /twilio/voice group.</summary>
    public static RouteGroupBuilder MapCallSurveyWebhook(this RouteGroupBuilder voice)
    {
        voice.MapPost(CallSurveys.Path["/twilio/voice".Length..], AfterAgentAsync).WithName("TwilioVoiceAfterAgent");
        return voice;
    }

    // Twilio follows the redirect here with the caller's call: survey when eligible, otherwise a polite goodbye.
    private static async Task<IResult> AfterAgentAsync(HttpRequest request, IvrCallHandler ivr, CallSurveys surveys, CallCenterTelemetry telemetry,
        CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var errors = new Dictionary<string, string[]>();
        var callSid = VoiceWebhookForm.CallSid(form, errors);
        var from = VoiceWebhookForm.Required(form, "From", errors);
        if (errors.Count > 0 || callSid is null || from is null)
            return TypedResults.ValidationProblem(errors, title: "Malformed after-agent request");
        var state = await ivr.StateAsync(callSid);
        var twiml = await surveys.OfferAsync(callSid, from, state?.CustomerId, ct) ? await ivr.AfterAgentAsync(callSid, ct) : null;
        telemetry.Webhooks.Add(1, new("route", "after_agent"), new("outcome", twiml is null ? "hangup" : "survey"));
        return Twiml.Ok(twiml ?? new VoiceResponse().Hangup().ToString());
    }
}
