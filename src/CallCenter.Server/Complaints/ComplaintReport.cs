using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CallCenter.Core.Complaints;
using CallCenter.Server.Data;
using CallCenter.Server.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Complaints;

/// <summary>The daily complaint report and the overdue list both read the same evaluation.</summary>
public static class ComplaintReport
{
    /// <summary>
    /// One local day of the desk: what came in and went out, and what stood overdue at the day's end (or now, for today).
    /// <see cref="StoredAt"/> is set on the report the scheduled job kept for a finished day; null on one worked out on request.
    /// </summary>
    public sealed record DailyReport(DateOnly Date, string TimeZone, DateTimeOffset EvaluatedAt, int Received, IReadOnlyDictionary<string, int> ReceivedByGrade,
        IReadOnlyDictionary<string, int> ReceivedBySource, int Accepted, int Answered, int AnsweredLate, int Closed, int Reopened, int FollowUpsSatisfied,
        int FollowUpsUnsatisfied, IReadOnlyList<ComplaintApi.ComplaintSummary> Overdue, IReadOnlyList<ComplaintApi.ComplaintSummary> NearlyOverdue,
        int OverdueWorkOrders, DateTimeOffset? StoredAt = null);

    /// <summary>A kept report in the list: its day and headline figures.</summary>
    public sealed record StoredReportView(DateOnly Date, DateTimeOffset ProducedAt, int Received, int Overdue, int NearlyOverdue, int OverdueWorkOrders);

    internal static readonly JsonSerializerOptions StoredJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

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

    /// <summary>Works out the report of local day <paramref name="day"/>, judged at its end or at <paramref name="now"/> if that comes first.</summary>
    public static async Task<DailyReport> BuildAsync(CallCenterDbContext db, ComplaintPolicy policy, DateOnly day, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var zone = policy.Calendar.TimeZone;
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
        var flagged = await FlaggedAsync(db, policy, at, ct);
        var orders = await db.WorkOrders.AsNoTracking().CountAsync(w => w.DueAt <= at && (w.CompletedAt == null || w.CompletedAt > at), ct);
        int Count(ComplaintAction a) => steps.Count(s => s.Action == a.ToString());

        return new DailyReport(day, zone.Id, at, received.Count,
            Enum.GetValues<ComplaintGrade>().ToDictionary(g => g.ToString(), g => received.Count(r => r.Grade == g)),
            Enum.GetValues<ComplaintSource>().ToDictionary(s => s.ToString(), s => received.Count(r => r.Source == s)),
            Count(ComplaintAction.Accept), answeredIds.Count, answeredLate, Count(ComplaintAction.Close), Count(ComplaintAction.Reopen),
            followUps.Count(s => s == true), followUps.Count(s => s == false),
            [.. flagged.Where(f => f.Standing.Worst == DeadlineState.Overdue)], [.. flagged.Where(f => f.Standing.Worst == DeadlineState.NearlyOverdue)],
            orders);
    }

    /// <summary>
    /// Keeps the report of the last finished local day if nobody has yet; the day's primary key makes this happen once
    /// however many instances try. Returns the day kept, or null when it was already there.
    /// </summary>
    public static async Task<DateOnly?> ProduceAsync(CallCenterDbContext db, ComplaintPolicy policy, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var yesterday = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, policy.Calendar.TimeZone).DateTime).AddDays(-1);
        if (await db.ComplaintDailyReports.AnyAsync(r => r.Date == yesterday, ct)) return null;
        var report = await BuildAsync(db, policy, yesterday, now, ct) with { StoredAt = now };
        var body = JsonSerializer.Serialize(report, StoredJson);
        var added = await db.Database.ExecuteSqlAsync(
            $"INSERT INTO complaint_daily_reports (date, produced_at, body) VALUES ({yesterday}, {now}, {body}::jsonb) ON CONFLICT (date) DO NOTHING", ct);
        return added == 1 ? yesterday : null;
    }

    internal static async Task<Results<Ok<DailyReport>, ContentHttpResult, ValidationProblem>> DailyAsync(string? date, string? format,
        CallCenterDbContext db, ComplaintDesk desk, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        DateOnly day;
        if (date is null) day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, desk.Policy.Calendar.TimeZone).DateTime);
        else if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["date"] = ["A local date, yyyy-MM-dd."] }, title: "Invalid report date");
        // The kept report of a finished day, as it was produced; otherwise worked out now (today, or a day the job missed).
        var stored = await db.ComplaintDailyReports.AsNoTracking().Where(r => r.Date == day).Select(r => r.Body).SingleOrDefaultAsync(ct);
        var report = stored is not null
            ? JsonSerializer.Deserialize<DailyReport>(stored, StoredJson)!
            : await BuildAsync(db, desk.Policy, day, now, ct);
        if (!string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase)) return TypedResults.Ok(report);

        var csv = new StringBuilder("complaint,standing,grade,status,received_at,accept_by,answer_by,close_by,handler\n");
        foreach (var f in report.Overdue.Concat(report.NearlyOverdue))
            csv.Append(CultureInfo.InvariantCulture, $"{f.Id},{f.Standing.Worst},{f.Grade},{f.Status},{f.ReceivedAt:O},{f.AcceptBy:O},{f.AnswerBy:O},{f.CloseBy:O},{f.Handler}\n");
        return TypedResults.Text(csv.ToString(), "text/csv; charset=utf-8");
    }

    internal static async Task<Ok<List<StoredReportView>>> StoredAsync(CallCenterDbContext db, CancellationToken ct)
    {
        var rows = await db.ComplaintDailyReports.AsNoTracking().OrderByDescending(r => r.Date).Take(62).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(r =>
        {
            var report = JsonSerializer.Deserialize<DailyReport>(r.Body, StoredJson)!;
            return new StoredReportView(r.Date, r.ProducedAt, report.Received, report.Overdue.Count, report.NearlyOverdue.Count, report.OverdueWorkOrders);
        }).ToList());
    }

    private static DateTimeOffset Local(DateOnly day, TimeZoneInfo zone)
    {
        var wall = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(wall, zone.GetUtcOffset(wall)).ToUniversalTime();
    }
}

/// <summary>Keeps each finished day's complaint report, once across instances (it asks every <c>Complaints:DailyReportCheckEvery</c>).</summary>
public sealed class ComplaintReportWorker(IServiceScopeFactory scopes, ScheduledRuns runs, IOptions<ComplaintOptions> options, TimeProvider clock,
    ILogger<ComplaintReportWorker> logger) : ScheduledWorker(runs, clock, logger)
{
    public override string JobName => "complaints.daily-report";

    protected override TimeSpan Period => options.Value.DailyReportCheckEvery;

    protected override async Task RunAsync(CancellationToken ct)
    {
        using var activity = Telemetry.CallCenterTelemetry.ActivitySource.StartActivity("complaints.daily_report");
        await using var scope = scopes.CreateAsyncScope();
        var desk = scope.ServiceProvider.GetRequiredService<ComplaintDesk>();
        var kept = await ComplaintReport.ProduceAsync(scope.ServiceProvider.GetRequiredService<CallCenterDbContext>(), desk.Policy, Clock.GetUtcNow(), ct);
        activity?.SetTag("complaints.report_date", kept?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (kept is { } day) Logger.LogInformation("Complaint report of {Day} kept", day);
    }
}
