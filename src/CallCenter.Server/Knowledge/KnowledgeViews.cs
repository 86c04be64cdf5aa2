using CallCenter.Core.Knowledge;
using CallCenter.Server.Data;
using Markdig;
using Markdig.Renderers;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Knowledge;

/// <summary>One version of an article as the consoles show it; <see cref="BodyHtml"/> is rendered Markdown with raw HTML escaped.</summary>
public sealed record ArticleText(long VersionId, int Number, string Title, string Body, string BodyHtml, string Language,
    IReadOnlyList<string> Products, IReadOnlyList<string> Tags, string? ReasonFamily, DateTimeOffset EffectiveFrom, DateTimeOffset? EffectiveUntil,
    VersionStatus Status, string PublishedBy, DateTimeOffset PublishedAt, long NoticeId);

/// <summary>
/// An article now: the text in force (null before its first version takes effect) and, in the week before a change,
/// the coming text with the date it takes effect (the console's banner).
/// </summary>
public sealed record ArticleView(long ArticleId, string Owner, ArticleText? Current, ArticleText? Upcoming);

/// <summary>Every version of an article, oldest first, expired ones included (the audit trail).</summary>
public sealed record ArticleHistory(long ArticleId, string Owner, IReadOnlyList<ArticleText> Versions);

/// <summary>Reads articles with their effective dating applied at the server's clock.</summary>
public sealed class KnowledgeArticles(CallCenterDbContext db, TimeProvider clock)
{
    // Raw HTML in a department's Markdown is shown as text, never run in an agent's browser.
    private static readonly MarkdownPipeline Markdown = new MarkdownPipelineBuilder().DisableHtml().UseAutoLinks().Build();

    /// <summary>The current and upcoming text of each article, in the order of <paramref name="articleIds"/>.</summary>
    public async Task<IReadOnlyList<ArticleView>> ViewsAsync(IReadOnlyList<long> articleIds, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var owners = await db.KnowledgeArticles.AsNoTracking().Where(a => articleIds.Contains(a.Id))
            .ToDictionaryAsync(a => a.Id, a => a.Owner, ct);
        // Expired versions are not needed to know what is in force now.
        var versions = (await db.ArticleVersions.AsNoTracking()
            .Where(v => articleIds.Contains(v.ArticleId) && (v.EffectiveUntil == null || v.EffectiveUntil > now))
            .ToListAsync(ct)).ToLookup(v => v.ArticleId);
        var views = new List<ArticleView>(articleIds.Count);
        foreach (var id in articleIds)
        {
            if (!owners.TryGetValue(id, out var owner)) continue;
            var list = versions[id].ToList();
            var timeline = EffectiveDating.At(list.Select(v => new DatedVersion(v.Id, v.EffectiveFrom)), now);
            ArticleText? Text(DatedVersion? d) => d is null ? null : ToText(list.Single(v => v.Id == d.Id), timeline.Statuses[d.Id]);
            views.Add(new ArticleView(id, owner, Text(timeline.Current), Text(timeline.Upcoming)));
        }
        return views;
    }

    public async Task<ArticleHistory?> HistoryAsync(long articleId, CancellationToken ct)
    {
        var article = await db.KnowledgeArticles.AsNoTracking().Include(a => a.Versions).SingleOrDefaultAsync(a => a.Id == articleId, ct);
        if (article is null) return null;
        var timeline = EffectiveDating.At(article.Versions.Select(v => new DatedVersion(v.Id, v.EffectiveFrom)), clock.GetUtcNow());
        return new ArticleHistory(article.Id, article.Owner,
            [.. article.Versions.OrderBy(v => v.EffectiveFrom).Select(v => ToText(v, timeline.Statuses[v.Id]))]);
    }

    /// <summary>Markdown to HTML safe to insert in the console: raw HTML escaped, links only to web, mail and phone addresses.</summary>
    public static string Html(string markdown)
    {
        var document = Markdig.Markdown.Parse(markdown, Markdown);
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (link.Url is { } url && !SafeUrl(url)) link.Url = "#";
        }
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        var renderer = new HtmlRenderer(writer);
        Markdown.Setup(renderer);
        renderer.Render(document);
        writer.Flush();
        return writer.ToString();
    }

    private static bool SafeUrl(string url) =>
        url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || url.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) || url.StartsWith("tel:", StringComparison.OrdinalIgnoreCase)
        || (url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal)) || url.StartsWith('#');

    private static ArticleText ToText(ArticleVersion v, VersionStatus status) =>
        new(v.Id, v.Number, v.Title, v.Body, Html(v.Body), v.Language, v.Products, v.Tags, v.ReasonFamily, v.EffectiveFrom, v.EffectiveUntil,
            status, v.PublishedBy, v.PublishedAt, v.NoticeId);
}
