using CallCenter.Core.Complaints;
using CallCenter.Core.Privacy;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace CallCenter.Server.Complaints;

/// <summary>
/// The complaint desk's HTTP API: staff open tickets (letters, walk-ins), move them through the closed loop, link later
/// calls and hand work to departments; supervisors see what is overdue. Every step is a complaint event and an
/// operation-log row, refusals included.
/// </summary>
public static class ComplaintApi
{
    private static readonly string[] Channels = ["phone", "letter", "walk-in", "email", "web"];

    /// <summary>A ticket entered by staff. <c>CallSid</c> links the call it was made on, if any.</summary>
    public sealed record OpenRequest(string? Channel, string? CallerName, string? Contact, DateTimeOffset? EventAt, string? Event, string? Request,
        string? Category, string? Grade, string? CallSid);

    /// <summary>A loop step: a note (a reopen's reason), the follow-up's result, a new grade on acceptance.</summary>
    public sealed record StepRequest(string? Note, bool? Satisfied, string? Grade);

    public sealed record LinkCallRequest(string? CallSid);

    /// <summary>Hand-off to a department; <c>DueAt</c> null means the configured number of working days.</summary>
    public sealed record WorkOrderRequest(string? Department, string? Instructions, DateTimeOffset? DueAt);

    public sealed record WorkOrderResult(string? Result);

    /// <summary>Each milestone's standing and the worst of them.</summary>
    public sealed record Standing(DeadlineState Accept, DeadlineState Answer, DeadlineState Close, DeadlineState Worst);

    /// <summary>A ticket in a list: the contact is masked.</summary>
    public sealed record ComplaintSummary(long Id, ComplaintSource Source, ComplaintGrade Grade, ComplaintCategory Category, ComplaintStatus Status,
        string? CallerName, string Contact, DateTimeOffset ReceivedAt, string? Handler, DateTimeOffset AcceptBy, DateTimeOffset AnswerBy,
        DateTimeOffset CloseBy, Standing Standing);

    public sealed record EventView(string Action, string? From, string? To, string By, DateTimeOffset At, string? Note);

    public sealed record CallView(string CallSid, DateTimeOffset LinkedAt, string LinkedBy, IReadOnlyList<long> RecordingArchiveNumbers);

    public sealed record WorkOrderView(long Id, long ComplaintId, string Department, string Instructions, DateTimeOffset DueAt, WorkOrderStatus Status,
        string CreatedBy, DateTimeOffset CreatedAt, string? Result, string? CompletedBy, DateTimeOffset? CompletedAt, int EscalationLevel,
        DateTimeOffset? EscalatedAt);

    /// <summary>The whole ticket for the desk: full contact, the loop so far, linked calls with their recordings, work orders.</summary>
    public sealed record ComplaintView(long Id, ComplaintSource Source, string Channel, string? OriginCallSid, string? CallerName, string? Contact,
        DateTimeOffset? EventAt, string? Event, string? Request, ComplaintCategory Category, ComplaintGrade Grade, ComplaintStatus Status,
        DateTimeOffset ReceivedAt, string ReceivedBy, string? Handler, DateTimeOffset AcceptBy, DateTimeOffset AnswerBy, DateTimeOffset CloseBy,
        DateTimeOffset? AcceptedAt, DateTimeOffset? AnsweredAt, DateTimeOffset? FollowedUpAt, bool? Satisfied, DateTimeOffset? ClosedAt, int ReopenCount,
        Standing Standing, IReadOnlyList<ComplaintAction> Allowed, IReadOnlyList<EventView> Events, IReadOnlyList<CallView> Calls,
        IReadOnlyList<WorkOrderView> WorkOrders);

    /// <summary>The supervisor's view: open tickets overdue or nearly so, worst first, and overdue work orders.</summary>
    public sealed record AttentionView(DateTimeOffset At, IReadOnlyList<ComplaintSummary> Overdue, IReadOnlyList<ComplaintSummary> NearlyOverdue,
        IReadOnlyList<WorkOrderView> OverdueWorkOrders);

