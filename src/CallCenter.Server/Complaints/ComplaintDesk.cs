using CallCenter.Core.Archive;
using CallCenter.Core.Complaints;
using CallCenter.Server.Archive;
using CallCenter.Server.Audit;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Complaints;

/// <summary>What a new ticket says; the API, the wrap-up and the IVR intake all open tickets through it.</summary>
public sealed record NewComplaint(ComplaintSource Source, string Channel, string? OriginCallSid, string? CallerName, string? Contact,
    DateTimeOffset? EventAt, string? Event, string? Request, ComplaintCategory Category, ComplaintGrade Grade);

/// <summary>
/// The complaint desk's writes that more than one entry point needs: opening a ticket and linking a call. Linking
/// puts the call under the complaint retention rule: a <c>complaint.linked</c> call-log event (the archive classifies
/// calls by their events) and, for recordings already archived, a longer retention date.
/// </summary>
public sealed class ComplaintDesk(CallCenterDbContext db, ICallEventLog callLog, IOptions<ComplaintOptions> options,
    IOptions<ArchiveOptions> archive, TimeProvider clock)
{
    private readonly ComplaintPolicy _policy = options.Value.Policy();

    public ComplaintPolicy Policy => _policy;

    /// <summary>Adds the ticket (and its origin call's link) to the unit of work; the caller saves.</summary>
    public Complaint Open(NewComplaint request, string who, DateTimeOffset receivedAt)
    {
        ArgumentNullException.ThrowIfNull(request);
        var complaint = new Complaint
        {
            Source = request.Source, Channel = request.Channel, OriginCallSid = request.OriginCallSid, CallerName = request.CallerName,
            Contact = request.Contact, EventAt = request.EventAt, Event = request.Event, Request = request.Request, Category = request.Category,
            ReceivedAt = receivedAt, ReceivedBy = who,
        };
        complaint.SetGrade(request.Grade, _policy);
        complaint.Events.Add(new ComplaintEvent { Action = "Receive", ToStatus = complaint.Status.ToString(), By = who, At = receivedAt,
            Note = $"{request.Source} via {request.Channel}, grade {request.Grade}" });
        if (request.OriginCallSid is { } callSid)
            complaint.Calls.Add(new ComplaintCall { CallSid = callSid, LinkedAt = receivedAt, LinkedBy = who });
        db.Complaints.Add(complaint);
        db.OperationLog.Add(Log(who, receivedAt, "complaint.open", "new", "succeeded", $"{request.Source} {request.Grade} {request.Category}"));
        return complaint;
    }

    /// <summary>After the ticket is saved: marks its calls in the call log and stretches their recordings' retention.</summary>
    public async Task ApplyRetentionAsync(long complaintId, IReadOnlyCollection<string> callSids, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var callSid in callSids)
        {
            await callLog.AppendAsync(new NewCallEvent(callSid, "complaint.linked", $"complaint.linked#{complaintId}", now,
                CallEventPayload.Serialize(new { complaint = complaintId })), ct);
        }
        var years = archive.Value.RetentionPolicy().YearsFor(CallCategory.Complaint);
        var complaint = CallCategory.Complaint.ToString();
        // Recordings archived before the link keep the longer of their date and the complaint rule's.
        await db.Database.ExecuteSqlAsync($"""
            UPDATE archived_recordings
               SET category = {complaint},
                   retain_until = GREATEST(retain_until, call_started_at + make_interval(years => {years}))
             WHERE call_sid = ANY({callSids.ToArray()}) AND destroyed_at IS NULL
            """, ct);
    }

    /// <summary>An operation-log row for a complaint step.</summary>
    public static OperationLogEntry Log(string who, DateTimeOffset at, string action, object complaintId, string result, string? details) =>
        new() { OccurredAt = at, Operator = who, Action = action, Target = $"complaint {complaintId}", Result = result, Details = details };
}
