using CallCenter.Core.Outbound;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Routing;
using CallCenter.Server.Telephony;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Outbound;

/// <summary>How an attempt's final status was learnt: Twilio's status callback, a REST status check, or nobody could tell.</summary>
public enum SettledBy
{
    StatusCallback,
    StatusCheck,
    /// <summary>No final status within the limits: released as failed with status "unknown".</summary>
    Released,
}

/// <summary>
/// Records the final status of a dialled attempt (callback or project call) once, whoever learnt it: Twilio's status callback
/// or <see cref="UnsettledCallSweep"/>. The row lock orders them, so a status that arrives while the sweep settles changes nothing.
/// </summary>
internal static class DialSettlement
{
    /// <summary>What a released attempt's call status reads.</summary>
    public const string UnknownStatus = "unknown";

    /// <summary>
    /// Records the outcome, ends the agent's call in the ACD, and either finishes the callback or leaves it pending for the next
    /// attempt (the worker applies attempts, delay and hours). False when the attempt is unknown or already settled.
    /// </summary>
    public static async Task<bool> SettleCallbackAsync(CallCenterDbContext db, AcdHost acd, ICallEventLog callLog, string callbackId, string callSid,
        string callStatus, DialOutcome outcome, int? durationSeconds, SettledBy settledBy, DateTimeOffset now, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var entry = await db.Callbacks.FromSql($"SELECT * FROM callbacks WHERE id = {callbackId} FOR UPDATE").SingleOrDefaultAsync(ct);
        // A statement of its own, after the lock: one that joined the attempts would read them as they were before the wait.
        if (entry is not null) await db.Entry(entry).Collection(c => c.Attempts).LoadAsync(ct);
        var attempt = entry?.Attempts.SingleOrDefault(a => a.TwilioCallSid == callSid);
        if (entry is null || attempt is null || attempt.Outcome is not null) return false;
        (attempt.Outcome, attempt.EndedAt, attempt.DurationSeconds) = (outcome, now, durationSeconds);
        if (entry.DialledCallSid == callSid) entry.DialledCallSid = null;
        if (outcome == DialOutcome.Answered) (entry.Status, entry.Outcome) = (CallbackStatus.Done, "reached");
        else (entry.Status, entry.NextAttemptAt) = (CallbackStatus.Pending, now);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        await CallbackWorker.Log(callLog, entry, "callback.attempt_ended", new
        {
            attempt = attempt.Number, outcome = outcome.ToString(), durationSeconds, twilioCallSid = callSid, callStatus, settledBy = settledBy.ToString(),
        }, now, ct);
        // The agent's part is over either way: the ACD ends the call and the wrap-up starts.
        await acd.CallEndedAsync(entry.Id, ct);
        return true;
    }

    /// <summary>
    /// Fills in a project call's final status once. Nobody answered: the attempt is over, the agent is free, and the customer
    /// waits for the retry delay or, after the last attempt, is done. Answered: the agent still records what came of it
    /// (answers or a refusal), which wins over "completed". Either way the agent's call ends in the ACD (wrap-up starts) and a
    /// softphone still waiting alone in the call's conference is taken out of it. False when the attempt is unknown or already settled.
    /// </summary>
    public static async Task<bool> SettleProjectCallAsync(CallCenterDbContext db, AcdHost acd, ITwilioConferenceControl conference, long projectId,
        long contactId, string callSid, string callStatus, DialOutcome outcome, int? durationSeconds, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(acd);
        ArgumentNullException.ThrowIfNull(conference);
        var rules = await db.OutboundProjects.AsNoTracking().Where(p => p.Id == projectId).Select(p => new { p.MaxAttempts }).SingleOrDefaultAsync(ct);
        // The customer's row lock orders simultaneous deliveries of one status, the sweep, and the agent's result.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var customer = await db.OutboundContacts.FromSql($"SELECT * FROM outbound_contacts WHERE id = {contactId} AND project_id = {projectId} FOR UPDATE")
            .SingleOrDefaultAsync(ct);
        if (customer is not null) await db.Entry(customer).Collection(c => c.Attempts).LoadAsync(ct);
        var attempt = customer?.Attempts.SingleOrDefault(a => a.TwilioCallSid == callSid);
        if (rules is null || customer is null || attempt is null || attempt.CallStatus is not null) return false;
        (attempt.CallStatus, attempt.EndedAt, attempt.DurationSeconds) = (callStatus, now, durationSeconds);
        attempt.Outcome ??= outcome;
        if (outcome != DialOutcome.Answered && customer.LockedBy == attempt.Agent) customer.LockedBy = null;
        customer.Status = customer.StandingAfterAttempts(rules.MaxAttempts);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        // Twilio has finished with the customer's call: what follows must happen even if the request goes away.
        var key = ProjectCalls.Key(attempt.Id);
        // Best effort (a failure is logged by the Twilio client): the agent's state does not depend on it.
        if (outcome != DialOutcome.Answered && await InCall.InCallSessions.LoadAsync(db, key, CancellationToken.None) is { Ended: false } call)
            await conference.EndConferenceAsync(call.ConferenceSid, CancellationToken.None);
        await acd.CallEndedAsync(key, CancellationToken.None);
        return true;
    }
}
