using CallCenter.Core.Knowledge;
using CallCenter.Server.Audit;
using CallCenter.Server.Data;
using CallCenter.Server.Ivr;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Knowledge;

/// <summary>
/// Departments' change notices and the centre's review: any staff member submits (the department's form);
/// supervisors approve or reject, and publish an approved notice as a new article version. Every step is audited.
/// </summary>
public static class ChangeNoticeApi
{
    /// <summary>The submission form. <c>ArticleId</c> null makes a new article; <c>EffectiveFrom</c> null means on publication.</summary>
    public sealed record NoticeRequest(string? Department, string? Kind, long? ArticleId, string? Title, string? Body, string? Language,
        IReadOnlyList<string>? Products, IReadOnlyList<string>? Tags, string? ReasonFamily, DateTimeOffset? EffectiveFrom);

    public sealed record ReviewRequest(string? Note);

    /// <summary>A notice with who did what when.</summary>
    public sealed record NoticeView(long Id, string Department, ChangeKind Kind, long? ArticleId, string Title, string Body, string BodyHtml,
        string Language, IReadOnlyList<string> Products, IReadOnlyList<string> Tags, string? ReasonFamily, DateTimeOffset? EffectiveFrom,
        NoticeStatus Status, string SubmittedBy, DateTimeOffset SubmittedAt, string? ReviewedBy, DateTimeOffset? ReviewedAt, string? ReviewNote,
        string? PublishedBy, DateTimeOffset? PublishedAt, long? PublishedVersionId);

