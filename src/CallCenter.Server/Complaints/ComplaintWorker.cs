using System.Text.Json;
using CallCenter.Core.Complaints;
using CallCenter.Server.Agents;
using CallCenter.Server.Data;
using CallCenter.Server.Scheduling;
using CallCenter.Server.Telemetry;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Complaints;

/// <summary>What one worker run did.</summary>
public sealed record ComplaintRun(int Opened, int Enriched, int OverdueFlags, int Escalations);

/// <summary>
/// The complaint desk's background work, each run in its own DI scope and once at a time across instances: tickets from
/// the call log (the IVR's complaint option, agents' wrap-ups marked as complaints), overdue flags the moment a deadline
/// passes, and escalation of overdue work orders. One failed run is logged and the next one tries again from the same watermark.
/// </summary>
public sealed class ComplaintWorker(IServiceScopeFactory scopes, ScheduledRuns runs, IOptions<ComplaintOptions> options, TimeProvider clock,
    ILogger<ComplaintWorker> logger) : ScheduledWorker(runs, clock, logger)
{
    public override string JobName => "complaints.run";

    protected override TimeSpan Period => options.Value.RunEvery;

    protected override Task RunAsync(CancellationToken ct) => RunOnceAsync(ct);

    /// <summary>One run; public so tests and operators can force it.</summary>
    public async Task<ComplaintRun> RunOnceAsync(CancellationToken ct)
    {
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("complaints.run");
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var (opened, enriched) = await services.GetRequiredService<ComplaintIntake>().RunAsync(ct);
        var (flags, escalations) = await services.GetRequiredService<ComplaintDeadlineWatch>().RunAsync(ct);
        activity?.SetTag("complaints.opened", opened);
        activity?.SetTag("complaints.overdue_flags", flags);
        activity?.SetTag("complaints.escalations", escalations);
        return new ComplaintRun(opened, enriched, flags, escalations);
    }
}

/// <summary>
/// Opens tickets from the call log past a watermark: an <c>ivr.complaint</c> event, or an <c>agent.wrap_up</c> whose payload
/// carries a <c>complaint</c>. One ticket per call (unique origin call); a wrap-up on an IVR complaint call fills in its details.
/// </summary>
public sealed class ComplaintIntake(CallCenterDbContext db, ComplaintDesk desk)
{
    private const string Watermark = "complaints.intake";
    private const int Batch = 500;

    private sealed record LoggedEvent(long GlobalSeq, string CallSid, string Type, DateTimeOffset OccurredAt, string Payload);

    public async Task<(int Opened, int Enriched)> RunAsync(CancellationToken ct)
    {
        var opened = 0;
        var enriched = 0;
        var linked = new List<(Complaint Ticket, string CallSid)>();
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            // Instances take turns on the watermark row, so each event is read once.
            await db.Database.ExecuteSqlAsync($"INSERT INTO metrics_watermarks (name, last_global_seq, updated_at) VALUES ({Watermark}, 0, now()) ON CONFLICT DO NOTHING", ct);
            var mark = await db.MetricsWatermarks.FromSql($"SELECT * FROM metrics_watermarks WHERE name = {Watermark} FOR UPDATE").SingleAsync(ct);
            var events = await db.CallEvents.AsNoTracking()
                .Where(e => e.GlobalSeq > mark.LastGlobalSeq && (e.Type == "ivr.complaint" || e.Type == "agent.wrap_up"))
                .OrderBy(e => e.GlobalSeq).Take(Batch)
                .Select(e => new LoggedEvent(e.GlobalSeq, e.CallSid, e.Type, e.OccurredAt, e.Payload)).ToListAsync(ct);
            if (events.Count == 0) return (0, 0);

            foreach (var e in events)
            {
                var existing = db.Complaints.Local.FirstOrDefault(c => c.OriginCallSid == e.CallSid)
                    ?? await db.Complaints.SingleOrDefaultAsync(c => c.OriginCallSid == e.CallSid, ct);
                if (e.Type == "ivr.complaint")
                {
                    if (existing is not null) continue;
                    var contact = await db.Calls.Where(c => c.CallSid == e.CallSid).Select(c => c.FromNumber).SingleOrDefaultAsync(ct);
                    var ticket = desk.Open(new NewComplaint(ComplaintSource.Ivr, "phone", e.CallSid, null, contact, e.OccurredAt, null, null,
                        ComplaintCategory.Service, ComplaintGrade.Ordinary), "system", e.OccurredAt);
                    linked.Add((ticket, e.CallSid));
                    opened++;
                    continue;
                }
                using var payload = JsonDocument.Parse(e.Payload);
                if (!payload.RootElement.TryGetProperty("complaint", out var details) || details.ValueKind != JsonValueKind.Object) continue;
                var agent = payload.RootElement.TryGetProperty("agent", out var a) ? a.GetString() ?? "system" : "system";
                var name = Field(details, "callerName");
                var what = Field(details, "event");
                var ask = Field(details, "request");
                var grade = Enum.TryParse<ComplaintGrade>(Field(details, "grade"), true, out var g) ? g : ComplaintGrade.Ordinary;
                var category = Enum.TryParse<ComplaintCategory>(Field(details, "category"), true, out var k) ? k : ComplaintCategory.Service;
                if (existing is null)
                {
                    var contact = Field(details, "contact")
                        ?? await db.Calls.Where(c => c.CallSid == e.CallSid).Select(c => c.FromNumber).SingleOrDefaultAsync(ct);
                    var ticket = desk.Open(new NewComplaint(ComplaintSource.WrapUp, "phone", e.CallSid, name, contact, e.OccurredAt, what, ask, category, grade),
                        agent, e.OccurredAt);
                    linked.Add((ticket, e.CallSid));
                    opened++;
                    continue;
                }
                // The IVR opened the ticket; the agent who took the call knows what it is about.
                existing.CallerName ??= name;
                existing.Event ??= what;
                existing.Request ??= ask;
                existing.Category = category;
                if (existing.Status == ComplaintStatus.Received && existing.Grade != grade) existing.SetGrade(grade, desk.Policy);
                existing.Events.Add(new ComplaintEvent { ComplaintId = existing.Id, Action = "WrapUpDetails", By = agent, At = e.OccurredAt,
                    Note = $"grade {grade}, category {category}" });
                enriched++;
            }
            mark.LastGlobalSeq = events[^1].GlobalSeq;
            mark.UpdatedAt = DateTimeOffset.UtcNow;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        foreach (var (ticket, callSid) in linked)
            await desk.ApplyRetentionAsync(ticket.Id, [callSid], ct);
        return (opened, enriched);
    }

