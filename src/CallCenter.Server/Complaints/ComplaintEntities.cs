using CallCenter.Core.Complaints;

namespace CallCenter.Server.Complaints;

/// <summary>Where a complaint came from.</summary>
public enum ComplaintSource
{
    /// <summary>The IVR's complaint option (an <c>ivr.complaint</c> call event).</summary>
    Ivr,
    /// <summary>An agent's wrap-up of a call.</summary>
    WrapUp,
    /// <summary>Entered by staff: a letter, a walk-in, an e-mail.</summary>
    Staff,
}

/// <summary>Complaint categories (requirements: service, product, system/technical, policy/process).</summary>
public enum ComplaintCategory
{
    Service,
    Product,
    System,
    Policy,
}

/// <summary>
/// A complaint ticket (art. 41): who, how to reach them, when, what happened and what they ask for, its grade and
/// deadlines, and where it stands in the closed loop. Changed only through <see cref="Apply"/>, which the API audits.
/// </summary>
public sealed class Complaint
{
    public long Id { get; private set; }
    public ComplaintSource Source { get; init; }
    /// <summary>phone, letter, walk-in, email…</summary>
    public required string Channel { get; init; }
    /// <summary>The call the complaint was made on; one ticket per call.</summary>
    public string? OriginCallSid { get; init; }
    public string? CallerName { get; set; }
    /// <summary>Phone number or address for the answer and the follow-up call; shown masked in lists.</summary>
    public string? Contact { get; set; }
    /// <summary>When the complained-about event happened, as the customer says.</summary>
    public DateTimeOffset? EventAt { get; set; }
    public string? Event { get; set; }
    public string? Request { get; set; }
    public ComplaintCategory Category { get; set; }
    public ComplaintGrade Grade { get; private set; }
    public ComplaintStatus Status { get; private set; }
    public DateTimeOffset ReceivedAt { get; init; }
    public required string ReceivedBy { get; init; }
    public DateTimeOffset AcceptBy { get; private set; }
    public DateTimeOffset AnswerBy { get; private set; }
    public DateTimeOffset CloseBy { get; private set; }
    public DateTimeOffset? AcceptedAt { get; private set; }
    public string? Handler { get; private set; }
    public DateTimeOffset? AnsweredAt { get; private set; }
    public DateTimeOffset? FollowedUpAt { get; private set; }
    /// <summary>The follow-up call's result.</summary>
    public bool? Satisfied { get; private set; }
    public DateTimeOffset? ClosedAt { get; private set; }
    public int ReopenCount { get; private set; }
    /// <summary>When the overdue worker first flagged each milestone; cleared for answer and close on reopen.</summary>
    public DateTimeOffset? AcceptOverdueAt { get; set; }
    public DateTimeOffset? AnswerOverdueAt { get; set; }
    public DateTimeOffset? CloseOverdueAt { get; set; }
    public List<ComplaintCall> Calls { get; init; } = [];
    public List<ComplaintEvent> Events { get; init; } = [];

    /// <summary>The milestones reached by <paramref name="at"/>, so a report can judge a past day.</summary>
    public Milestones MilestonesAt(DateTimeOffset at) =>
        new(AcceptedAt <= at ? AcceptedAt : null, AnsweredAt <= at ? AnsweredAt : null, ClosedAt <= at ? ClosedAt : null);

    public Deadlines Deadlines => new(AcceptBy, AnswerBy, CloseBy);

    /// <summary>Sets the grade and the deadlines it implies, counted from receipt.</summary>
    public void SetGrade(ComplaintGrade grade, ComplaintPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Grade = grade;
        (AcceptBy, AnswerBy, CloseBy) = policy.For(grade, ReceivedAt);
    }

    /// <summary>
    /// One step of the loop through the pure state machine, with the milestone it reaches; returns the audit row.
    /// </summary>
    public ComplaintEvent Apply(ComplaintAction action, string who, DateTimeOffset now, string? note, bool? satisfied, ComplaintPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var from = Status;
        if (action == ComplaintAction.FollowUp && satisfied is null)
            throw new ArgumentException("The follow-up records whether the customer is satisfied.", nameof(satisfied));
        Status = ComplaintLifecycle.Next(Status, action, note);
        switch (action)
        {
            case ComplaintAction.Accept:
                AcceptedAt = now;
                Handler = who;
                break;
            case ComplaintAction.Answer:
                AnsweredAt = now;
                break;
            case ComplaintAction.FollowUp:
                FollowedUpAt = now;
                Satisfied = satisfied;
                break;
            case ComplaintAction.Close:
                ClosedAt = now;
                break;
            case ComplaintAction.Reopen:
                // Answered again within the reopen limit, by a new handler (the one reopening it until someone takes it over).
                (AcceptBy, AnswerBy, CloseBy) = policy.ForReopened(Grade, Deadlines, now);
                AnsweredAt = FollowedUpAt = ClosedAt = null;
                Satisfied = null;
                AnswerOverdueAt = CloseOverdueAt = null;
                Handler = who;
                ReopenCount++;
                break;
        }
        var entry = new ComplaintEvent { ComplaintId = Id, Action = action.ToString(), FromStatus = from.ToString(), ToStatus = Status.ToString(), By = who, At = now, Note = note };
        Events.Add(entry);
        return entry;
    }
}

/// <summary>One audited step of a complaint: every transition, link, work order and overdue flag, in order.</summary>
public sealed class ComplaintEvent
{
    public long Id { get; private set; }
    public long ComplaintId { get; init; }
    public required string Action { get; init; }
    public string? FromStatus { get; init; }
    public string? ToStatus { get; init; }
    public required string By { get; init; }
    public DateTimeOffset At { get; init; }
    public string? Note { get; init; }
}

/// <summary>A call about a complaint: the complaint call itself and every later one; their recordings follow the complaint rule.</summary>
public sealed class ComplaintCall
{
    public long ComplaintId { get; init; }
    public required string CallSid { get; init; }
    public DateTimeOffset LinkedAt { get; init; }
    public required string LinkedBy { get; init; }
}

/// <summary>Open until the department reports back.</summary>
public enum WorkOrderStatus
{
    Open,
    Done,
}

/// <summary>A complaint handed to another department (art. 42), with a due date, escalated while overdue.</summary>
public sealed class WorkOrder
{
    public long Id { get; private set; }
    public long ComplaintId { get; init; }
    public required string Department { get; init; }
    public required string Instructions { get; init; }
    public DateTimeOffset DueAt { get; init; }
    public WorkOrderStatus Status { get; set; }
    public required string CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public string? Result { get; set; }
    public string? CompletedBy { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    /// <summary>0 until overdue; raised by the worker, one level per escalation period.</summary>
    public int EscalationLevel { get; set; }
    public DateTimeOffset? EscalatedAt { get; set; }
}

/// <summary>The daily complaint report of one finished local day, produced once by the scheduled job and kept as it was then.</summary>
public sealed class StoredComplaintReport
{
    public DateOnly Date { get; init; }
    public DateTimeOffset ProducedAt { get; init; }
    /// <summary>The report as JSON (<see cref="ComplaintReport.DailyReport"/>).</summary>
    public required string Body { get; init; }
}