    public static IEndpointRouteBuilder MapChangeNoticeApi(this IEndpointRouteBuilder routes)
    {
        var notices = routes.MapGroup("/api/kb/notices").WithTags("Knowledge base");
        notices.MapPost("/", SubmitAsync).RequireStaff().WithName("KnowledgeSubmitNotice")
            .WithSummary("A department's change notice (new product, fee change, branch opening or move, opening hours) with the article text.");
        notices.MapGet("/", ListAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("KnowledgeNotices")
            .WithSummary("Notices for review, newest first; ?status=Submitted for the review queue.");
        notices.MapGet("/{noticeId:long}", GetAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("KnowledgeNotice");
        notices.MapPost("/{noticeId:long}/approve", (long noticeId, ReviewRequest? request, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct) =>
                ReviewAsync(noticeId, approve: true, request, http, db, clock, ct))
            .RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("KnowledgeApproveNotice").WithSummary("Approve a submitted notice for publication.");
        notices.MapPost("/{noticeId:long}/reject", (long noticeId, ReviewRequest? request, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct) =>
                ReviewAsync(noticeId, approve: false, request, http, db, clock, ct))
            .RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("KnowledgeRejectNotice").WithSummary("Reject a submitted notice (a note is required).");
        notices.MapPost("/{noticeId:long}/publish", PublishAsync)
            .RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("KnowledgePublishNotice")
            .WithSummary("Publish an approved notice as a new article version, in force from its effective date.");
        return routes;
    }

    private static async Task<Results<Created<NoticeView>, ValidationProblem, ProblemHttpResult>> SubmitAsync(
        NoticeRequest request, HttpContext http, CallCenterDbContext db, IvrFlowCatalog flows, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var department = Required(request.Department, "department", 100, errors);
        if (!Enum.TryParse<ChangeKind>(request.Kind, ignoreCase: true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(request.Kind, out _))
            errors["kind"] = [$"One of {string.Join(", ", Enum.GetNames<ChangeKind>())}."];
        var title = Required(request.Title, "title", KnowledgeLimits.TitleLength, errors);
        var body = Required(request.Body, "body", KnowledgeLimits.BodyLength, errors);
        var languages = KnowledgeLanguages.Of(flows);
        if (request.Language is null || !languages.Contains(request.Language))
            errors["language"] = [$"One of {string.Join(", ", languages.Order(StringComparer.Ordinal))}."];
        var products = Labels(request.Products, "products", errors);
        if (products.Length == 0 && !errors.ContainsKey("products")) errors["products"] = ["At least one product."];
        var tags = Labels(request.Tags, "tags", errors);
        var reason = request.ReasonFamily?.Trim();
        if (reason is { Length: > KnowledgeLimits.LabelLength }) errors["reasonFamily"] = [$"At most {KnowledgeLimits.LabelLength} characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Change notice not submitted");
        if (request.ArticleId is { } articleId && !await db.KnowledgeArticles.AnyAsync(a => a.Id == articleId, ct))
            return KnowledgeApi.NoArticle(articleId);

        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var notice = new ChangeNotice { Department = department!, Kind = kind, Title = title!, Body = body!,
            Language = request.Language!, Products = products, Tags = tags, ReasonFamily = string.IsNullOrEmpty(reason) ? null : reason,
            EffectiveFrom = request.EffectiveFrom?.ToUniversalTime(), SubmittedBy = who, SubmittedAt = now }.About(request.ArticleId);
        db.ChangeNotices.Add(notice);
        await db.SaveChangesAsync(ct);
        db.OperationLog.Add(Log(now, who, "kb.notice.submit", notice.Id, "succeeded", $"{department}: {kind} {title}"));
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/kb/notices/{notice.Id}", ToView(notice));
    }

    private static async Task<Ok<List<NoticeView>>> ListAsync(string? status, CallCenterDbContext db, CancellationToken ct)
    {
        var notices = db.ChangeNotices.AsNoTracking();
        if (Enum.TryParse<NoticeStatus>(status, ignoreCase: true, out var s)) notices = notices.Where(n => n.Status == s);
        return TypedResults.Ok((await notices.OrderByDescending(n => n.SubmittedAt).ThenByDescending(n => n.Id).Take(200).ToListAsync(ct))
            .Select(ToView).ToList());
    }

    private static async Task<Results<Ok<NoticeView>, ProblemHttpResult>> GetAsync(long noticeId, CallCenterDbContext db, CancellationToken ct) =>
        await db.ChangeNotices.AsNoTracking().SingleOrDefaultAsync(n => n.Id == noticeId, ct) is { } notice
            ? TypedResults.Ok(ToView(notice)) : NoNotice(noticeId);

    private static async Task<Results<Ok<NoticeView>, ValidationProblem, ProblemHttpResult>> ReviewAsync(
        long noticeId, bool approve, ReviewRequest? request, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var note = request?.Note?.Trim();
        if (note is { Length: > KnowledgeLimits.NoteLength })
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["note"] = [$"At most {KnowledgeLimits.NoteLength} characters."] }, title: "Invalid review");
        if (!approve && string.IsNullOrEmpty(note))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["note"] = ["Say why the notice is rejected."] }, title: "Invalid review");

        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var action = approve ? "kb.notice.approve" : "kb.notice.reject";
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var notice = await LockAsync(db, noticeId, ct);
        if (notice is null) return NoNotice(noticeId);
        if (notice.Status != NoticeStatus.Submitted)
        {
            db.OperationLog.Add(Log(now, who, action, noticeId, "refused", $"notice is {notice.Status}"));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Notice already reviewed",
                detail: $"Notice {noticeId} is {notice.Status}; only a submitted notice can be reviewed.");
        }
        notice.Review(approve, who, now, string.IsNullOrEmpty(note) ? null : note);
        db.OperationLog.Add(Log(now, who, action, noticeId, "succeeded", note));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(ToView(notice));
    }

    private static async Task<Results<Ok<NoticeView>, ProblemHttpResult>> PublishAsync(
        long noticeId, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var notice = await LockAsync(db, noticeId, ct);
        if (notice is null) return NoNotice(noticeId);
        if (notice.Status != NoticeStatus.Approved)
            return await RefuseAsync(tx, $"Notice {noticeId} is {notice.Status}; the centre must approve it before it is published.", "Notice not approved");

        var effectiveFrom = notice.EffectiveFrom ?? now;
        KnowledgeArticle article;
        if (notice.ArticleId is { } articleId)
        {
            // One publication per article at a time: version numbers and effective ranges are computed under this lock.
            article = await db.KnowledgeArticles.FromSql($"SELECT * FROM kb_articles WHERE id = {articleId} FOR UPDATE")
                .Include(a => a.Versions).SingleAsync(ct);
            if (article.Versions.Any(v => v.EffectiveFrom == effectiveFrom))
                return await RefuseAsync(tx, $"Article {articleId} already has a version taking effect at {effectiveFrom:O}.", "Effective date taken");
        }
        else
        {
            article = new KnowledgeArticle { Owner = notice.Department, CreatedBy = who, CreatedAt = now };
            db.KnowledgeArticles.Add(article);
            await db.SaveChangesAsync(ct);
        }

        var version = new ArticleVersion { ArticleId = article.Id, Number = article.Versions.Count == 0 ? 1 : article.Versions.Max(v => v.Number) + 1,
            Title = notice.Title, Body = notice.Body, Language = notice.Language, Products = notice.Products, Tags = notice.Tags,
            ReasonFamily = notice.ReasonFamily, EffectiveFrom = effectiveFrom, NoticeId = notice.Id, PublishedBy = who, PublishedAt = now };
        article.Versions.Add(version);
        await db.SaveChangesAsync(ct);
        // Each version is in force until the next one's date; expired versions stay.
        var timeline = EffectiveDating.At(article.Versions.Select(v => new DatedVersion(v.Id, v.EffectiveFrom)), now);
        foreach (var v in article.Versions) v.EffectiveUntil = timeline.EffectiveUntil[v.Id];
        notice.MarkPublished(who, now, article.Id, version.Id);
        db.OperationLog.Add(Log(now, who, "kb.notice.publish", noticeId, "succeeded",
            $"article {article.Id} version {version.Number}, effective {effectiveFrom:O}"));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(ToView(notice));

        async Task<ProblemHttpResult> RefuseAsync(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction transaction, string detail, string title)
        {
            // Nothing of the publication is kept; only the refusal is logged.
            await transaction.RollbackAsync(ct);
            db.ChangeTracker.Clear();
            db.OperationLog.Add(Log(now, who, "kb.notice.publish", noticeId, "refused", detail));
            await db.SaveChangesAsync(ct);
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: title, detail: detail);
        }
    }

    private static Task<ChangeNotice?> LockAsync(CallCenterDbContext db, long noticeId, CancellationToken ct) =>
        db.ChangeNotices.FromSql($"SELECT * FROM kb_change_notices WHERE id = {noticeId} FOR UPDATE").SingleOrDefaultAsync(ct);

    private static string? Required(string? value, string field, int max, Dictionary<string, string[]> errors)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed)) errors[field] = ["Required."];
        else if (trimmed.Length > max) errors[field] = [$"At most {max} characters."];
        return trimmed;
    }

    private static string[] Labels(IReadOnlyList<string>? values, string field, Dictionary<string, string[]> errors)
    {
        var labels = (values ?? []).Select(KnowledgeText.Label).OfType<string>().Distinct(StringComparer.Ordinal).ToArray();
        if (labels.Length > KnowledgeLimits.MaxLabels) errors[field] = [$"At most {KnowledgeLimits.MaxLabels}."];
        else if (labels.Any(l => l.Length > KnowledgeLimits.LabelLength)) errors[field] = [$"Each at most {KnowledgeLimits.LabelLength} characters."];
        return labels;
    }

    private static OperationLogEntry Log(DateTimeOffset at, string who, string action, long noticeId, string result, string? details) =>
        new() { OccurredAt = at, Operator = who, Action = action, Target = $"notice {noticeId}", Result = result, Details = details };

    private static ProblemHttpResult NoNotice(long noticeId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such notice", detail: $"No change notice {noticeId}.");

    private static NoticeView ToView(ChangeNotice n) =>
        new(n.Id, n.Department, n.Kind, n.ArticleId, n.Title, n.Body, KnowledgeArticles.Html(n.Body), n.Language, n.Products, n.Tags, n.ReasonFamily,
            n.EffectiveFrom, n.Status, n.SubmittedBy, n.SubmittedAt, n.ReviewedBy, n.ReviewedAt, n.ReviewNote, n.PublishedBy, n.PublishedAt,
            n.PublishedVersionId);
}
