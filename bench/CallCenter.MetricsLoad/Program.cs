// Loads N call records into a fresh database with binary COPY, builds the rollups, then times the report
// queries and an incremental 15-minute refresh through the same code the server runs.
// Usage: metrics-load [--calls 10000000] [--days 92] [--runs 5] [--warmup 0] [--reuse] [--refresh-only [--no-reports]] [--sequential-sids]
//        [--database callcenter_metrics_bench]   (ConnectionStrings__Postgres names the server)
//        metrics-load [--calls …] [--days …] --reset | --check DAYS
// --reuse keeps the call records a previous run loaded (same --calls and --days) and starts at the linking step;
// --refresh-only times the report queries and the incremental refresh again, on what an earlier full run left.
// --database names the bench database, so a small one for quick comparisons can sit next to the 10 M one in one cluster.
// --reset takes out the calls earlier runs appended (a refresh-only run refuses beyond 3% of them); --check DAYS recomputes
// every rollup row from DAYS before the end of the loaded range on and counts the rows that differ from the stored ones.
using System.Diagnostics;
using System.Globalization;
using CallCenter.MetricsLoad;
using CallCenter.Server.Channels;
using CallCenter.Server.Data;
using CallCenter.Server.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

var calls = Arg("--calls", 10_000_000);
var days = Arg("--days", 92);
var runs = Arg("--runs", 5);
var server = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") ?? "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres";
// No command timeout: one-off steps over ten million rows take minutes.
var database = ArgText("--database") ?? "callcenter_metrics_bench";
var target = new NpgsqlConnectionStringBuilder(server) { Database = database, CommandTimeout = 0 }.ConnectionString;
var refreshOnly = args.Contains("--refresh-only");
// --reset and --check work on what an earlier full run left, like --refresh-only.
var reuse = refreshOnly || args.Contains("--reuse") || args.Contains("--reset") || args.Contains("--check");

var options = new MetricsOptions();
var zone = options.Zone;
var firstDay = new DateOnly(2026, 8, 1);
var rangeFrom = RollupCalculator.LocalMidnight(firstDay, zone);
var rangeTo = RollupCalculator.LocalMidnight(firstDay.AddDays(days), zone);
// "Now" is the end of the loaded range, as on the day a live server reaches it: the last week's FCR is provisional.
var clock = new FakeTimeProvider(rangeTo);

if (!reuse)
{
    await using var admin = NpgsqlDataSource.Create(server);
    var quoted = new NpgsqlCommandBuilder().QuoteIdentifier(database);
    await admin.CreateCommand($"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)").ExecuteNonQueryAsync();
    await admin.CreateCommand($"CREATE DATABASE {quoted}").ExecuteNonQueryAsync();
}
await DataExtensions.MigrateAsync(target, CancellationToken.None);
await using var dataSource = DataExtensions.CreateDataSource(target);
var breakdown = new RefreshBreakdown(dataSource);
CallCenterDbContext NewContext()
{
    var builder = new DbContextOptionsBuilder<CallCenterDbContext>();
    DataExtensions.Configure(builder, dataSource);
    builder.AddInterceptors(breakdown.Commits);
    return new CallCenterDbContext(builder.Options);
}

// The generated load has no text requests or surveys: an incremental batch skips the channel rollups' statement; the backfill runs it once a day.
var channelRollups = new ChannelRollups(Options.Create(new ChannelOptions()));
async Task RebuildAsync(DateTimeOffset from, DateTimeOffset to, DateTimeOffset now)
{
    await using var db = NewContext();
    await new RollupCalculator(db, dataSource, channelRollups, new FakeTimeProvider(now)).RebuildAsync(from, to, options, CancellationToken.None);
}

