using CallCenter.Core.Outbound;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Routing;
using CallCenter.Server.Scheduling;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Outbound;

/// <summary>What one sweep did: attempts asked about, settled from Twilio's answer, and released as failed-unknown.</summary>
public sealed record UnsettledCallSweepRun(int Checked, int Settled, int Released);

/// <summary>
/// Settles dialled attempts (callbacks and project calls) whose final status never came: a lost status callback would
/// otherwise keep the callback Dialling, or the project customer locked to the agent, for good. After
/// <see cref="CallbackOptions.StatusCheckAfter"/> without a status it asks Twilio (GET Calls/{Sid}) and settles a final one
/// exactly as the status callback would; a call Twilio still reports live, or cannot report on, is asked again each run and
/// released as failed with status "unknown" after <see cref="CallbackOptions.ReleaseUnknownAfter"/> more. Runs once at a
/// time across instances; the row locks in <see cref="DialSettlement"/> keep a late status callback from settling twice.
/// </summary>
public sealed class UnsettledCallSweep(IServiceScopeFactory scopes, ITwilioCallControl twilio, ITwilioConferenceControl conference, AcdHost acd,
    ScheduledRuns runs, IOptions<CallbackOptions> options, TimeProvider clock, ILogger<UnsettledCallSweep> logger) : ScheduledWorker(runs, clock, logger)
{
    public override string JobName => "outbound.unsettled-sweep";

    protected override TimeSpan Period => options.Value.SweepEvery;

    protected override Task RunAsync(CancellationToken ct) => RunOnceAsync(ct);

    /// <summary>One sweep; public so tests and operators can force it.</summary>
    public async Task<UnsettledCallSweepRun> RunOnceAsync(CancellationToken ct)
    {
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("outbound.unsettled-sweep");
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var callLog = scope.ServiceProvider.GetRequiredService<ICallEventLog>();
        var now = Clock.GetUtcNow();
        var checkBefore = now - options.Value.StatusCheckAfter;
        var releaseBefore = checkBefore - options.Value.ReleaseUnknownAfter;
        int asked = 0, settled = 0, released = 0;

        var callbacks = await db.CallbackAttempts.AsNoTracking()
            .Where(a => a.Outcome == null && a.TwilioCallSid != null && a.At <= checkBefore)
            .OrderBy(a => a.At).Take(100).Select(a => new { a.CallbackId, a.TwilioCallSid, a.At }).ToListAsync(ct);
        foreach (var a in callbacks)
        {
            asked++;
            if (await JudgeAsync(a.TwilioCallSid!, a.At, releaseBefore, ct) is not { } verdict) continue;
            if (!await DialSettlement.SettleCallbackAsync(db, acd, callLog, a.CallbackId, a.TwilioCallSid!, verdict.Status, verdict.Outcome,
                    verdict.DurationSeconds, verdict.By, now, ct)) continue;
            Count(verdict, ref settled, ref released);
            Logger.LogWarning("Callback {CallbackId} attempt {CallSid} had no final status after {After}; {By} as {Status}",
                a.CallbackId, a.TwilioCallSid, now - a.At, verdict.By, verdict.Status);
        }

        var projectCalls = await db.OutboundContacts.AsNoTracking()
            .SelectMany(c => c.Attempts.Where(a => a.CallStatus == null && a.TwilioCallSid != null && a.At <= checkBefore)
                .Select(a => new { c.ProjectId, ContactId = c.Id, a.Id, a.TwilioCallSid, a.At, a.Agent }))
            .OrderBy(a => a.At).Take(100).ToListAsync(ct);
        foreach (var a in projectCalls)
        {
            asked++;
            if (await JudgeAsync(a.TwilioCallSid!, a.At, releaseBefore, ct) is not { } verdict) continue;
            if (!await DialSettlement.SettleProjectCallAsync(db, acd, conference, a.ProjectId, a.ContactId, a.TwilioCallSid!, verdict.Status,
                    verdict.Outcome, verdict.DurationSeconds, now, ct)) continue;
            Count(verdict, ref settled, ref released);
            // In the call's own stream, beside its ACD and in-call events.
            await callLog.AppendAsync(new NewCallEvent(ProjectCalls.Key(a.Id), "outbound.attempt_settled", "outbound.attempt_settled", now,
                CallEventPayload.Serialize(new
                {
                    project = a.ProjectId, contact = a.ContactId, agent = a.Agent, twilioCallSid = a.TwilioCallSid, outcome = verdict.Outcome.ToString(),
                    callStatus = verdict.Status, durationSeconds = verdict.DurationSeconds, settledBy = verdict.By.ToString(),
                })), ct);
            Logger.LogWarning("Project {Project} call {CallSid} had no final status after {After}; {By} as {Status}",
                a.ProjectId, a.TwilioCallSid, now - a.At, verdict.By, verdict.Status);
        }
        activity?.SetTag("outbound.sweep.settled", settled);
        activity?.SetTag("outbound.sweep.released", released);
        return new UnsettledCallSweepRun(asked, settled, released);
    }

    private sealed record Verdict(string Status, DialOutcome Outcome, int? DurationSeconds, SettledBy By);

    // A final status from Twilio settles the attempt; past the release limit nothing else will, so it ends as failed-unknown;
    // otherwise (still ringing or talking, or Twilio not answering) the next run asks again.
    private async Task<Verdict?> JudgeAsync(string callSid, DateTimeOffset dialledAt, DateTimeOffset releaseBefore, CancellationToken ct)
    {
        var state = await twilio.FetchCallAsync(callSid, ct);
        if (state is not null && TwilioDialStatus.Outcome(state.Status) is { } outcome)
            return new Verdict(state.Status, outcome, state.DurationSeconds, SettledBy.StatusCheck);
        return dialledAt <= releaseBefore ? new Verdict(DialSettlement.UnknownStatus, DialOutcome.Failed, null, SettledBy.Released) : null;
    }

    private static void Count(Verdict verdict, ref int settled, ref int released)
    {
        if (verdict.By == SettledBy.Released) released++;
        else settled++;
    }
}
