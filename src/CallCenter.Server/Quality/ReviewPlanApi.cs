using System.Security.Cryptography;
using CallCenter.Core.Quality;
using CallCenter.Server.Archive;
using CallCenter.Server.Audit;
using CallCenter.Server.Data;
using CallCenter.Server.Metrics;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Quality;

/// <summary>
/// The monthly review: a plan of N recorded calls per agent (every complaint call included, the rest drawn at random,
/// stratified by queue, with a recorded seed), each reviewer's progress on it, calibration of two or more reviewers on
/// one call, and each agent's scorecard over months.
/// </summary>
public static class ReviewPlanApi
{
    /// <summary>Draw a month's plan: N calls per agent, a seed (random when absent), the reviewers to share it.</summary>
    /// <param name="Period">The month, yyyy-MM.</param>
    /// <param name="PerAgent">Calls per agent (every complaint call is added even beyond it).</param>
    /// <param name="Seed">Fixes the draw; kept with the plan.</param>
    /// <param name="Reviewers">Work numbers of QA staff or supervisors.</param>
    /// <param name="DryRun">Draw and show the plan without keeping it (a preview, or a check that a seed redraws a kept plan).</param>
    public sealed record PlanRequest(string? Period, int PerAgent, long? Seed, List<string>? Reviewers, bool DryRun = false);

    public sealed record PlanItemView(long ArchiveNumber, string CallSid, string Agent, string Queue, bool Complaint, string Reviewer, long? EvaluationId);

    public sealed record ReviewerProgress(string Reviewer, int Assigned, int Scored);

    public sealed record PlanView(long Id, string Period, int PerAgent, long Seed, string CreatedBy, DateTimeOffset CreatedAt,
        IReadOnlyList<ReviewerProgress> Progress, IReadOnlyList<PlanItemView> Items);

    public sealed record CalibrationView(long ArchiveNumber, IReadOnlyList<ReviewerTotal> Reviews, CalibrationResult? Result);

    public sealed record ReviewerTotal(string Reviewer, long EvaluationId, decimal Total, bool FatalFailed);

    public sealed record ScorecardMonth(string Period, int Evaluations, decimal? Average, decimal? Lowest, decimal? Highest, int FatalFailures, string? Grade);

    public static IEndpointRouteBuilder MapReviewPlanApi(this IEndpointRouteBuilder routes)
    {
        var qa = routes.MapGroup("/api/qa").WithTags("Quality");
        qa.MapPost("/plans", CreatePlanAsync).WithName("CreateReviewPlan").RequireStaff(StaffAuthentication.SupervisorPolicy);
        qa.MapGet("/plans/{period}", GetPlanAsync).WithName("GetReviewPlan").RequireStaff(ArchiveApi.RecordingsPolicy);
        qa.MapGet("/calibration/{archiveNumber:long}", CalibrationAsync).WithName("Calibration").RequireStaff(ArchiveApi.RecordingsPolicy);
        qa.MapGet("/scorecards/{agent}", ScorecardAsync).WithName("AgentScorecard").RequireStaff();
        return routes;
    }