    private static string? Field(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString()) ? v.GetString()!.Trim() : null;
}

/// <summary>
/// Raises each milestone's overdue flag once, at the first run at or after its deadline (an audited complaint event,
/// pushed to supervisors), and escalates open work orders one level per period while they stay overdue.
/// </summary>
public sealed class ComplaintDeadlineWatch(CallCenterDbContext db, IOptions<ComplaintOptions> options, IHubContext<AgentHub> hub,
    TimeProvider clock, ILogger<ComplaintDeadlineWatch> logger)
{
    /// <summary>Pushed to the supervisors' consoles when a ticket or work order goes overdue.</summary>
    public sealed record OverdueMessage(long ComplaintId, string What, DateTimeOffset DueAt, int EscalationLevel);

    public async Task<(int Flags, int Escalations)> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var pushes = new List<OverdueMessage>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // SKIP LOCKED: a ticket a person is changing right now is flagged on the next run.
        var due = await db.Complaints.FromSql($"""
            SELECT * FROM complaints
             WHERE status <> 'Closed'
               AND ((accept_overdue_at IS NULL AND accepted_at IS NULL AND accept_by <= {now})
                 OR (answer_overdue_at IS NULL AND answered_at IS NULL AND answer_by <= {now})
                 OR (close_overdue_at IS NULL AND closed_at IS NULL AND close_by <= {now}))
             ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED
            """).ToListAsync(ct);
        foreach (var c in due)
        {
            if (c.AcceptOverdueAt is null && c.AcceptedAt is null && c.AcceptBy <= now) Flag(c, "accept", c.AcceptBy, () => c.AcceptOverdueAt = now);
            if (c.AnswerOverdueAt is null && c.AnsweredAt is null && c.AnswerBy <= now) Flag(c, "answer", c.AnswerBy, () => c.AnswerOverdueAt = now);
            if (c.CloseOverdueAt is null && c.ClosedAt is null && c.CloseBy <= now) Flag(c, "close", c.CloseBy, () => c.CloseOverdueAt = now);
        }

        var escalation = new WorkOrderEscalation(options.Value.WorkOrderEscalateEvery);
        var orders = await db.WorkOrders.FromSql($"""
            SELECT * FROM complaint_work_orders WHERE status = 'Open' AND due_at <= {now} ORDER BY id LIMIT 500 FOR UPDATE SKIP LOCKED
            """).ToListAsync(ct);
        var escalations = 0;
        foreach (var w in orders)
        {
            var level = escalation.LevelAt(w.DueAt, now);
            if (level <= w.EscalationLevel) continue;
            (w.EscalationLevel, w.EscalatedAt) = (level, now);
            var note = $"work order #{w.Id} to {w.Department} overdue since {w.DueAt:O}: escalation level {level}";
            db.ComplaintEvents.Add(new ComplaintEvent { ComplaintId = w.ComplaintId, Action = "WorkOrderEscalated", By = "system", At = now, Note = note });
            db.OperationLog.Add(ComplaintDesk.Log("system", now, "complaint.work_order_escalated", w.ComplaintId, "succeeded", note));
            pushes.Add(new(w.ComplaintId, $"work order #{w.Id} ({w.Department})", w.DueAt, level));
            escalations++;
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        foreach (var message in pushes)
        {
            try { await hub.Clients.Group(AgentHub.SupervisorsGroup).SendAsync("complaintOverdue", message, ct); }
            catch (Exception ex) when (ex is not OperationCanceledException) { logger.LogWarning(ex, "Complaint overdue push failed"); }
        }
        return (pushes.Count - escalations, escalations);

        void Flag(Complaint c, string milestone, DateTimeOffset dueAt, Action set)
        {
            set();
            var note = $"{milestone} deadline {dueAt:O} passed";
            db.ComplaintEvents.Add(new ComplaintEvent { ComplaintId = c.Id, Action = "Overdue", By = "system", At = now, Note = note });
            db.OperationLog.Add(ComplaintDesk.Log("system", now, "complaint.overdue", c.Id, "succeeded", note));
            pushes.Add(new(c.Id, milestone, dueAt, 0));
        }
    }
}
