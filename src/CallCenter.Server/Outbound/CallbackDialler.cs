using CallCenter.Core.Outbound;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Telephony;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Outbound;

/// <summary>
/// Places a callback the ACD routed to an agent who took it: an outbound call over Twilio REST to the customer, paced by
/// the account's calls-per-second bucket, whose TwiML bridges the customer to the agent's softphone (recorded like an
/// inbound call). Attempts are rows and call-log events; the outcome comes with Twilio's status callback.
/// </summary>
/// <summary>Places the outbound call of a callback an agent took; the ACD calls it instead of redirecting a waiting caller.</summary>
public interface ICallbackDialler
{
    /// <summary>False (already logged) when the call could not be placed; the ACD then returns the callback to its queue.</summary>
    Task<bool> DialAsync(string callbackId, string agentId, CancellationToken ct);
}

/// <summary>The Twilio-REST dialler of callbacks.</summary>
public sealed class CallbackDialler(IServiceScopeFactory scopes, ITwilioCallControl twilio, ITwilioConferenceControl conference, TwilioCallPacer pacer,
    IOptions<TwilioOptions> twilioOptions, IOptions<CallbackOptions> options, TimeProvider clock, ILogger<CallbackDialler> logger) : ICallbackDialler
{
    /// <summary>Twilio posts the outcome of every attempt here.</summary>
    public const string StatusPath = "/twilio/voice/callback-status";

    public async Task<bool> DialAsync(string callbackId, string agentId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var callLog = scope.ServiceProvider.GetRequiredService<ICallEventLog>();
        var callback = await db.Callbacks.Include(c => c.Attempts).SingleOrDefaultAsync(c => c.Id == callbackId, ct);
        if (callback is null)
        {
            logger.LogError("Callback {CallbackId} routed to {Agent} is not in the database", callbackId, agentId);
            return false;
        }
        // The last look before dialling: calling hours may have ended while the callback waited for an agent.
        var now = clock.GetUtcNow();
        if (!DialPlanner.InHours(options.Value.Rules().Hours, TimeZoneInfo.FindSystemTimeZoneById(callback.TimeZone), now))
        {
            logger.LogWarning("Callback {CallbackId} reached an agent outside the customer's calling hours; not dialled", callbackId);
            return false;
        }
        await pacer.AcquireAsync(ct);
        var baseUrl = twilioOptions.Value.PublicBaseUrl!.ToString().TrimEnd('/');
        // Bridged like a queued caller: the customer, once they answer, joins the callback's own conference, where the agent's
        // softphone is dialled in now; the agent then has the same in-call controls (src/CallCenter.Server/InCall).
        var twiml = TwilioCallControl.ConferenceTwiml(callbackId, new Uri(baseUrl + InCall.ConferenceStatusWebhook.Path));
        var sid = await twilio.PlaceCallAsync(callback.Number, callback.LineNumber, twiml, new Uri($"{baseUrl}{StatusPath}?callback={callbackId}"), ct,
            recordingStatusCallback: new Uri(baseUrl + TwilioCallControl.RecordingCallbackPath));
        if (sid is not null && !await InCall.PlacedCallBridge.DialAgentAsync(conference, callLog, callbackId, callback.LineNumber, agentId, sid, now))
            sid = null;
        var attempt = new CallbackAttempt { CallbackId = callbackId, Number = callback.Attempts.Count + 1, At = now, Agent = agentId, TwilioCallSid = sid };
        if (sid is null) attempt.Outcome = DialOutcome.Failed;
        callback.Attempts.Add(attempt);
        (callback.Status, callback.Agent, callback.DialledCallSid) = (sid is null ? CallbackStatus.Pending : CallbackStatus.Dialling, agentId, sid);
        if (sid is null) callback.NextAttemptAt = now;
        await db.SaveChangesAsync(ct);
        await CallbackWorker.Log(callLog, callback, "callback.dialled", new { attempt = attempt.Number, agent = agentId, twilioCallSid = sid, placed = sid is not null }, now, ct);
        return sid is not null;
    }
}
