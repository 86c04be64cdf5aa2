using System.Globalization;
using System.Text.Json;
using CallCenter.Core.Outbound;
using CallCenter.Core.Routing;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Ivr;
using CallCenter.Server.Routing;
using CallCenter.Server.Scheduling;
using CallCenter.Server.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Outbound;

/// <summary>What one callback run did.</summary>
public sealed record CallbackRun(int Requested, int Queued, int Finished);

/// <summary>
/// Turns recorded callback requests (<c>acd.callback_requested</c>) into callbacks that keep the caller's original entry
/// time, and voicemail messages asking for a callback (<c>ivr.voicemail</c>) into callbacks linked to the message; then puts
/// due callbacks into the ACD when the customer's window, calling hours in their zone and the line's calendar all allow it.
/// The ACD then offers each one when the caller's turn comes. Runs once at a time across instances, so no callback is put
/// into the shared ACD twice.
/// </summary>
public sealed class CallbackWorker(IServiceScopeFactory scopes, AcdHost acd, IvrFlowCatalog flows, ScheduledRuns runs, IOptions<CallbackOptions> options,
    TimeProvider clock, ILogger<CallbackWorker> logger) : ScheduledWorker(runs, clock, logger)
{
    private const string Watermark = "callbacks.intake";

    public override string JobName => "callbacks.run";

    protected override TimeSpan Period => options.Value.RunEvery;

    protected override Task RunAsync(CancellationToken ct) => RunOnceAsync(ct);

    /// <summary>One run; public so tests and operators can force it.</summary>
    public async Task<CallbackRun> RunOnceAsync(CancellationToken ct)
    {
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("callbacks.run");
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var requested = await IntakeAsync(db, ct);
        var (queued, finished) = await ScheduleAsync(db, scope.ServiceProvider.GetRequiredService<ICallEventLog>(), ct);
        activity?.SetTag("callbacks.queued", queued);
        return new CallbackRun(requested, queued, finished);
    }

    private async Task<int> IntakeAsync(CallCenterDbContext db, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlAsync($"INSERT INTO metrics_watermarks (name, last_global_seq, updated_at) VALUES ({Watermark}, 0, now()) ON CONFLICT DO NOTHING", ct);
        var mark = await db.MetricsWatermarks.FromSql($"SELECT * FROM metrics_watermarks WHERE name = {Watermark} FOR UPDATE").SingleAsync(ct);
        var requests = await db.CallEvents.AsNoTracking()
            .Where(e => e.GlobalSeq > mark.LastGlobalSeq && (e.Type == "acd.callback_requested" || e.Type == "ivr.voicemail"))
            .OrderBy(e => e.GlobalSeq).Take(500).Select(e => new Request(e.GlobalSeq, e.CallSid, e.Type, e.OccurredAt, e.Payload)).ToListAsync(ct);
        if (requests.Count == 0) return 0;
        var created = 0;
        foreach (var r in requests)
        {
            var kind = r.Type == "ivr.voicemail" ? CallbackKind.Voicemail : CallbackKind.Queue;
            if (db.Callbacks.Local.Any(c => c.Kind == kind && c.OriginCallSid == r.CallSid)
                || await db.Callbacks.AnyAsync(c => c.Kind == kind && c.OriginCallSid == r.CallSid, ct)) continue;
            var call = await db.Calls.AsNoTracking().SingleOrDefaultAsync(c => c.CallSid == r.CallSid, ct);
            if (call is null)
            {
                Logger.LogWarning("Callback request of {CallSid} has no call; skipped", r.CallSid);
                continue;
            }
            var callback = kind == CallbackKind.Voicemail ? FromVoicemail(r, call) : await FromQueueAsync(db, r, call, ct);
            if (callback is null) continue;
            db.Callbacks.Add(callback);
            created++;
        }
        mark.LastGlobalSeq = requests[^1].GlobalSeq;
        mark.UpdatedAt = Clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return created;
    }

    private sealed record Request(long GlobalSeq, string CallSid, string Type, DateTimeOffset OccurredAt, string Payload);

    // A caller moved out of the hold loop: the callback keeps their original entry into the ACD, so it comes up at their turn.
    private async Task<Callback?> FromQueueAsync(CallCenterDbContext db, Request r, CallRecord call, CancellationToken ct)
    {
        // The limit event carries how long they had waited by then.
        var limit = await db.CallEvents.AsNoTracking().Where(e => e.CallSid == r.CallSid && e.Type == "acd.limit_reached")
            .OrderBy(e => e.CallSeq).Select(e => new { e.OccurredAt, e.Payload }).FirstOrDefaultAsync(ct);
        if (limit is null)
        {
            Logger.LogWarning("Callback request of {CallSid} has no queue limit event; skipped", r.CallSid);
            return null;
        }
        using var payload = JsonDocument.Parse(limit.Payload);
        var waited = payload.RootElement.TryGetProperty("waitedSeconds", out var w) && w.TryGetDouble(out var s) ? s : 0;
        var queue = payload.RootElement.TryGetProperty("queue", out var q) ? q.GetString() ?? acd.QueueNames[0] : acd.QueueNames[0];
        using var request = JsonDocument.Parse(r.Payload);
        var message = request.RootElement.TryGetProperty("recordingSid", out var m) && m.GetString() is { Length: > 0 } sid ? sid : null;
        return New(CallbackKind.Queue, r, call, queue, limit.OccurredAt - TimeSpan.FromSeconds(waited), message);
    }

    // A message left at a voicemail node that promises a callback: routed in the voicemail queue from when it was left.
    // A caller who recorded nothing asked for nothing.
    private Callback? FromVoicemail(Request r, CallRecord call)
    {
        using var payload = JsonDocument.Parse(r.Payload);
        if (!payload.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
            || !data.TryGetProperty("callback", out var asked) || asked.GetString() != "true"
            || !data.TryGetProperty("recording_sid", out var recording) || recording.GetString() is not { Length: > 0 } message)
            return null;
        var queue = acd.QueueNames.Contains(options.Value.VoicemailQueue) ? options.Value.VoicemailQueue : acd.QueueNames[0];
        return New(CallbackKind.Voicemail, r, call, queue, r.OccurredAt, message);
    }

    private Callback New(CallbackKind kind, Request r, CallRecord call, string queue, DateTimeOffset enteredAt, string? message) => new()
    {
        Id = NewId(), Kind = kind, OriginCallSid = r.CallSid, Number = call.FromNumber, LineNumber = call.ToNumber, Queue = queue, EnteredAt = enteredAt,
        TimeZone = options.Value.DefaultTimeZone, Status = CallbackStatus.Pending, NextAttemptAt = r.OccurredAt, MessageRecordingSid = message,
        CreatedBy = "system", CreatedAt = r.OccurredAt,
    };

    private async Task<(int Queued, int Finished)> ScheduleAsync(CallCenterDbContext db, ICallEventLog callLog, CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        var rules = options.Value.Rules();
        var due = await db.Callbacks.Include(c => c.Attempts)
            .Where(c => c.Status == CallbackStatus.Pending && (c.NextAttemptAt == null || c.NextAttemptAt <= now))
            .OrderBy(c => c.EnteredAt).Take(200).ToListAsync(ct);
        var queued = 0;
        var finished = 0;
        foreach (var callback in due)
        {
            var decision = DialPlanner.Next(rules, callback.History, TimeZoneInfo.FindSystemTimeZoneById(callback.TimeZone), now, callback.WindowFrom, callback.WindowTo);
            switch (decision)
            {
                case DialDecision.Finished f:
                    (callback.Status, callback.Outcome, callback.NextAttemptAt) = (CallbackStatus.Failed, f.Reason, null);
                    await Log(callLog, callback, "callback.finished", new { reason = f.Reason }, now, ct);
                    finished++;
                    continue;
                case DialDecision.WaitUntil wait:
                    callback.NextAttemptAt = wait.At;
                    continue;
            }
            if (flows.ForNumber(callback.LineNumber) is { } line && !line.Flow.Calendar.IsOpen(now))
            {
                // The line is closed (hours, holiday, closure): no agent would take it; look again next run.
                continue;
            }
            callback.Status = CallbackStatus.Queued;
            await db.SaveChangesAsync(ct);
            await acd.EnqueueAsync(new CallRequest(callback.Id, callback.Queue) { IsCallback = true, EnteredAt = callback.EnteredAt }, ct);
            queued++;
        }
        await db.SaveChangesAsync(ct);
        return (queued, finished);
    }

    internal static Task Log(ICallEventLog callLog, Callback callback, string type, object payload, DateTimeOffset at, CancellationToken ct) =>
        callLog.AppendAsync(new NewCallEvent(callback.Id, type, $"{type}#{callback.Attempts.Count.ToString(CultureInfo.InvariantCulture)}", at,
            CallEventPayload.Serialize(payload)), ct);

    /// <summary>Callback ids look like call SIDs with their own prefix, so they can share the call log and the ACD.</summary>
    public static string NewId() => "CB" + Guid.NewGuid().ToString("N");
}