    private static async Task<Results<Created<PlanView>, Ok<PlanView>, ValidationProblem, ProblemHttpResult>> CreatePlanAsync(
        PlanRequest request, HttpContext http, CallCenterDbContext db, IOptions<MetricsOptions> metrics, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!ReviewPeriod.TryParse(request.Period, out var period)) errors["period"] = ["A period is a month written yyyy-MM."];
        if (request.PerAgent is < 1 or > 200) errors["perAgent"] = ["1 to 200 calls per agent."];
        var reviewers = (request.Reviewers ?? []).Select(r => r.Trim()).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        if (reviewers.Count == 0) errors["reviewers"] = ["At least one reviewer."];
        else
        {
            var known = await db.StaffMembers.AsNoTracking()
                .Where(s => reviewers.Contains(s.WorkNumber) && (s.Role == StaffRole.Quality || s.Role == StaffRole.Supervisor))
                .Select(s => s.WorkNumber).ToListAsync(ct);
            if (reviewers.Except(known).ToList() is { Count: > 0 } unknown)
                errors["reviewers"] = [$"Not QA staff or supervisors: {string.Join(", ", unknown)}."];
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Review plan not drawn");
        var periodText = period.ToString();
        if (!request.DryRun && await db.ReviewPlans.AnyAsync(p => p.Period == periodText, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "A plan for this month exists",
                detail: "A month has one plan, so its random draw cannot be repeated until it suits someone.");

        var (start, end) = period.Bounds(metrics.Value.Zone);
        var candidates = await db.ArchivedRecordings.AsNoTracking()
            .Where(r => r.DestroyedAt == null && r.Agent != null && r.CallStartedAt >= start && r.CallStartedAt < end)
            .Select(r => new
            {
                r.ArchiveNumber, r.CallSid, Agent = r.Agent!, Queue = r.Queue ?? "(none)",
                Complaint = db.CallEvents.Any(e => e.CallSid == r.CallSid && e.Type == "ivr.complaint"),
            }).ToListAsync(ct);
        // One recording per call is sampled: the first archived.
        var byCall = candidates.GroupBy(c => c.CallSid).Select(g => g.MinBy(c => c.ArchiveNumber)!).ToDictionary(c => c.CallSid);
        var seed = request.Seed ?? BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8));
        var drawn = MonthlySampling.Draw(byCall.Values.Select(c => new SampleCandidate(c.CallSid, c.Agent, c.Queue, c.Complaint)), request.PerAgent, seed, reviewers);

        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var plan = new ReviewPlan
        {
            Period = periodText, PerAgent = request.PerAgent, Seed = seed, CreatedBy = who, CreatedAt = now,
            Items = [.. drawn.Select(d => new ReviewPlanItem { ArchiveNumber = byCall[d.CallSid].ArchiveNumber, CallSid = d.CallSid, Agent = d.Agent,
                Queue = d.Queue, Complaint = d.Complaint, Reviewer = d.Reviewer })],
        };
        if (request.DryRun) return TypedResults.Ok(await PlanViewAsync(db, plan, ct));
        db.ReviewPlans.Add(plan);
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "qa.plan.draw", Target = $"period {periodText}",
            Result = "succeeded", Details = $"{plan.Items.Count} calls of {byCall.Count}, {request.PerAgent} per agent, seed {seed}" });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/qa/plans/{periodText}", await PlanViewAsync(db, plan, ct));
    }

    private static async Task<Results<Ok<PlanView>, ValidationProblem, ProblemHttpResult>> GetPlanAsync(string period, CallCenterDbContext db, CancellationToken ct)
    {
        if (!ReviewPeriod.TryParse(period, out _)) return EvaluationApi.InvalidPeriod();
        var plan = await db.ReviewPlans.AsNoTracking().Include(p => p.Items).SingleOrDefaultAsync(p => p.Period == period, ct);
        return plan is null
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No plan for this month")
            : TypedResults.Ok(await PlanViewAsync(db, plan, ct));
    }

    private static async Task<PlanView> PlanViewAsync(CallCenterDbContext db, ReviewPlan plan, CancellationToken ct)
    {
        var numbers = plan.Items.Select(i => i.ArchiveNumber).ToList();
        var scored = await db.Evaluations.AsNoTracking().Where(v => numbers.Contains(v.ArchiveNumber))
            .Select(v => new { v.ArchiveNumber, v.Reviewer, v.Id }).ToListAsync(ct);
        var items = plan.Items.OrderBy(i => i.Reviewer, StringComparer.Ordinal).ThenBy(i => i.Agent, StringComparer.Ordinal).ThenBy(i => i.ArchiveNumber)
            .Select(i => new PlanItemView(i.ArchiveNumber, i.CallSid, i.Agent, i.Queue, i.Complaint, i.Reviewer,
                scored.FirstOrDefault(s => s.ArchiveNumber == i.ArchiveNumber && s.Reviewer == i.Reviewer)?.Id))
            .ToList();
        var progress = items.GroupBy(i => i.Reviewer, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ReviewerProgress(g.Key, g.Count(), g.Count(i => i.EvaluationId is not null))).ToList();
        return new PlanView(plan.Id, plan.Period, plan.PerAgent, plan.Seed, plan.CreatedBy, plan.CreatedAt, progress, items);
    }

    private static async Task<Results<Ok<CalibrationView>, ProblemHttpResult>> CalibrationAsync(long archiveNumber, decimal? tolerance,
        CallCenterDbContext db, CancellationToken ct)
    {
        if (!await db.ArchivedRecordings.AnyAsync(r => r.ArchiveNumber == archiveNumber, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such recording");
        var reviews = await db.Evaluations.AsNoTracking().Where(v => v.ArchiveNumber == archiveNumber).OrderBy(v => v.Id)
            .Select(v => new ReviewerTotal(v.Reviewer, v.Id, v.Total, v.FatalFailed)).ToListAsync(ct);
        var result = reviews.Count >= 2 ? Calibration.Compare([.. reviews.Select(r => r.Total)], tolerance ?? 5m) : null;
        return TypedResults.Ok(new CalibrationView(archiveNumber, reviews, result));
    }

    private static async Task<Results<Ok<IReadOnlyList<ScorecardMonth>>, ValidationProblem, ProblemHttpResult>> ScorecardAsync(
        string agent, string? from, string? to, HttpContext http, CallCenterDbContext db, CancellationToken ct)
    {
        var user = http.User;
        if (!user.IsInRole(nameof(StaffRole.Quality)) && !user.IsInRole(nameof(StaffRole.Supervisor)) && user.WorkNumber() != agent)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your scorecard", detail: "Agents see only their own scorecard.");
        if ((from is not null && !ReviewPeriod.TryParse(from, out _)) || (to is not null && !ReviewPeriod.TryParse(to, out _)))
            return EvaluationApi.InvalidPeriod();
        var months = await db.Evaluations.AsNoTracking().Where(v => v.Agent == agent).GroupBy(v => v.Period).Select(g => new
        {
            Period = g.Key, Count = g.Count(), Average = g.Average(v => v.Total), Lowest = g.Min(v => v.Total), Highest = g.Max(v => v.Total),
            Fatal = g.Count(v => v.FatalFailed),
        }).OrderBy(m => m.Period).ToListAsync(ct);
        // yyyy-MM compares in calendar order as text; an agent has one row per month, so this filter runs here.
        return TypedResults.Ok<IReadOnlyList<ScorecardMonth>>([.. months
            .Where(m => (from is null || string.CompareOrdinal(m.Period, from) >= 0) && (to is null || string.CompareOrdinal(m.Period, to) <= 0))
            .Select(m =>
        {
            var average = Math.Round(m.Average, 1, MidpointRounding.AwayFromZero);
            return new ScorecardMonth(m.Period, m.Count, average, m.Lowest, m.Highest, m.Fatal, Scoring.GradeOf(average).ToString());
        })]);
    }
}