Console.WriteLine($"{calls:N0} calls over {days} days ({firstDay:yyyy-MM-dd} on, {options.TimeZone})");
var bench = new BenchDatabase(dataSource, rangeTo, calls);
if (args.Contains("--reset"))
{
    var reset = Stopwatch.StartNew();
    await bench.ResetAsync(RebuildAsync);
    Console.WriteLine($"reset in {reset.Elapsed.TotalSeconds:F0} s: {await bench.DescribeAsync()}");
    return;
}
if (ArgText("--check") is { } checkDays)
{
    var check = Stopwatch.StartNew();
    var differences = await bench.CheckAsync(rangeTo.AddDays(-int.Parse(checkDays, CultureInfo.InvariantCulture)), RebuildAsync);
    foreach (var (table, missing, extra) in differences)
        Console.WriteLine($"{table}: {missing:N0} stored rows the recomputation does not give, {extra:N0} recomputed rows not stored");
    Console.WriteLine($"exactness check over the last {checkDays} loaded days and the appended ones: {(differences.All(d => d.Missing == 0 && d.Extra == 0) ? "equal" : "DIFFERENT")} ({check.Elapsed.TotalSeconds:F0} s)");
    return;
}
var load = Stopwatch.StartNew();
var generator = new CallGenerator(seed: 20261128, rangeFrom, days, calls);
if (refreshOnly)
{
    Console.WriteLine($"refresh only, over {await bench.DescribeAsync()}");
    if (await bench.AppendedCallsAsync() > bench.Margin)
    {
        Console.WriteLine($"more than {bench.Margin:N0} calls appended by earlier runs: the database no longer has the size it was loaded at; run --reset first");
        Environment.ExitCode = 2;
        return;
    }
}
else if (reuse)
{
    // The call log is append-only (even TRUNCATE is refused): calls an earlier run appended keep their facts, and the
    // watermark starts after them so the timed runs fold only their own interval.
    await dataSource.CreateCommand("""
        TRUNCATE queue_interval_rollups, agent_interval_rollups, line_interval_rollups, fcr_daily_rollups, metrics_watermarks;
        INSERT INTO metrics_watermarks (name, last_global_seq, updated_at) SELECT 'call-facts', coalesce(max(global_seq), 0), now() FROM call_events;
        """).ExecuteNonQueryAsync();
    Console.WriteLine($"reusing {await dataSource.CreateCommand("SELECT count(*) FROM call_facts").ExecuteScalarAsync():N0} loaded calls");
}
else
{
    await generator.CopyAsync(dataSource);
    Console.WriteLine($"bulk load (binary COPY, indexes live): {load.Elapsed.TotalSeconds:F1} s");
}
if (!refreshOnly)
{
    var link = Stopwatch.StartNew();
    await dataSource.CreateCommand(CallGenerator.LinkRepeatsSql).ExecuteNonQueryAsync();
    await dataSource.CreateCommand("VACUUM ANALYZE call_facts").ExecuteNonQueryAsync();
    Console.WriteLine($"repeat-contact linking (one-off, set-based) + analyze: {link.Elapsed.TotalSeconds:F1} s");

    var backfill = Stopwatch.StartNew();
    await using (var db = NewContext())
    {
        var rows = await new RollupCalculator(db, dataSource, channelRollups, clock).RebuildAsync(rangeFrom, rangeTo, options, CancellationToken.None);
        Console.WriteLine($"rollup backfill: {rows:N0} queue interval rows (plus agent, line, daily FCR rows) in {backfill.Elapsed.TotalSeconds:F1} s");
    }
    await dataSource.CreateCommand("VACUUM ANALYZE").ExecuteNonQueryAsync();
}
// --runs 0 only loads: nothing is timed and nothing appended.
if (runs == 0) return;

// --no-reports skips timing the report queries, to iterate on the refresh alone.
var month = (From: firstDay.AddMonths(1), To: firstDay.AddMonths(2));
var monthFrom = RollupCalculator.LocalMidnight(month.From, zone);
var monthTo = RollupCalculator.LocalMidnight(month.To, zone);
if (!args.Contains("--no-reports"))
{
    await TimeAsync("connect rate + service level per queue, one month", async db =>
        (await QueueReport.PeriodsAsync(db, options, month.From, month.To, ReportPeriod.Month, null, CancellationToken.None)).Count + " queues");
    await TimeAsync("per queue x 15-minute intervals, one month", async db =>
        (await db.QueueIntervalRollups.AsNoTracking().Where(r => r.IntervalStart >= monthFrom && r.IntervalStart < monthTo && r.PolicyVersion == 1)
            .OrderBy(r => r.IntervalStart).ThenBy(r => r.Queue).ToListAsync()).Count + " rows");
    await TimeAsync("first-call resolution, one month, 7-day repeat window", async db =>
    {
        var fcr = await QueueReport.FirstCallResolutionAsync(db, monthFrom, monthTo, TimeSpan.FromDays(7), clock.GetUtcNow(), CancellationToken.None);
        return $"{fcr.Needs:N0} needs, rate {fcr.Rate:P1}";
    });
}

