using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
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
/// Scoring: versioned forms (supervisors), evaluations of recorded calls by QA staff and supervisors with time-stamped
/// comments, review months that close (a later change needs a supervisor's reason and is in the operation log), and the
/// agent's side: their own evaluations only, acknowledged or disputed.
/// </summary>
public static class EvaluationApi
{
    public sealed record FormRequest(string? Name, List<FormCriterion>? Criteria);

    public sealed record FormView(long Id, string Name, int Version, IReadOnlyList<FormCriterion> Criteria, string CreatedBy, DateTimeOffset CreatedAt);

    public sealed record CommentRequest(int? OffsetMs, string? Text);

    public sealed record EvaluationRequest(long ArchiveNumber, long FormId, List<CriterionAnswer>? Answers, string? Summary, List<CommentRequest>? Comments);

    public sealed record EvaluationChange(List<CriterionAnswer>? Answers, string? Summary, string? Reason);

    public sealed record AgentResponseRequest(string? Reason);

    public sealed record CommentView(long Id, string Author, DateTimeOffset CreatedAt, int? OffsetMs, string Text);

    public sealed record EvaluationView(long Id, long ArchiveNumber, string CallSid, string Agent, string Reviewer, string Period, bool PeriodClosed,
        FormView Form, IReadOnlyList<CriterionAnswer> Answers, decimal Total, string Grade, bool FatalFailed, string? Summary, string Status,
        string? AgentResponse, DateTimeOffset? RespondedAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<CommentView> Comments);

    public sealed record PeriodView(string Period, bool Closed, string? ClosedBy, DateTimeOffset? ClosedAt);

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapEvaluationApi(this IEndpointRouteBuilder routes)
    {
        var qa = routes.MapGroup("/api/qa").WithTags("Quality");
        qa.MapPost("/forms", CreateFormAsync).WithName("CreateScoringForm").RequireStaff(StaffAuthentication.SupervisorPolicy);
        qa.MapGet("/forms", ListFormsAsync).WithName("ListScoringForms").RequireStaff(ArchiveApi.RecordingsPolicy);
        qa.MapGet("/forms/{id:long}", GetFormAsync).WithName("GetScoringForm").RequireStaff(ArchiveApi.RecordingsPolicy);
        qa.MapPost("/evaluations", CreateEvaluationAsync).WithName("CreateEvaluation").RequireStaff(ArchiveApi.RecordingsPolicy);
        qa.MapGet("/evaluations", ListEvaluationsAsync).WithName("ListEvaluations").RequireStaff(ArchiveApi.RecordingsPolicy);
        // Any staff member reaches these; an agent sees and answers only their own (checked inside, 403 otherwise).
        qa.MapGet("/evaluations/{id:long}", GetEvaluationAsync).WithName("GetEvaluation").RequireStaff();
        qa.MapPut("/evaluations/{id:long}", ChangeEvaluationAsync).WithName("ChangeEvaluation").RequireStaff(ArchiveApi.RecordingsPolicy);
        qa.MapPost("/evaluations/{id:long}/comments", CommentAsync).WithName("CommentEvaluation").RequireStaff(ArchiveApi.RecordingsPolicy);
        qa.MapPost("/evaluations/{id:long}/acknowledge", (long id, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct) =>
            RespondAsync(id, EvaluationStatus.Acknowledged, null, http, db, clock, ct)).WithName("AcknowledgeEvaluation").RequireStaff();
        qa.MapPost("/evaluations/{id:long}/dispute", (long id, AgentResponseRequest request, HttpContext http, CallCenterDbContext db, TimeProvider clock,
            CancellationToken ct) => RespondAsync(id, EvaluationStatus.Disputed, request, http, db, clock, ct)).WithName("DisputeEvaluation").RequireStaff();
        qa.MapGet("/my/evaluations", MyEvaluationsAsync).WithName("MyEvaluations").RequireStaff();
        qa.MapGet("/periods/{period}", GetPeriodAsync).WithName("GetReviewPeriod").RequireStaff(ArchiveApi.RecordingsPolicy);
        qa.MapPost("/periods/{period}/close", ClosePeriodAsync).WithName("CloseReviewPeriod").RequireStaff(StaffAuthentication.SupervisorPolicy);
        return routes;
    }