    public static IEndpointRouteBuilder MapComplaintApi(this IEndpointRouteBuilder routes)
    {
        var complaints = routes.MapGroup("/api/complaints").WithTags("Complaints").RequireStaff();
        complaints.MapPost("/", OpenAsync).WithName("ComplaintOpen").WithSummary("Enter a complaint (letter, walk-in, e-mail or a call).");
        complaints.MapGet("/", ListAsync).WithName("ComplaintList").WithSummary("Tickets, newest first; ?status=Received for the desk's intake queue.");
        complaints.MapGet("/{complaintId:long}", GetAsync).WithName("ComplaintGet");
        complaints.MapPost("/{complaintId:long}/{step}", StepAsync).WithName("ComplaintStep")
            .WithSummary("A loop step: accept, handle, track, answer, follow-up {satisfied}, close, reopen {note: reason}.");
        complaints.MapPost("/{complaintId:long}/calls", LinkCallAsync).WithName("ComplaintLinkCall")
            .WithSummary("Link a later call about the complaint; its recording is kept under the complaint rule.");
        complaints.MapPost("/{complaintId:long}/work-orders", SendWorkOrderAsync).WithName("ComplaintWorkOrder")
            .WithSummary("Hand the complaint to a department as a work order with a due date.");
        complaints.MapPost("/work-orders/{workOrderId:long}/complete", CompleteWorkOrderAsync).WithName("ComplaintWorkOrderComplete")
            .WithSummary("The department's result; the work order is done.");
        complaints.MapGet("/attention", AttentionAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("ComplaintAttention")
            .WithSummary("Overdue and nearly overdue tickets and overdue work orders, now.");
        complaints.MapGet("/reports/daily", ComplaintReport.DailyAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("ComplaintDailyReport")
            .WithSummary("One local day: received, accepted, answered, closed; overdue and nearly overdue at its end (the kept report of a finished day). ?format=csv lists the flagged tickets.");
        complaints.MapGet("/reports", ComplaintReport.StoredAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("ComplaintStoredReports")
            .WithSummary("The daily reports kept by the scheduled job, newest first.");
        return routes;
    }

    private static async Task<Results<Created<ComplaintView>, ValidationProblem, ProblemHttpResult>> OpenAsync(
        OpenRequest request, HttpContext http, CallCenterDbContext db, ComplaintDesk desk, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var channel = request.Channel?.Trim().ToLowerInvariant();
        if (channel is null || !Channels.Contains(channel)) errors["channel"] = [$"One of {string.Join(", ", Channels)}."];
        var name = Text(request.CallerName, "callerName", ComplaintLimits.NameLength, required: true, errors);
        var contact = Text(request.Contact, "contact", ComplaintLimits.ContactLength, required: true, errors);
        var what = Text(request.Event, "event", ComplaintLimits.TextLength, required: true, errors);
        var ask = Text(request.Request, "request", ComplaintLimits.TextLength, required: true, errors);
        var category = ParseEnum(request.Category, ComplaintCategory.Service, "category", errors);
        var grade = ParseEnum(request.Grade, ComplaintGrade.Ordinary, "grade", errors);
        var callSid = request.CallSid?.Trim();
        if (callSid is { Length: 0 or > 64 }) errors["callSid"] = ["1 to 64 characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Complaint not entered");
        if (callSid is not null && !await db.Calls.AnyAsync(c => c.CallSid == callSid, ct)) return NoCall(callSid);
        if (callSid is not null && await db.Complaints.AnyAsync(c => c.OriginCallSid == callSid, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Call already has a complaint",
                detail: $"Call {callSid} already opened a complaint; link it to that ticket instead.");

        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var complaint = desk.Open(new NewComplaint(ComplaintSource.Staff, channel!, callSid, name, contact, request.EventAt?.ToUniversalTime(),
            what, ask, category, grade), who, now);
        await db.SaveChangesAsync(ct);
        if (callSid is not null) await desk.ApplyRetentionAsync(complaint.Id, [callSid], ct);
        return TypedResults.Created($"/api/complaints/{complaint.Id}", await ViewAsync(db, complaint, desk.Policy, now, ct));
    }

    private static async Task<Ok<List<ComplaintSummary>>> ListAsync(string? status, CallCenterDbContext db, ComplaintDesk desk, TimeProvider clock,
        CancellationToken ct)
    {
        var query = db.Complaints.AsNoTracking();
        if (Enum.TryParse<ComplaintStatus>(status, ignoreCase: true, out var s)) query = query.Where(c => c.Status == s);
        var now = clock.GetUtcNow();
        return TypedResults.Ok((await query.OrderByDescending(c => c.ReceivedAt).ThenByDescending(c => c.Id).Take(200).ToListAsync(ct))
            .Select(c => Summary(c, desk.Policy, now)).ToList());
    }

    private static async Task<Results<Ok<ComplaintView>, ProblemHttpResult>> GetAsync(long complaintId, CallCenterDbContext db, ComplaintDesk desk,
        TimeProvider clock, CancellationToken ct) =>
        await db.Complaints.AsNoTracking().SingleOrDefaultAsync(c => c.Id == complaintId, ct) is { } complaint
            ? TypedResults.Ok(await ViewAsync(db, complaint, desk.Policy, clock.GetUtcNow(), ct))
            : NoComplaint(complaintId);

    private static async Task<Results<Ok<ComplaintView>, ValidationProblem, ProblemHttpResult>> StepAsync(
        long complaintId, string step, StepRequest? request, HttpContext http, CallCenterDbContext db, ComplaintDesk desk, TimeProvider clock,
        CancellationToken ct)
    {
        if (!Enum.TryParse<ComplaintAction>(step.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var action)
            || int.TryParse(step, out _))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such step",
                detail: $"Steps: {string.Join(", ", Enum.GetNames<ComplaintAction>().Select(n => n == "FollowUp" ? "follow-up" : n.ToLowerInvariant()))}.");
        var errors = new Dictionary<string, string[]>();
        var note = Text(request?.Note, "note", ComplaintLimits.NoteLength, required: false, errors);
        ComplaintGrade? regrade = request?.Grade is null ? null : ParseEnum(request.Grade, ComplaintGrade.Ordinary, "grade", errors);
        if (regrade is not null && action != ComplaintAction.Accept) errors["grade"] = ["The grade is set on acceptance."];
        if (action == ComplaintAction.Reopen && note is null) errors["note"] = ["A complaint is reopened only with a reason."];
        if (action == ComplaintAction.FollowUp && request?.Satisfied is null) errors["satisfied"] = ["Say whether the customer is satisfied."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Complaint step refused");

        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var logAction = "complaint." + action.ToString().ToLowerInvariant();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await LockAsync(db, complaintId, ct) is not { } complaint) return NoComplaint(complaintId);
        try
        {
            if (regrade is { } g) complaint.SetGrade(g, desk.Policy);
            complaint.Apply(action, who, now, note, request?.Satisfied, desk.Policy);
        }
        catch (ComplaintTransitionException ex)
        {
            await RefuseAsync(db, tx, ComplaintDesk.Log(who, now, logAction, complaintId, "refused", ex.Message), ct);
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Step not allowed now", detail: ex.Message);
        }
        db.OperationLog.Add(ComplaintDesk.Log(who, now, logAction, complaintId, "succeeded", note));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(await ViewAsync(db, complaint, desk.Policy, now, ct));
    }

    private static async Task<Results<Ok<ComplaintView>, ValidationProblem, ProblemHttpResult>> LinkCallAsync(
        long complaintId, LinkCallRequest request, HttpContext http, CallCenterDbContext db, ComplaintDesk desk, TimeProvider clock, CancellationToken ct)
    {
        var callSid = request.CallSid?.Trim();
        if (string.IsNullOrEmpty(callSid) || callSid.Length > 64)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["callSid"] = ["1 to 64 characters."] }, title: "Call not linked");
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await LockAsync(db, complaintId, ct) is not { } complaint) return NoComplaint(complaintId);
        if (!await db.Calls.AnyAsync(c => c.CallSid == callSid, ct)) return NoCall(callSid);
        if (!await db.ComplaintCalls.AnyAsync(l => l.ComplaintId == complaintId && l.CallSid == callSid, ct))
        {
            db.ComplaintCalls.Add(new ComplaintCall { ComplaintId = complaintId, CallSid = callSid, LinkedAt = now, LinkedBy = who });
            db.ComplaintEvents.Add(new ComplaintEvent { ComplaintId = complaintId, Action = "LinkCall", By = who, At = now, Note = callSid });
            db.OperationLog.Add(ComplaintDesk.Log(who, now, "complaint.link_call", complaintId, "succeeded", callSid));
            await db.SaveChangesAsync(ct);
        }
        await tx.CommitAsync(ct);
        await desk.ApplyRetentionAsync(complaintId, [callSid], ct);
        return TypedResults.Ok(await ViewAsync(db, complaint, desk.Policy, now, ct));
    }

