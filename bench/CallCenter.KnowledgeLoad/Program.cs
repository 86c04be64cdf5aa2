// Loads N knowledge articles into a fresh database with binary COPY, then times the server's own search query
// (KnowledgeSearch) and the full search as the API runs it (query + current/upcoming versions of the top 20).
// Usage: knowledge-load [--articles 50000] [--queries 2000] [--reuse]   (ConnectionStrings__Postgres names the server)
using System.Diagnostics;
using System.Globalization;
using CallCenter.KnowledgeLoad;
using CallCenter.Server.Data;
using CallCenter.Server.Knowledge;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

var articles = Arg("--articles", 50_000);
var queries = Arg("--queries", 2_000);
var reuse = args.Contains("--reuse");
var server = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") ?? "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres";
var target = new NpgsqlConnectionStringBuilder(server) { Database = "callcenter_kb_bench", CommandTimeout = 0 }.ConnectionString;
var now = new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);
var clock = new FakeTimeProvider(now);

if (!reuse)
{
    await using var admin = NpgsqlDataSource.Create(server);
    await admin.CreateCommand("DROP DATABASE IF EXISTS callcenter_kb_bench WITH (FORCE)").ExecuteNonQueryAsync();
    await admin.CreateCommand("CREATE DATABASE callcenter_kb_bench").ExecuteNonQueryAsync();
}
await DataExtensions.MigrateAsync(target, CancellationToken.None);
await using var dataSource = DataExtensions.CreateDataSource(target);
var generator = new ArticleGenerator(seed: 20261128, articles, now);
if (!reuse)
{
    var load = Stopwatch.StartNew();
    await generator.CopyAsync(dataSource);
    Console.WriteLine($"bulk load: {articles:N0} articles, {generator.VersionCount:N0} versions (binary COPY, tsvector generated, GIN live): {load.Elapsed.TotalSeconds:F1} s");
    await dataSource.CreateCommand("VACUUM ANALYZE").ExecuteNonQueryAsync();
}
else
{
    Console.WriteLine($"reusing {await dataSource.CreateCommand("SELECT count(*) FROM kb_articles").ExecuteScalarAsync():N0} loaded articles");
}
var size = await dataSource.CreateCommand("SELECT pg_size_pretty(pg_total_relation_size('kb_article_versions'))").ExecuteScalarAsync();
Console.WriteLine($"kb_article_versions with indexes: {size}");

using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
var search = new KnowledgeSearch(dataSource, clock, new KnowledgeMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
CallCenterDbContext NewContext()
{
    var builder = new DbContextOptionsBuilder<CallCenterDbContext>();
    DataExtensions.Configure(builder, dataSource);
    return new CallCenterDbContext(builder.Options);
}

var workload = generator.Queries(queries + 200).ToList();
// Warm-up: the first queries load the GIN index and the plan cache.
foreach (var q in workload.Take(200)) await search.SearchAsync(new KnowledgeQuery(q.Text, q.Product, q.Language), CancellationToken.None);

// The machine's load, and a round trip that does no work: on a shared machine these say how much of a figure is waiting for a core.
Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()} ({Environment.ProcessorCount} cores)");
var baseline = new List<double>();
for (var i = 0; i < 500; i++)
{
    var sw = Stopwatch.StartNew();
    await dataSource.CreateCommand("SELECT 1").ExecuteScalarAsync();
    baseline.Add(sw.Elapsed.TotalMilliseconds);
}
Console.WriteLine($"baseline round trip (SELECT 1, 500 times): {Summary(baseline)}");

var queryTimes = new List<(string Kind, double Ms, int Hits)>();
var fullTimes = new List<double>();
foreach (var q in workload.Skip(200))
{
    var sw = Stopwatch.StartNew();
    var hits = await search.SearchAsync(new KnowledgeQuery(q.Text, q.Product, q.Language), CancellationToken.None);
    queryTimes.Add((q.Kind, sw.Elapsed.TotalMilliseconds, hits.Count));
    await using var db = NewContext();
    await new KnowledgeArticles(db, clock).ViewsAsync([.. hits.Select(h => h.ArticleId)], CancellationToken.None);
    fullTimes.Add(sw.Elapsed.TotalMilliseconds);
}

var matching = await dataSource.CreateCommand("SELECT count(*) FROM kb_article_versions WHERE search_vector @@ kb_query('信用卡', false)").ExecuteScalarAsync();
Console.WriteLine($"the commonest word, 信用卡, is in {matching:N0} versions");
Console.WriteLine($"search query over {articles:N0} articles, {queryTimes.Count:N0} queries (one at a time): {Summary(queryTimes.Select(t => t.Ms))}");
foreach (var kind in queryTimes.GroupBy(t => t.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
    Console.WriteLine($"  {kind.Key,-10} {kind.Count(),5} queries, avg {kind.Average(t => t.Hits):F1} results: {Summary(kind.Select(t => t.Ms))}");
Console.WriteLine($"search + current/upcoming versions of the results (the API's work without HTTP): {Summary(fullTimes)}");
Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");

static string Summary(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    double P(double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
    return string.Create(CultureInfo.InvariantCulture, $"p50 {P(0.5):F1} ms, p95 {P(0.95):F1} ms, p99 {P(0.99):F1} ms, max {sorted[^1]:F1} ms");
}

int Arg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
