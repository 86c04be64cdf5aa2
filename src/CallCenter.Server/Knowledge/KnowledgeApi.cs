using System.Text.Json;
using CallCenter.Server.Agents;
using CallCenter.Server.Audit;
using CallCenter.Server.Data;
using CallCenter.Server.Ivr;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Knowledge;

/// <summary>The agent side of the knowledge base: search, screen-pop suggestions, articles with their history, and flags.</summary>
public static class KnowledgeApi
{
    private const int MaxLimit = 50;

    /// <summary>A search result: the article now (with its coming change in the banner week) and why it ranked where it did.</summary>
    public sealed record SearchResult(ArticleView Article, bool ProductMatch, double Rank);

    /// <summary>The query as run (for suggestions, the words taken from the IVR path) and the ranked results.</summary>
    public sealed record SearchResponse(string Query, string? Language, IReadOnlyList<SearchResult> Results);

    /// <summary>An agent's report that an article is wrong (articleId given) or missing (no articleId).</summary>
    public sealed record FlagRequest(long? ArticleId, string? Kind, string? Comment, string? CallSid);

    /// <summary>A flag as the knowledge owners see it.</summary>
    public sealed record FlagView(long Id, long? ArticleId, long? VersionId, FlagKind Kind, string Comment, string? CallSid, string Owner,
        string RaisedBy, DateTimeOffset RaisedAt, string? ResolvedBy, DateTimeOffset? ResolvedAt, string? Resolution);

    public sealed record ResolveFlagRequest(string? Resolution);

