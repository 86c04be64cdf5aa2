using System.Globalization;
using System.Text;
using CallCenter.Core.Complaints;
using CallCenter.Server.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Complaints;

/// <summary>The daily complaint report and the overdue list both read the same evaluation.</summary>
public static class ComplaintReport
{
    /// <summary>One local day of the desk: what came in and went out, and what stood overdue at the day's end (or now, for today).</summary>
    public sealed record DailyReport(DateOnly Date, string TimeZone, DateTimeOffset EvaluatedAt, int Received, IReadOnlyDictionary<string, int> ReceivedByGrade,
        IReadOnlyDictionary<string, int> ReceivedBySource, int Accepted, int Answered, int AnsweredLate, int Closed, int Reopened, int FollowUpsSatisfied,
        int FollowUpsUnsatisfied, IReadOnlyList<ComplaintApi.ComplaintSummary> Overdue, IReadOnlyList<ComplaintApi.ComplaintSummary> NearlyOverdue,
        int OverdueWorkOrders);

    /// <summary>Open tickets (as of <paramref name="at"/>) overdue or nearly overdue there, worst and oldest deadline first.</summary>
    public static async Task<List<ComplaintApi.ComplaintSummary>> FlaggedAsync(CallCenterDbContext db, ComplaintPolicy policy, DateTimeOffset at,
        CancellationToken ct)
    {
        var maxWarn = policy.Grades.Values.Max(g => g.WarnBefore);
        var horizon = at + maxWarn;
        // Only tickets received by then and not closed by then, with a deadline inside the widest warning lead.
        var open = await db.Complaints.AsNoTracking()
            .Where(c => c.ReceivedAt <= at && (c.ClosedAt == null || c.ClosedAt > at))
            .Where(c => (c.AcceptedAt == null && c.AcceptBy <= horizon) || (c.AnsweredAt == null && c.AnswerBy <= horizon) || c.CloseBy <= horizon)
            .ToListAsync(ct);
        return [.. open.Select(c => ComplaintApi.Summary(c, policy, at))
            .Where(s => s.Standing.Worst is DeadlineState.Overdue or DeadlineState.NearlyOverdue)
            .OrderBy(s => s.Standing.Worst == DeadlineState.Overdue ? 0 : 1).ThenBy(s => s.AnswerBy).ThenBy(s => s.Id)];
    }

    internal static async Task<Results<Ok<DailyReport>, ContentHttpResult, ValidationProblem>> DailyAsync(string? date, string? format,
        CallCenterDbContext db, ComplaintDesk desk, TimeProvider clock, CancellationToken ct)
    {
        var zone = desk.Policy.Calendar.TimeZone;
        var now = clock.GetUtcNow();
        DateOnly day;
        if (date is null) day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        else if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["date"] = ["A local date, yyyy-MM-dd."] }, title: "Invalid report date");
        var start = Local(day, zone);
        var end = Local(day.AddDays(1), zone);
        var at = end < now ? end : now;

        var received = await db.Complaints.AsNoTracking().Where(c => c.ReceivedAt >= start && c.ReceivedAt < end)
            .Select(c => new { c.Grade, c.Source }).ToListAsync(ct);
        var steps = await db.ComplaintEvents.AsNoTracking().Where(e => e.At >= start && e.At < end)
            .Select(e => new { e.Action, e.ComplaintId }).ToListAsync(ct);
        var answeredIds = steps.Where(s => s.Action == nameof(ComplaintAction.Answer)).Select(s => s.ComplaintId).ToList();
        var answeredLate = await db.Complaints.AsNoTracking().CountAsync(c => answeredIds.Contains(c.Id) && c.AnsweredAt > c.AnswerBy, ct);
        var followUps = await db.Complaints.AsNoTracking().Where(c => c.FollowedUpAt >= start && c.FollowedUpAt < end).Select(c => c.Satisfied).ToListAsync(ct);
        var flagged = await FlaggedAsync(db, desk.Policy, at, ct);
        var orders = await db.WorkOrders.AsNoTracking().CountAsync(w => w.DueAt <= at && (w.CompletedAt == null || w.CompletedAt > at), ct);
        int Count(ComplaintAction a) => steps.Count(s => s.Action == a.ToString());

        var report = new DailyReport(day, zone.Id, at, received.Count,
            Enum.GetValues<ComplaintGrade>().ToDictionary(g => g.ToString(), g => received.Count(r => r.Grade == g)),
            Enum.GetValues<ComplaintSource>().ToDictionary(s => s.ToString(), s => received.Count(r => r.Source == s)),
            Count(ComplaintAction.Accept), answeredIds.Count, answeredLate, Count(ComplaintAction.Close), Count(ComplaintAction.Reopen),
            followUps.Count(s => s == true), followUps.Count(s => s == false),
            [.. flagged.Where(f => f.Standing.Worst == DeadlineState.Overdue)], [.. flagged.Where(f => f.Standing.Worst == DeadlineState.NearlyOverdue)],
            orders);
        if (!string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase)) return TypedResults.Ok(report);

        var csv = new StringBuilder("complaint,standing,grade,status,received_at,accept_by,answer_by,close_by,handler\n");
        foreach (var f in flagged)
            csv.Append(CultureInfo.InvariantCulture, $"{f.Id},{f.Standing.Worst},{f.Grade},{f.Status},{f.ReceivedAt:O},{f.AcceptBy:O},{f.AnswerBy:O},{f.CloseBy:O},{f.Handler}\n");
        return TypedResults.Text(csv.ToString(), "text/csv; charset=utf-8");
    }

    private static DateTimeOffset Local(DateOnly day, TimeZoneInfo zone)
    {
        var wall = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(wall, zone.GetUtcOffset(wall)).ToUniversalTime();
    }
}