    private static async Task<Results<Created<FormView>, ValidationProblem>> CreateFormAsync(
        FormRequest request, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var name = request.Name?.Trim();
        var criteria = (request.Criteria ?? []).Select(c => c with { Key = c.Key?.Trim() ?? "", Label = c.Label?.Trim() ?? "" }).ToList();
        var errors = new Dictionary<string, string[]>(Scoring.ValidateForm(criteria));
        if (string.IsNullOrEmpty(name) || name.Length > 100) errors["name"] = ["A name of 1 to 100 characters is required."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Scoring form not saved");

        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        // Versions of one name are numbered in order; the unique (name, version) index refuses a concurrent duplicate.
        var version = (await db.ScoringForms.Where(f => f.Name == name).MaxAsync(f => (int?)f.Version, ct) ?? 0) + 1;
        var form = new ScoringFormVersion { Name = name!, Version = version, Criteria = JsonSerializer.Serialize(criteria, Json), CreatedBy = who, CreatedAt = now };
        db.ScoringForms.Add(form);
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "qa.form.version", Target = $"form {name} v{version}",
            Result = "succeeded", Details = $"{criteria.Count} criteria, {criteria.Count(c => c.Fatal)} fatal" });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/qa/forms/{form.Id}", FormViewOf(form));
    }

    /// <summary>The newest version of every form: what reviewers score with now.</summary>
    private static async Task<Ok<IReadOnlyList<FormView>>> ListFormsAsync(CallCenterDbContext db, CancellationToken ct)
    {
        var forms = await db.ScoringForms.AsNoTracking()
            .Where(f => f.Version == db.ScoringForms.Where(o => o.Name == f.Name).Max(o => o.Version))
            .OrderBy(f => f.Name).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<FormView>>([.. forms.Select(FormViewOf)]);
    }

    private static async Task<Results<Ok<FormView>, ProblemHttpResult>> GetFormAsync(long id, CallCenterDbContext db, CancellationToken ct) =>
        await db.ScoringForms.AsNoTracking().SingleOrDefaultAsync(f => f.Id == id, ct) is { } form
            ? TypedResults.Ok(FormViewOf(form))
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such scoring form");

    internal static FormView FormViewOf(ScoringFormVersion f) =>
        new(f.Id, f.Name, f.Version, JsonSerializer.Deserialize<List<FormCriterion>>(f.Criteria, Json) ?? [], f.CreatedBy, f.CreatedAt);

    private static async Task<Results<Created<EvaluationView>, ValidationProblem, ProblemHttpResult>> CreateEvaluationAsync(
        EvaluationRequest request, HttpContext http, CallCenterDbContext db, IOptions<MetricsOptions> metrics, TimeProvider clock, CancellationToken ct)
    {
        var recording = await db.ArchivedRecordings.AsNoTracking().SingleOrDefaultAsync(r => r.ArchiveNumber == request.ArchiveNumber, ct);
        if (recording is null || recording.DestroyedAt is not null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such recording");
        if (recording.Agent is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No agent on this call", detail: "Only calls an agent answered are scored.");
        var form = await db.ScoringForms.AsNoTracking().SingleOrDefaultAsync(f => f.Id == request.FormId, ct);
        if (form is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such scoring form");
        var who = http.User.WorkNumber();
        if (who == recording.Agent)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Nobody scores their own call");

        var criteria = FormViewOf(form).Criteria;
        var answers = request.Answers ?? [];
        var errors = new Dictionary<string, string[]>(Scoring.ValidateAnswers(criteria, answers));
        var comments = request.Comments ?? [];
        if (comments.Any(c => string.IsNullOrWhiteSpace(c.Text) || c.Text.Length > 2000 || c.OffsetMs < 0))
            errors["comments"] = ["Each comment has 1 to 2000 characters and an offset of 0 or more milliseconds."];
        if (request.Summary is { Length: > 2000 }) errors["summary"] = ["At most 2000 characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Evaluation not saved");

        var period = ReviewPeriod.Of(recording.CallStartedAt, metrics.Value.Zone).ToString();
        if (await db.ClosedReviewPeriods.AnyAsync(p => p.Period == period, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Review period closed",
                detail: $"The calls of {period} are no longer scored; a supervisor may still correct an existing score with a reason.");
        if (await db.Evaluations.AnyAsync(v => v.ArchiveNumber == recording.ArchiveNumber && v.Reviewer == who, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already scored",
                detail: "You have scored this recording already; change that evaluation instead.");

        var score = Scoring.Total(criteria, answers);
        var now = clock.GetUtcNow();
        var evaluation = new Evaluation
        {
            ArchiveNumber = recording.ArchiveNumber, CallSid = recording.CallSid, Agent = recording.Agent, Reviewer = who, FormId = form.Id,
            Period = period, Answers = JsonSerializer.Serialize(answers, Json), Total = score.Total, Grade = score.Grade.ToString(),
            FatalFailed = score.FatalFailed, Summary = request.Summary?.Trim(), CreatedAt = now, UpdatedAt = now,
            Comments = [.. comments.Select(c => new EvaluationComment { Author = who, CreatedAt = now, OffsetMs = c.OffsetMs, Text = c.Text!.Trim() })],
        };
        db.Evaluations.Add(evaluation);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/qa/evaluations/{evaluation.Id}", await ViewAsync(db, evaluation, ct));
    }

    private static async Task<Ok<IReadOnlyList<EvaluationView>>> ListEvaluationsAsync(string? agent, string? period, long? archiveNumber,
        CallCenterDbContext db, CancellationToken ct)
    {
        var query = db.Evaluations.AsNoTracking().Include(v => v.Comments).AsQueryable();
        if (agent is not null) query = query.Where(v => v.Agent == agent);
        if (period is not null) query = query.Where(v => v.Period == period);
        if (archiveNumber is not null) query = query.Where(v => v.ArchiveNumber == archiveNumber);
        var rows = await query.OrderByDescending(v => v.CreatedAt).ThenByDescending(v => v.Id).Take(500).ToListAsync(ct);
        return TypedResults.Ok(await ViewsAsync(db, rows, ct));
    }

    private static async Task<Results<Ok<EvaluationView>, ProblemHttpResult>> GetEvaluationAsync(long id, HttpContext http, CallCenterDbContext db, CancellationToken ct)
    {
        var evaluation = await db.Evaluations.AsNoTracking().Include(v => v.Comments).SingleOrDefaultAsync(v => v.Id == id, ct);
        if (evaluation is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such evaluation");
        if (!MayRead(http.User, evaluation))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your evaluation",
                detail: "Agents see only their own evaluations.");
        return TypedResults.Ok(await ViewAsync(db, evaluation, ct));
    }

    private static bool MayRead(ClaimsPrincipal user, Evaluation evaluation) =>
        user.IsInRole(nameof(StaffRole.Quality)) || user.IsInRole(nameof(StaffRole.Supervisor)) || user.WorkNumber() == evaluation.Agent;

    private static async Task<Results<Ok<EvaluationView>, ValidationProblem, ProblemHttpResult>> ChangeEvaluationAsync(
        long id, EvaluationChange request, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var evaluation = await db.Evaluations.Include(v => v.Comments).SingleOrDefaultAsync(v => v.Id == id, ct);
        if (evaluation is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such evaluation");
        var who = http.User.WorkNumber();
        var supervisor = http.User.IsInRole(nameof(StaffRole.Supervisor));
        if (!supervisor && who != evaluation.Reviewer)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your evaluation",
                detail: "Only its reviewer or a supervisor changes an evaluation.");
        var closed = await db.ClosedReviewPeriods.AnyAsync(p => p.Period == evaluation.Period, ct);
        var reason = request.Reason?.Trim();
        if (closed && !supervisor)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Review period closed",
                detail: $"{evaluation.Period} is closed: only a supervisor may change its scores, with a reason.");
        var form = await db.ScoringForms.AsNoTracking().SingleAsync(f => f.Id == evaluation.FormId, ct);
        var answers = request.Answers ?? [];
        var errors = new Dictionary<string, string[]>(Scoring.ValidateAnswers(FormViewOf(form).Criteria, answers));
        if (closed && (string.IsNullOrEmpty(reason) || reason.Length > 500))
            errors["reason"] = [$"{evaluation.Period} is closed: a reason of 1 to 500 characters is required."];
        if (request.Summary is { Length: > 2000 }) errors["summary"] = ["At most 2000 characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Evaluation not changed");

        // The score keeps the form version it was given under, even when the form has a newer version now.
        var before = evaluation.Total;
        var score = Scoring.Total(FormViewOf(form).Criteria, answers);
        var now = clock.GetUtcNow();
        evaluation.Answers = JsonSerializer.Serialize(answers, Json);
        evaluation.Total = score.Total;
        evaluation.Grade = score.Grade.ToString();
        evaluation.FatalFailed = score.FatalFailed;
        if (request.Summary is not null) evaluation.Summary = request.Summary.Trim();
        evaluation.UpdatedAt = now;
        db.OperationLog.Add(new OperationLogEntry
        {
            OccurredAt = now, Operator = who, Action = closed ? "qa.evaluation.change_after_close" : "qa.evaluation.change",
            Target = $"evaluation {evaluation.Id}", Result = "succeeded",
            Details = string.Create(CultureInfo.InvariantCulture, $"{evaluation.Period}: {before:0.0} → {score.Total:0.0}") + (reason is { Length: > 0 } ? $"; reason: {reason}" : ""),
        });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await ViewAsync(db, evaluation, ct));
    }

    private static async Task<Results<Created<CommentView>, ValidationProblem, ProblemHttpResult>> CommentAsync(
        long id, CommentRequest request, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (!await db.Evaluations.AnyAsync(v => v.Id == id, ct)) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such evaluation");
        var text = request.Text?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > 2000 || request.OffsetMs < 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["text"] = ["1 to 2000 characters, at an offset of 0 or more milliseconds."] });
        var comment = new EvaluationComment { EvaluationId = id, Author = http.User.WorkNumber(), CreatedAt = clock.GetUtcNow(), OffsetMs = request.OffsetMs, Text = text };
        db.EvaluationComments.Add(comment);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/qa/evaluations/{id}", CommentViewOf(comment));
    }

    private static async Task<Results<Ok<EvaluationView>, ValidationProblem, ProblemHttpResult>> RespondAsync(
        long id, string status, AgentResponseRequest? request, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var evaluation = await db.Evaluations.Include(v => v.Comments).SingleOrDefaultAsync(v => v.Id == id, ct);
        if (evaluation is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such evaluation");
        if (http.User.WorkNumber() != evaluation.Agent)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your evaluation",
                detail: "Only the agent who was scored acknowledges or disputes an evaluation.");
        if (evaluation.Status != EvaluationStatus.Submitted)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already answered",
                detail: $"You {evaluation.Status} this evaluation at {evaluation.RespondedAt:o}.");
        var reason = request?.Reason?.Trim();
        if (status == EvaluationStatus.Disputed && (string.IsNullOrEmpty(reason) || reason.Length > 2000))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = ["A dispute needs a reason of 1 to 2000 characters."] });
        var now = clock.GetUtcNow();
        evaluation.Status = status;
        evaluation.AgentResponse = reason;
        evaluation.RespondedAt = now;
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = evaluation.Agent, Action = $"qa.evaluation.{status}",
            Target = $"evaluation {evaluation.Id}", Result = "succeeded", Details = reason });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(await ViewAsync(db, evaluation, ct));
    }

    private static async Task<Ok<IReadOnlyList<EvaluationView>>> MyEvaluationsAsync(HttpContext http, CallCenterDbContext db, CancellationToken ct)
    {
        var me = http.User.WorkNumber();
        var rows = await db.Evaluations.AsNoTracking().Include(v => v.Comments).Where(v => v.Agent == me)
            .OrderByDescending(v => v.CreatedAt).ThenByDescending(v => v.Id).Take(200).ToListAsync(ct);
        return TypedResults.Ok(await ViewsAsync(db, rows, ct));
    }

    private static async Task<Results<Ok<PeriodView>, ValidationProblem>> GetPeriodAsync(string period, CallCenterDbContext db, CancellationToken ct)
    {
        if (!ReviewPeriod.TryParse(period, out _)) return InvalidPeriod();
        var closure = await db.ClosedReviewPeriods.AsNoTracking().SingleOrDefaultAsync(p => p.Period == period, ct);
        return TypedResults.Ok(new PeriodView(period, closure is not null, closure?.ClosedBy, closure?.ClosedAt));
    }

    private static async Task<Results<Ok<PeriodView>, ValidationProblem, ProblemHttpResult>> ClosePeriodAsync(
        string period, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (!ReviewPeriod.TryParse(period, out _)) return InvalidPeriod();
        if (await db.ClosedReviewPeriods.AsNoTracking().SingleOrDefaultAsync(p => p.Period == period, ct) is { } existing)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Review period already closed",
                detail: $"Closed by {existing.ClosedBy} at {existing.ClosedAt:o}.");
        var now = clock.GetUtcNow();
        var who = http.User.WorkNumber();
        db.ClosedReviewPeriods.Add(new ReviewPeriodClosure { Period = period, ClosedBy = who, ClosedAt = now });
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "qa.period.close", Target = $"period {period}", Result = "succeeded" });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new PeriodView(period, true, who, now));
    }

    internal static ValidationProblem InvalidPeriod() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["period"] = ["A period is a month written yyyy-MM."] });

    private static async Task<EvaluationView> ViewAsync(CallCenterDbContext db, Evaluation evaluation, CancellationToken ct) =>
        (await ViewsAsync(db, [evaluation], ct))[0];

    private static async Task<IReadOnlyList<EvaluationView>> ViewsAsync(CallCenterDbContext db, IReadOnlyList<Evaluation> rows, CancellationToken ct)
    {
        var formIds = rows.Select(r => r.FormId).Distinct().ToList();
        var forms = await db.ScoringForms.AsNoTracking().Where(f => formIds.Contains(f.Id)).ToDictionaryAsync(f => f.Id, FormViewOf, ct);
        var periods = rows.Select(r => r.Period).Distinct().ToList();
        var closed = (await db.ClosedReviewPeriods.AsNoTracking().Where(p => periods.Contains(p.Period)).Select(p => p.Period).ToListAsync(ct)).ToHashSet();
        return [.. rows.Select(v => new EvaluationView(v.Id, v.ArchiveNumber, v.CallSid, v.Agent, v.Reviewer, v.Period, closed.Contains(v.Period),
            forms[v.FormId], JsonSerializer.Deserialize<List<CriterionAnswer>>(v.Answers, Json) ?? [], v.Total, v.Grade, v.FatalFailed, v.Summary,
            v.Status, v.AgentResponse, v.RespondedAt, v.CreatedAt, v.UpdatedAt,
            [.. v.Comments.OrderBy(c => c.OffsetMs ?? int.MaxValue).ThenBy(c => c.Id).Select(CommentViewOf)]))];
    }

    private static CommentView CommentViewOf(EvaluationComment c) => new(c.Id, c.Author, c.CreatedAt, c.OffsetMs, c.Text);
}
