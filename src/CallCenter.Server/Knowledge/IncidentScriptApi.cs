using CallCenter.Server.Audit;
using CallCenter.Server.Data;
using CallCenter.Server.Ivr;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Knowledge;

/// <summary>
/// Incident answer scripts: a supervisor approves and pins one (a core-system outage, a news event); every agent
/// console shows it at the top within moments (pushed over the agent hub), and with <c>lines</c> and
/// <c>announcement</c> it also becomes those lines' IVR emergency announcement. Unpinning takes both back.
/// </summary>
public static class IncidentScriptApi
{
    /// <summary>
    /// A script to pin. <c>Lines</c>: IVR flows whose emergency announcement it switches on, with
    /// <c>Announcement</c> texts in every language of those lines.
    /// </summary>
    public sealed record PinRequest(string? Title, string? Body, IReadOnlyList<string>? Lines, Dictionary<string, string>? Announcement);

    public sealed record ScriptView(long Id, string Title, string Body, string BodyHtml, string PinnedBy, DateTimeOffset PinnedAt,
        string? UnpinnedBy, DateTimeOffset? UnpinnedAt, IReadOnlyList<long> AnnouncementIds);

    public static IEndpointRouteBuilder MapIncidentScriptApi(this IEndpointRouteBuilder routes)
    {
        var scripts = routes.MapGroup("/api/kb/scripts").WithTags("Knowledge base");
        scripts.MapGet("/pinned", PinnedAsync).RequireStaff().WithName("KnowledgePinnedScripts")
            .WithSummary("The incident scripts pinned now, newest first (the top of every agent console).");
        scripts.MapGet("/", AllAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("KnowledgeScripts")
            .WithSummary("Every incident script, pinned or not, newest first.");
        scripts.MapPost("/", PinAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("KnowledgePinScript")
            .WithSummary("Approve and pin an incident script to every agent console, optionally as lines' emergency announcement.");
        scripts.MapDelete("/{scriptId:long}/pin", UnpinAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("KnowledgeUnpinScript")
            .WithSummary("Unpin a script; the announcements it switched on are switched off.");
        return routes;
    }

    private static async Task<Ok<List<ScriptView>>> PinnedAsync(CallCenterDbContext db, CancellationToken ct) =>
        TypedResults.Ok(await PinnedViewsAsync(db, ct));

    private static async Task<Ok<List<ScriptView>>> AllAsync(CallCenterDbContext db, CancellationToken ct) =>
        TypedResults.Ok((await db.IncidentScripts.AsNoTracking().OrderByDescending(s => s.PinnedAt).ThenByDescending(s => s.Id).Take(200)
            .ToListAsync(ct)).Select(ToView).ToList());

    private static async Task<Results<Created<ScriptView>, ValidationProblem, ProblemHttpResult>> PinAsync(
        PinRequest request, HttpContext http, CallCenterDbContext db, IvrFlowCatalog flows, EmergencyAnnouncementCache announcements,
        KnowledgeNotifier notifier, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var title = request.Title?.Trim() ?? "";
        if (title.Length is 0 or > KnowledgeLimits.TitleLength) errors["title"] = [$"Required, at most {KnowledgeLimits.TitleLength} characters."];
        var body = request.Body?.Trim() ?? "";
        if (body.Length is 0 or > KnowledgeLimits.BodyLength) errors["body"] = [$"Required, at most {KnowledgeLimits.BodyLength} characters."];
        var lines = (request.Lines ?? []).Select(l => l?.Trim()).OfType<string>().Where(l => l.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var texts = new Dictionary<string, Dictionary<string, string>>();
        foreach (var line in lines)
        {
            if (flows.ForFlow(line) is not { } interpreter)
            {
                errors["lines"] = [$"No line '{line}'."];
                continue;
            }
            var missing = interpreter.Flow.Languages.Where(l => string.IsNullOrWhiteSpace(request.Announcement?.GetValueOrDefault(l))).ToList();
            if (missing.Count > 0) errors["announcement"] = [$"Text missing for {string.Join(", ", missing)} (line {line})."];
            else texts[line] = interpreter.Flow.Languages.ToDictionary(l => l, l => request.Announcement![l].Trim());
        }
        if (lines.Count == 0 && request.Announcement is { Count: > 0 }) errors["lines"] = ["Which lines should announce it?"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Script not pinned");

        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var script = new IncidentScript { Title = title, Body = body, PinnedBy = who, PinnedAt = now };
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            db.IncidentScripts.Add(script);
            await db.SaveChangesAsync(ct);
            var ids = new List<long>();
            foreach (var (line, lineTexts) in texts)
                ids.Add((await EmergencyAnnouncementApi.SwitchOnLineAsync(db, line, lineTexts, who, now, ct)).Id);
            script.AnnouncementIds = [.. ids];
            db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "kb.script.pin", Target = $"script {script.Id}",
                Result = "succeeded", Details = lines.Count == 0 ? title : $"{title} (announced on {string.Join(", ", lines)})" });
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        foreach (var line in lines) announcements.Invalidate(line);
        notifier.PinnedScriptsChanged(await PinnedViewsAsync(db, ct));
        return TypedResults.Created($"/api/kb/scripts/{script.Id}", ToView(script));
    }

    private static async Task<Results<Ok<ScriptView>, ProblemHttpResult>> UnpinAsync(
        long scriptId, HttpContext http, CallCenterDbContext db, EmergencyAnnouncementCache announcements, KnowledgeNotifier notifier,
        TimeProvider clock, CancellationToken ct)
    {
        var script = await db.IncidentScripts.SingleOrDefaultAsync(s => s.Id == scriptId, ct);
        if (script is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such script", detail: $"No incident script {scriptId}.");
        if (script.UnpinnedAt is not null)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not pinned", detail: $"Script {scriptId} was unpinned by {script.UnpinnedBy}.");
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        script.Unpin(who, now);
        // Only announcements still showing this script's text go off; one a supervisor has replaced since stays.
        var active = await db.EmergencyAnnouncements.Where(a => script.AnnouncementIds.Contains(a.Id) && a.SwitchedOffAt == null).ToListAsync(ct);
        foreach (var announcement in active)
        {
            announcement.SwitchOff(who, now);
            db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "line.emergency_announcement.off",
                Target = announcement.FlowId, Result = "succeeded", Details = $"script {scriptId} unpinned" });
        }
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "kb.script.unpin", Target = $"script {scriptId}",
            Result = "succeeded", Details = script.Title });
        await db.SaveChangesAsync(ct);
        foreach (var announcement in active) announcements.Invalidate(announcement.FlowId);
        notifier.PinnedScriptsChanged(await PinnedViewsAsync(db, ct));
        return TypedResults.Ok(ToView(script));
    }

    private static async Task<List<ScriptView>> PinnedViewsAsync(CallCenterDbContext db, CancellationToken ct) =>
        (await db.IncidentScripts.AsNoTracking().Where(s => s.UnpinnedAt == null).OrderByDescending(s => s.PinnedAt).ThenByDescending(s => s.Id)
            .Take(50).ToListAsync(ct)).Select(ToView).ToList();

    private static ScriptView ToView(IncidentScript s) =>
        new(s.Id, s.Title, s.Body, KnowledgeArticles.Html(s.Body), s.PinnedBy, s.PinnedAt, s.UnpinnedBy, s.UnpinnedAt, s.AnnouncementIds);
}