    private static async Task<Results<Created<WorkOrderView>, ValidationProblem, ProblemHttpResult>> SendWorkOrderAsync(
        long complaintId, WorkOrderRequest request, HttpContext http, CallCenterDbContext db, ComplaintDesk desk,
        Microsoft.Extensions.Options.IOptions<ComplaintOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var department = Text(request.Department, "department", ComplaintLimits.DepartmentLength, required: true, errors);
        var instructions = Text(request.Instructions, "instructions", ComplaintLimits.TextLength, required: true, errors);
        var now = clock.GetUtcNow();
        if (request.DueAt is { } due && due <= now) errors["dueAt"] = ["The due date must be in the future."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Work order not sent");

        var who = http.User.WorkNumber();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (await LockAsync(db, complaintId, ct) is not { } complaint) return NoComplaint(complaintId);
        if (complaint.Status is not (ComplaintStatus.Accepted or ComplaintStatus.Handling or ComplaintStatus.Tracking))
        {
            var detail = $"Complaint {complaintId} is {complaint.Status}; work orders are sent while it is accepted and being handled.";
            await RefuseAsync(db, tx, ComplaintDesk.Log(who, now, "complaint.work_order", complaintId, "refused", detail), ct);
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Step not allowed now", detail: detail);
        }
        var order = new WorkOrder { ComplaintId = complaintId, Department = department!, Instructions = instructions!,
            DueAt = request.DueAt?.ToUniversalTime() ?? desk.Policy.Calendar.Add(now, new ComplaintLimit(options.Value.WorkOrderDays, LimitUnit.WorkingDays)),
            CreatedBy = who, CreatedAt = now };
        db.WorkOrders.Add(order);
        // While a department works on it the desk tracks the complaint.
        if (complaint.Status == ComplaintStatus.Accepted) complaint.Apply(ComplaintAction.Handle, who, now, null, null, desk.Policy);
        if (complaint.Status == ComplaintStatus.Handling) complaint.Apply(ComplaintAction.Track, who, now, $"work order to {department}", null, desk.Policy);
        await db.SaveChangesAsync(ct);
        db.ComplaintEvents.Add(new ComplaintEvent { ComplaintId = complaintId, Action = "WorkOrder", By = who, At = now,
            Note = $"#{order.Id} to {department}, due {order.DueAt:O}" });
        db.OperationLog.Add(ComplaintDesk.Log(who, now, "complaint.work_order", complaintId, "succeeded", $"#{order.Id} to {department}"));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Created($"/api/complaints/{complaintId}", ToView(order));
    }

    private static async Task<Results<Ok<WorkOrderView>, ValidationProblem, ProblemHttpResult>> CompleteWorkOrderAsync(
        long workOrderId, WorkOrderResult request, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var result = Text(request.Result, "result", ComplaintLimits.TextLength, required: true, errors);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Work order not completed");
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var order = await db.WorkOrders.FromSql($"SELECT * FROM complaint_work_orders WHERE id = {workOrderId} FOR UPDATE").SingleOrDefaultAsync(ct);
        if (order is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such work order", detail: $"No work order {workOrderId}.");
        if (order.Status == WorkOrderStatus.Done)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Work order already done",
                detail: $"Work order {workOrderId} was completed by {order.CompletedBy} at {order.CompletedAt:O}.");
        (order.Status, order.Result, order.CompletedBy, order.CompletedAt) = (WorkOrderStatus.Done, result, who, now);
        db.ComplaintEvents.Add(new ComplaintEvent { ComplaintId = order.ComplaintId, Action = "WorkOrderDone", By = who, At = now,
            Note = $"#{order.Id} {order.Department}: {result}" });
        db.OperationLog.Add(ComplaintDesk.Log(who, now, "complaint.work_order_done", order.ComplaintId, "succeeded", $"#{order.Id}"));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(ToView(order));
    }

    private static async Task<Ok<AttentionView>> AttentionAsync(CallCenterDbContext db, ComplaintDesk desk, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var flagged = await ComplaintReport.FlaggedAsync(db, desk.Policy, now, ct);
        var orders = await db.WorkOrders.AsNoTracking().Where(w => w.Status == WorkOrderStatus.Open && w.DueAt <= now).OrderBy(w => w.DueAt).ToListAsync(ct);
        return TypedResults.Ok(new AttentionView(now,
            [.. flagged.Where(f => f.Standing.Worst == DeadlineState.Overdue)],
            [.. flagged.Where(f => f.Standing.Worst == DeadlineState.NearlyOverdue)],
            [.. orders.Select(ToView)]));
    }

    internal static ComplaintSummary Summary(Complaint c, ComplaintPolicy policy, DateTimeOffset now) =>
        new(c.Id, c.Source, c.Grade, c.Category, c.Status, c.CallerName, PhoneNumberMask.Mask(c.Contact), c.ReceivedAt, c.Handler,
            c.AcceptBy, c.AnswerBy, c.CloseBy, StandingOf(c, policy, now));

    internal static Standing StandingOf(Complaint c, ComplaintPolicy policy, DateTimeOffset now)
    {
        var s = policy.Evaluate(c.Grade, c.Deadlines, c.MilestonesAt(now), now);
        return new(s.Accept, s.Answer, s.Close, s.Worst);
    }

    private static async Task<ComplaintView> ViewAsync(CallCenterDbContext db, Complaint c, ComplaintPolicy policy, DateTimeOffset now, CancellationToken ct)
    {
        var events = await db.ComplaintEvents.AsNoTracking().Where(e => e.ComplaintId == c.Id).OrderBy(e => e.Id).ToListAsync(ct);
        var calls = await db.ComplaintCalls.AsNoTracking().Where(l => l.ComplaintId == c.Id).OrderBy(l => l.LinkedAt).ToListAsync(ct);
        var sids = calls.Select(l => l.CallSid).ToList();
        var recordings = await db.ArchivedRecordings.AsNoTracking().Where(r => sids.Contains(r.CallSid))
            .Select(r => new { r.CallSid, r.ArchiveNumber }).ToListAsync(ct);
        var orders = await db.WorkOrders.AsNoTracking().Where(w => w.ComplaintId == c.Id).OrderBy(w => w.Id).ToListAsync(ct);
        return new ComplaintView(c.Id, c.Source, c.Channel, c.OriginCallSid, c.CallerName, c.Contact, c.EventAt, c.Event, c.Request, c.Category,
            c.Grade, c.Status, c.ReceivedAt, c.ReceivedBy, c.Handler, c.AcceptBy, c.AnswerBy, c.CloseBy, c.AcceptedAt, c.AnsweredAt, c.FollowedUpAt,
            c.Satisfied, c.ClosedAt, c.ReopenCount, StandingOf(c, policy, now), ComplaintLifecycle.Allowed(c.Status),
            [.. events.Select(e => new EventView(e.Action, e.FromStatus, e.ToStatus, e.By, e.At, e.Note))],
            [.. calls.Select(l => new CallView(l.CallSid, l.LinkedAt, l.LinkedBy,
                [.. recordings.Where(r => r.CallSid == l.CallSid).Select(r => r.ArchiveNumber).Order()]))],
            [.. orders.Select(ToView)]);
    }

    internal static WorkOrderView ToView(WorkOrder w) =>
        new(w.Id, w.ComplaintId, w.Department, w.Instructions, w.DueAt, w.Status, w.CreatedBy, w.CreatedAt, w.Result, w.CompletedBy, w.CompletedAt,
            w.EscalationLevel, w.EscalatedAt);

    private static Task<Complaint?> LockAsync(CallCenterDbContext db, long complaintId, CancellationToken ct) =>
        db.Complaints.FromSql($"SELECT * FROM complaints WHERE id = {complaintId} FOR UPDATE").SingleOrDefaultAsync(ct);

    // Nothing of the refused step is kept; only the refusal is logged.
    private static async Task RefuseAsync(CallCenterDbContext db, IDbContextTransaction tx, Audit.OperationLogEntry refusal, CancellationToken ct)
    {
        await tx.RollbackAsync(ct);
        db.ChangeTracker.Clear();
        db.OperationLog.Add(refusal);
        await db.SaveChangesAsync(ct);
    }

    private static string? Text(string? value, string field, int max, bool required, Dictionary<string, string[]> errors)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            if (required) errors[field] = ["Required."];
            return null;
        }
        if (trimmed.Length > max) errors[field] = [$"At most {max} characters."];
        return trimmed;
    }

    /// <summary>Checks a complaint given in a wrap-up, with the same rules as a ticket entered by staff.</summary>
    public static void ValidateWrapUp(Agents.AgentApi.WrapUpComplaint complaint, Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(complaint);
        var found = new Dictionary<string, string[]>();
        ParseEnum(complaint.Grade, ComplaintGrade.Ordinary, "grade", found);
        ParseEnum(complaint.Category, ComplaintCategory.Service, "category", found);
        Text(complaint.CallerName, "callerName", ComplaintLimits.NameLength, required: false, found);
        Text(complaint.Contact, "contact", ComplaintLimits.ContactLength, required: false, found);
        Text(complaint.Event, "event", ComplaintLimits.TextLength, required: false, found);
        Text(complaint.Request, "request", ComplaintLimits.TextLength, required: true, found);
        foreach (var (field, messages) in found) errors["complaint." + field] = messages;
    }

    internal static T ParseEnum<T>(string? value, T fallback, string field, Dictionary<string, string[]> errors) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        if (Enum.TryParse<T>(value.Trim(), ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(value, out _)) return parsed;
        errors[field] = [$"One of {string.Join(", ", Enum.GetNames<T>())}."];
        return fallback;
    }

    private static ProblemHttpResult NoComplaint(long id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such complaint", detail: $"No complaint {id}.");

    private static ProblemHttpResult NoCall(string callSid) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such call", detail: $"No call {callSid} in the call log.");
}
