using System.Diagnostics;
using System.Diagnostics.Metrics;
using CallCenter.Server.Telemetry;
using Npgsql;
using NpgsqlTypes;

namespace CallCenter.Server.Knowledge;

/// <summary>What to look for: free text, optionally only one product and one language.</summary>
/// <param name="Text">Chinese and/or English words.</param>
/// <param name="Product">Only articles for this product.</param>
/// <param name="Language">Only articles in this language.</param>
/// <param name="Limit">At most this many articles.</param>
/// <param name="MatchAny">Every word must match (an agent's search) or any may (screen-pop suggestions).</param>
/// <param name="ProductHints">Extra product labels that count as exact product matches (the IVR path's words).</param>
public sealed record KnowledgeQuery(string Text, string? Product = null, string? Language = null, int Limit = 20, bool MatchAny = false,
    IReadOnlyCollection<string>? ProductHints = null);

/// <summary>One matching article: whether a product label equals a query word, and its text rank.</summary>
public sealed record KnowledgeHit(long ArticleId, bool ProductMatch, double Rank);

/// <summary>
/// Full-text search over the versions agents can see now (current, or taking effect within the banner window),
/// in PostgreSQL: <c>kb_document</c> indexes English stems plus overlapping bigrams of Chinese text (the default
/// parser keeps a run of Chinese characters as one word, so "年费" would not match "信用卡年费调整" without them),
/// <c>kb_query</c> turns the query into the same terms (a Chinese run must match all of its bigrams). Ranked by an
/// exact product match first, then <c>ts_rank_cd</c>.
/// </summary>
/// <remarks>
/// Ranking reads each candidate's whole tsvector, and a common word ("信用卡") can match most of the base; so the
/// candidates are bounded: up to <see cref="PoolSize"/> matches with an exact product match, as many matching in the
/// title or tags, as many anywhere. A query matching fewer rows than that (nearly every query of two words or with a
/// product) is ranked over all its matches; a broader one over those pools. Hand-written SQL: EF has no translation for
/// these functions, and the benchmark (bench/CallCenter.KnowledgeLoad) runs this very query.
/// </remarks>
public sealed class KnowledgeSearch(NpgsqlDataSource dataSource, TimeProvider clock, KnowledgeMetrics metrics)
{
    public const int PoolSize = 100;

    private const string Visible = """
        v.effective_from <= @horizon
              AND (v.effective_until IS NULL OR v.effective_until > @now)
              AND (@language::text IS NULL OR v.language = @language)
              AND (@product::text IS NULL OR v.products @> ARRAY[@product]::text[])
        """;

    internal const string Sql = $"""
        WITH q AS MATERIALIZED (SELECT kb_query(@q, @any) AS query),
        pool AS (
            (SELECT v.id FROM kb_article_versions v, q
             WHERE v.products && @terms AND v.search_vector @@ q.query AND {Visible} LIMIT @pool)
            UNION
            (SELECT v.id FROM kb_article_versions v, q
             WHERE v.head_vector @@ q.query AND {Visible} LIMIT @pool)
            UNION
            (SELECT v.id FROM kb_article_versions v, q
             WHERE v.search_vector @@ q.query AND {Visible} LIMIT @pool)
        )
        SELECT v.article_id,
               bool_or(v.products && @terms) AS product_match,
               max(ts_rank_cd(v.search_vector, q.query)) AS rank
        FROM pool JOIN kb_article_versions v ON v.id = pool.id, q
        GROUP BY v.article_id
        ORDER BY product_match DESC, rank DESC, v.article_id
        LIMIT @limit
        """;

    public async Task<IReadOnlyList<KnowledgeHit>> SearchAsync(KnowledgeQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("kb.search");
        activity?.SetTag("kb.language", query.Language);
        activity?.SetTag("kb.product", query.Product);
        activity?.SetTag("kb.match_any", query.MatchAny);
        var started = Stopwatch.GetTimestamp();
        var now = clock.GetUtcNow();
        await using var command = dataSource.CreateCommand(Sql);
        command.Parameters.AddWithValue("q", query.Text);
        command.Parameters.AddWithValue("any", query.MatchAny);
        command.Parameters.AddWithValue("terms", NpgsqlDbType.Array | NpgsqlDbType.Text, ProductTerms(query).ToArray());
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("horizon", now + Core.Knowledge.EffectiveDating.BannerWindow);
        command.Parameters.AddWithValue("language", NpgsqlDbType.Text, (object?)query.Language ?? DBNull.Value);
        command.Parameters.AddWithValue("product", NpgsqlDbType.Text, (object?)KnowledgeText.Label(query.Product) ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", query.Limit);
        command.Parameters.AddWithValue("pool", PoolSize);
        var hits = new List<KnowledgeHit>(query.Limit);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                hits.Add(new KnowledgeHit(reader.GetInt64(0), reader.GetBoolean(1), reader.GetFloat(2)));
        }
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        activity?.SetTag("kb.hits", hits.Count);
        var tags = new TagList { { "kind", query.MatchAny ? "suggestion" : "search" } };
        metrics.SearchDuration.Record(elapsed, tags);
        metrics.Searches.Add(1, tags);
        return hits;
    }

    /// <summary>The whole query and each of its words, as product labels; plus the hints.</summary>
    internal static IEnumerable<string> ProductTerms(KnowledgeQuery query)
    {
        var words = query.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Append(query.Text).Concat(query.ProductHints ?? []);
        return words.Select(KnowledgeText.Label).OfType<string>().Distinct(StringComparer.Ordinal);
    }
}

/// <summary>The knowledge base's OpenTelemetry instruments, on the server's meter.</summary>
public sealed class KnowledgeMetrics
{
    public KnowledgeMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(CallCenterTelemetry.Name);
        Searches = meter.CreateCounter<long>("callcenter.kb.searches", description: "Knowledge searches, by kind (search, suggestion).");
        SearchDuration = meter.CreateHistogram<double>("callcenter.kb.search_duration", unit: "ms", description: "Time of one knowledge search query.");
        Flags = meter.CreateCounter<long>("callcenter.kb.flags", description: "Articles flagged by agents as wrong or missing.");
    }

    public Counter<long> Searches { get; }
    public Histogram<double> SearchDuration { get; }
    public Counter<long> Flags { get; }
}

/// <summary>How labels (products, tags) are normalised: trimmed, lower-case (invariant), empty is none.</summary>
public static class KnowledgeText
{
    public static string? Label(string? value)
    {
        var trimmed = value?.Trim();
        return string.IsNullOrEmpty(trimmed) ? null : trimmed.ToLowerInvariant();
    }
}