// Incremental: one interval's worth of new calls arrives as call-log events; the worker folds only those.
var perInterval = calls / (days * 96);
// New intervals follow whatever an earlier run appended.
var firstNew = await dataSource.CreateCommand("SELECT max(occurred_at) FROM call_events").ExecuteScalarAsync() is DateTime last
    ? new DateTimeOffset(last.Ticks - last.Ticks % options.Interval.Ticks, TimeSpan.Zero).AddMinutes(15)
    : rangeTo;
// --sequential-sids gives the new calls sequential SIDs, as the passes before the sixth measured.
var randomSids = !args.Contains("--sequential-sids");
var refresh = new List<double>();
var refreshCpu = new List<double>();
var refreshJit = new List<double>();
var refreshAllocated = new List<double>();
var appended = 0;
// --warmup N refreshes first, untimed: a freshly started process spends its first refreshes compiling (tiered JIT), which a
// long-running worker does once.
var warmup = Arg("--warmup", 0);
// Where the cluster loads pg_stat_statements, each refresh's statements, rows, buffers and PostgreSQL time are counted too.
var statements = await StatementStats.OpenAsync(dataSource);
var refreshStats = new List<StatementStats.Sample>();
var refreshBreakdowns = new List<string>();
for (var run = 0; run < warmup + runs; run++)
{
    var timed = run >= warmup;
    var intervalEvents = generator.IntervalEvents(firstNew.AddMinutes(15 * run), perInterval, randomSids).ToList();
    appended += intervalEvents.Count;
    await using (var writer = new NpgsqlBatchWriter(dataSource))
        await writer.AppendAsync(intervalEvents);
    await using var db = NewContext();
    // The worker runs just after the interval it folds.
    var live = new FakeTimeProvider(firstNew.AddMinutes(15 * (run + 1)));
    var calculator = new RollupCalculator(db, dataSource, channelRollups, live);
    // Taken outside the statement counts: their reset and read add ~1 ms of the backends' CPU to the breakdown.
    var start = await breakdown.TakeAsync();
    await statements.ResetAsync();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var jit = System.Runtime.JitInfo.GetCompilationTime();
    var allocated = GC.GetTotalAllocatedBytes(precise: true);
    var sw = Stopwatch.StartNew();
    await calculator.RunAsync(options, CancellationToken.None);
    var wall = sw.Elapsed.TotalMilliseconds;
    if (!timed) continue;
    refresh.Add(wall);
    refreshCpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds);
    refreshJit.Add((System.Runtime.JitInfo.GetCompilationTime() - jit).TotalMilliseconds);
    refreshAllocated.Add((GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1e6);
    if (await statements.ReadAsync() is { } sample) refreshStats.Add(sample);
    refreshBreakdowns.Add(RefreshBreakdown.Describe(start, await breakdown.TakeAsync(), wall));
}
Console.WriteLine($"incremental 15-minute refresh ({perInterval:N0} calls with {(randomSids ? "random" : "sequential")} SIDs, ~{appended / Math.Max(1, warmup + runs):N0} events incl. agents' state changes): {Summary(refresh)}");
Console.WriteLine($"  worker CPU per refresh: {Summary(refreshCpu)}{(warmup > 0 ? $" (after {warmup} untimed refreshes)" : "")}");
Console.WriteLine($"  of which JIT compiling: {Summary(refreshJit)}");
Console.WriteLine($"  allocated per refresh: {Summary(refreshAllocated, "MB")}");
foreach (var sample in refreshStats) Console.WriteLine($"  PostgreSQL per refresh: {sample}");
foreach (var line in refreshBreakdowns) Console.WriteLine($"  {line}");

async Task TimeAsync(string what, Func<CallCenterDbContext, Task<string>> query)
{
    var times = new List<double>();
    var result = "";
    for (var run = 0; run < runs; run++)
    {
        await using var db = NewContext();
        var sw = Stopwatch.StartNew();
        result = await query(db);
        times.Add(sw.Elapsed.TotalMilliseconds);
    }
    Console.WriteLine($"{what}: {Summary(times)} ({result})");
}

static string Summary(List<double> values, string unit = "ms")
{
    var sorted = values.Order().ToList();
    return string.Create(CultureInfo.InvariantCulture,
        $"median {sorted[sorted.Count / 2]:F0} {unit}, max {sorted[^1]:F0} {unit}, first {values[0]:F0} {unit} over {values.Count} runs");
}

int Arg(string name, int fallback) => ArgText(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

string? ArgText(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