    public static IEndpointRouteBuilder MapKnowledgeApi(this IEndpointRouteBuilder routes)
    {
        var kb = routes.MapGroup("/api/kb").WithTags("Knowledge base");
        kb.MapGet("/search", SearchAsync).RequireStaff().WithName("KnowledgeSearch")
            .WithSummary("Full-text search (Chinese and English) of the articles in force or changing within a week; exact product matches first.");
        kb.MapGet("/suggestions", SuggestAsync).RequireStaff().WithName("KnowledgeSuggestions")
            .WithSummary("Articles for a call's screen pop, from the words of the IVR options the caller chose, in the caller's language.");
        kb.MapGet("/articles/{articleId:long}", ArticleAsync).RequireStaff().WithName("KnowledgeArticle")
            .WithSummary("An article now (current text, and the coming text in the week before a change).");
        kb.MapGet("/articles/{articleId:long}/versions", HistoryAsync).RequireStaff().WithName("KnowledgeArticleVersions")
            .WithSummary("Every version of an article with its effective dates and status, expired ones included.");
        kb.MapPost("/flags", FlagAsync).RequireStaff().WithName("KnowledgeFlag")
            .WithSummary("Flag an article as wrong, or a missing article, from a call; the article's owner is told.");
        kb.MapGet("/flags", FlagsAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("KnowledgeFlags")
            .WithSummary("Flags for the knowledge owners: open ones by default (?all=true for every flag), optionally for one owner.");
        kb.MapPost("/flags/{flagId:long}/resolve", ResolveFlagAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("KnowledgeResolveFlag")
            .WithSummary("Close a flag with what was done about it; written to the operation log.");
        return routes;
    }

    private static async Task<Results<Ok<SearchResponse>, ValidationProblem>> SearchAsync(
        string? q, string? product, string? language, int? limit, KnowledgeSearch search, KnowledgeArticles articles, IvrFlowCatalog flows,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var text = q?.Trim() ?? "";
        if (text.Length == 0) errors["q"] = ["Type something to search for."];
        else if (text.Length > KnowledgeLimits.QueryLength) errors["q"] = [$"At most {KnowledgeLimits.QueryLength} characters."];
        if (product is { Length: > KnowledgeLimits.LabelLength }) errors["product"] = [$"At most {KnowledgeLimits.LabelLength} characters."];
        if (!string.IsNullOrWhiteSpace(language) && !KnowledgeLanguages.Of(flows).Contains(language))
            errors["language"] = [$"One of {string.Join(", ", KnowledgeLanguages.Of(flows))}."];
        if (limit is < 1 or > MaxLimit) errors["limit"] = [$"Between 1 and {MaxLimit}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid search");

        var query = new KnowledgeQuery(text, product, string.IsNullOrWhiteSpace(language) ? null : language, limit ?? 20);
        return TypedResults.Ok(await RunAsync(query, search, articles, ct));
    }

    private static async Task<Results<Ok<SearchResponse>, ValidationProblem, ProblemHttpResult>> SuggestAsync(
        string? callSid, KnowledgeSearch search, KnowledgeArticles articles, CallCenterDbContext db, IvrFlowCatalog flows, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(callSid))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["callSid"] = ["Which call?"] }, title: "Invalid suggestion request");
        var events = await db.CallEvents.AsNoTracking()
            .Where(e => e.CallSid == callSid && (e.Type == "ivr.menu_choice" || e.Type == "ivr.language_chosen"))
            .OrderBy(e => e.CallSeq).Select(e => new { e.Type, e.Payload }).ToListAsync(ct);
        if (events.Count == 0 && !await db.Calls.AnyAsync(c => c.CallSid == callSid, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown call", detail: $"No call {callSid}.");

        var (language, words) = IvrWords(events.Select(e => (e.Type, e.Payload)), flows);
        if (words.Count == 0) return TypedResults.Ok(new SearchResponse("", language, []));
        var text = string.Join(' ', words);
        var query = new KnowledgeQuery(text, Language: language, Limit: 5, MatchAny: true, ProductHints: words);
        return TypedResults.Ok(await RunAsync(query, search, articles, ct));
    }

    /// <summary>
    /// The caller's language and the keywords of every option they chose (by key or by voice) on the way to the agent,
    /// in that language: the best record of the caller's words the call log keeps (speech itself is not logged).
    /// </summary>
    internal static (string? Language, List<string> Words) IvrWords(IEnumerable<(string Type, string Payload)> events, IvrFlowCatalog flows)
    {
        string? language = null;
        var choices = new List<(string Flow, string Node, string Key, string? Target)>();
        foreach (var (type, payload) in events)
        {
            using var json = JsonDocument.Parse(payload);
            var root = json.RootElement;
            string? Top(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            string? Data(string name) => root.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object
                && d.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            if (type == "ivr.language_chosen") language = Data("language");
            else if (Top("flow") is { } flow && Top("node") is { } node && Data("key") is { } key) choices.Add((flow, node, key, Data("target")));
        }
        var words = new List<string>();
        foreach (var (flowId, nodeId, key, target) in choices)
        {
            var flow = flows.ForFlow(flowId)?.Flow;
            // The human option's words ("人工", "agent") say nothing about the subject.
            if (flow is null || target == flow.Agent.Target) continue;
            var option = flow.Nodes.GetValueOrDefault(nodeId)?.Options.FirstOrDefault(o => o.Key == key);
            if (option is null) continue;
            var said = language is not null && option.Words.TryGetValue(language, out var inLanguage) ? inLanguage : [.. option.AllWords];
            words.AddRange(said);
        }
        return (language, words.Distinct(StringComparer.OrdinalIgnoreCase).ToList());
    }

    private static async Task<SearchResponse> RunAsync(KnowledgeQuery query, KnowledgeSearch search, KnowledgeArticles articles, CancellationToken ct)
    {
        var hits = await search.SearchAsync(query, ct);
        var views = (await articles.ViewsAsync([.. hits.Select(h => h.ArticleId)], ct)).ToDictionary(v => v.ArticleId);
        return new SearchResponse(query.Text, query.Language,
            [.. hits.Where(h => views.ContainsKey(h.ArticleId)).Select(h => new SearchResult(views[h.ArticleId], h.ProductMatch, Math.Round(h.Rank, 6)))]);
    }

    private static async Task<Results<Ok<ArticleView>, ProblemHttpResult>> ArticleAsync(long articleId, KnowledgeArticles articles, CancellationToken ct) =>
        (await articles.ViewsAsync([articleId], ct)).SingleOrDefault() is { } view ? TypedResults.Ok(view) : NoArticle(articleId);

    private static async Task<Results<Ok<ArticleHistory>, ProblemHttpResult>> HistoryAsync(long articleId, KnowledgeArticles articles, CancellationToken ct) =>
        await articles.HistoryAsync(articleId, ct) is { } history ? TypedResults.Ok(history) : NoArticle(articleId);

    private static async Task<Results<Created<FlagView>, ValidationProblem, ProblemHttpResult>> FlagAsync(
        FlagRequest request, HttpContext http, CallCenterDbContext db, KnowledgeArticles articles, KnowledgeNotifier notifier,
        KnowledgeMetrics metrics, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Enum.TryParse<FlagKind>(request.Kind, ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
            errors["kind"] = ["Wrong or Missing."];
        else if (kind == FlagKind.Wrong && request.ArticleId is null) errors["articleId"] = ["Which article is wrong?"];
        var comment = request.Comment?.Trim() ?? "";
        if (comment.Length == 0) errors["comment"] = ["Say what is wrong or missing."];
        else if (comment.Length > KnowledgeLimits.NoteLength) errors["comment"] = [$"At most {KnowledgeLimits.NoteLength} characters."];
        if (request.CallSid is { Length: > 64 }) errors["callSid"] = ["At most 64 characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid flag");

        string owner = KnowledgeTeam;
        long? versionId = null;
        if (request.ArticleId is { } articleId)
        {
            if ((await articles.ViewsAsync([articleId], ct)).SingleOrDefault() is not { } view) return NoArticle(articleId);
            owner = view.Owner;
            versionId = (view.Current ?? view.Upcoming)?.VersionId;
        }
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var flag = new KnowledgeFlag { ArticleId = request.ArticleId, VersionId = versionId, Kind = kind, Comment = comment,
            CallSid = string.IsNullOrWhiteSpace(request.CallSid) ? null : request.CallSid.Trim(), Owner = owner, RaisedBy = who, RaisedAt = now };
        db.KnowledgeFlags.Add(flag);
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "kb.flag.raise",
            Target = request.ArticleId is { } a ? $"article {a}" : "missing article", Result = "succeeded", Details = $"{kind}: {comment}" });
        await db.SaveChangesAsync(ct);
        metrics.Flags.Add(1, new KeyValuePair<string, object?>("kind", kind.ToString()));
        var view2 = ToView(flag);
        notifier.Flagged(view2);
        return TypedResults.Created($"/api/kb/flags/{flag.Id}", view2);
    }

    private static async Task<Ok<List<FlagView>>> FlagsAsync(bool? all, string? owner, CallCenterDbContext db, CancellationToken ct)
    {
        var flags = db.KnowledgeFlags.AsNoTracking();
        if (all != true) flags = flags.Where(f => f.ResolvedAt == null);
        if (!string.IsNullOrWhiteSpace(owner)) flags = flags.Where(f => f.Owner == owner);
        return TypedResults.Ok((await flags.OrderBy(f => f.RaisedAt).ThenBy(f => f.Id).Take(500).ToListAsync(ct)).Select(ToView).ToList());
    }

    private static async Task<Results<Ok<FlagView>, ValidationProblem, ProblemHttpResult>> ResolveFlagAsync(
        long flagId, ResolveFlagRequest request, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var resolution = request.Resolution?.Trim() ?? "";
        if (resolution.Length is 0 or > KnowledgeLimits.NoteLength)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["resolution"] = [$"Say what was done (1–{KnowledgeLimits.NoteLength} characters)."] },
                title: "Invalid resolution");
        var flag = await db.KnowledgeFlags.SingleOrDefaultAsync(f => f.Id == flagId, ct);
        if (flag is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such flag", detail: $"No flag {flagId}.");
        if (flag.ResolvedAt is not null)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already resolved", detail: $"Flag {flagId} was resolved by {flag.ResolvedBy}.");
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        flag.Resolve(who, now, resolution);
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "kb.flag.resolve", Target = $"flag {flagId}",
            Result = "succeeded", Details = resolution });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(ToView(flag));
    }

    /// <summary>Owner of flags about articles that do not exist yet.</summary>
    public const string KnowledgeTeam = "knowledge-team";

    private static FlagView ToView(KnowledgeFlag f) =>
        new(f.Id, f.ArticleId, f.VersionId, f.Kind, f.Comment, f.CallSid, f.Owner, f.RaisedBy, f.RaisedAt, f.ResolvedBy, f.ResolvedAt, f.Resolution);

    internal static ProblemHttpResult NoArticle(long articleId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such article", detail: $"No article {articleId}.");
}

/// <summary>The languages articles may be written in: those the hotline's lines offer.</summary>
internal static class KnowledgeLanguages
{
    public static IReadOnlySet<string> Of(IvrFlowCatalog flows) =>
        flows.Flows.SelectMany(f => f.Languages).ToHashSet(StringComparer.Ordinal);
}

/// <summary>
/// Pushes knowledge changes to the consoles over <see cref="AgentHub"/>: pinned incident scripts to everyone,
/// flags to the supervisors (the knowledge owners' desk). A lost push is logged; consoles also read over REST.
/// </summary>
public sealed class KnowledgeNotifier(IHubContext<AgentHub> hub, ILogger<KnowledgeNotifier> logger)
{
    public void PinnedScriptsChanged(IReadOnlyList<IncidentScriptApi.ScriptView> pinned) =>
        Send(hub.Clients.All.SendAsync("pinnedScripts", pinned), "pinnedScripts");

    public void Flagged(KnowledgeApi.FlagView flag) =>
        Send(hub.Clients.Group(AgentHub.SupervisorsGroup).SendAsync("knowledgeFlagged", flag), "knowledgeFlagged");

    private async void Send(Task sending, string what)
    {
        try
        {
            await sending;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Knowledge push {What} failed", what);
        }
    }
}
