extern alias server;

using System.Diagnostics;
using System.Globalization;
using CallCenter.Core.Archive;
using server::CallCenter.Server.Archive;
using server::CallCenter.Server.Data;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CallCenter.Benchmarks;

/// <summary>
/// Stopwatch runs against a real PostgreSQL: the finalise latency of a 1 MB recording (seal, durable file,
/// catalogue transaction) as percentiles, and the retention sweep over a catalogue of millions of rows.
/// </summary>
internal static class ArchiveRuns
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly DateTimeOffset Base = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Creates (or recreates) a migrated database next to the admin connection's.</summary>
    private static async Task<string> FreshDatabaseAsync(string adminConnection, string name)
    {
        await using (var admin = new NpgsqlConnection(adminConnection))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(adminConnection) { Database = name }.ConnectionString;
        await DataExtensions.MigrateAsync(cs, CancellationToken.None);
        return cs;
    }

    private static async Task<long> CatalogueRowsAsync(string connectionString)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using var count = new NpgsqlCommand("SELECT count(*) FROM archived_recordings", connection) { CommandTimeout = 0 };
            return (long)(await count.ExecuteScalarAsync())!;
        }
        catch (PostgresException)
        {
            return -1; // no such database or table yet
        }
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync();
    }

    public static async Task FinaliseAsync(string adminConnection, int samples)
    {
        var cs = await FreshDatabaseAsync(adminConnection, "callcenter_bench_finalise");
        await using var dataSource = DataExtensions.CreateDataSource(cs);
        var folder = Path.Combine(Environment.GetEnvironmentVariable("ARCHIVE_BENCH_DIR") ?? Path.GetTempPath(), "callcenter-finalise-" + Guid.NewGuid().ToString("N"));
        var storage = new LocalFolderArchiveStorage(folder);
        var masterKey = RecordingEnvelope.NewDataKey();
        var wav = new byte[1024 * 1024];
        new Random(11).NextBytes(wav);
        var times = new List<double>(samples);
        try
        {
            for (var i = 0; i < samples + 50; i++)
            {
                var sid = "RE" + i.ToString("D32", Inv);
                var token = Guid.NewGuid();
                await using (var job = dataSource.CreateCommand("""
                    INSERT INTO archive_jobs (recording_sid, call_sid, account_sid, recording_started_at, duration_seconds, channels, state, attempts,
                                              next_attempt_at, lease_token, lease_until, created_at)
                    VALUES (@sid, @call, 'AC1', now(), 60, 2, 'pending', 1, now(), @token, now() + interval '10 minutes', now()) RETURNING id
                    """))
                {
                    job.Parameters.AddWithValue("sid", sid);
                    job.Parameters.AddWithValue("call", "CA" + i.ToString("D32", Inv));
                    job.Parameters.AddWithValue("token", token);
                    var jobId = (long)(await job.ExecuteScalarAsync())!;

                    var watch = Stopwatch.StartNew();
                    var dataKey = RecordingEnvelope.NewDataKey();
                    var wrapped = DataKeyWrap.Wrap(masterKey, dataKey, sid);
                    var key = $"2026/11/28/{sid}.{token:N}.ccrec";
                    SealedRecording sealedRecording;
                    await using (var write = await storage.CreateAsync(key, CancellationToken.None))
                    {
                        sealedRecording = await RecordingEnvelope.SealAsync(new MemoryStream(wav, writable: false), write.Content, dataKey, CancellationToken.None);
                        await write.CommitAsync(CancellationToken.None);
                    }
                    var decision = RetentionPolicy.Default.Decide(CallCategory.Service, Base);
                    var number = await ArchiveIngestor.CatalogueAsync(dataSource, new ArchivedRecording
                    {
                        RecordingSid = sid, CallSid = "CA" + i.ToString("D32", Inv), Category = "Service", CallStartedAt = Base, DurationSeconds = 60,
                        Channels = 2, SizeBytes = sealedRecording.PlaintextBytes, StoredBytes = sealedRecording.StoredBytes, Sha256 = sealedRecording.Sha256,
                        KeyId = "k1", WrappedDataKey = wrapped, StorageKey = key, RetentionRule = decision.Rule, RetainUntil = decision.RetainUntil,
                        ArchivedAt = DateTimeOffset.UtcNow,
                    }, jobId, token, CancellationToken.None);
                    watch.Stop();
                    if (number is null) throw new InvalidOperationException("catalogue refused the job");
                    if (i >= 50) times.Add(watch.Elapsed.TotalMilliseconds);
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        times.Sort();
        double P(double q) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(q * times.Count) - 1)];
        Console.WriteLine(string.Format(Inv, "finalise 1 MB (seal + temp + fsync + rename + folder fsync + catalogue transaction), {0} samples after 50 warm-up:", times.Count));
        Console.WriteLine(string.Format(Inv, "p50 {0:F2} ms, p90 {1:F2} ms, p99 {2:F2} ms, max {3:F2} ms, mean {4:F2} ms", P(0.5), P(0.9), P(0.99), times[^1], times.Average()));
    }

    public static async Task SweepAsync(string adminConnection, long rows)
    {
        // Building ten million rows takes minutes on this machine: a catalogue left by an earlier run is reused,
        // with what that run destroyed brought back to life first.
        var cs = new NpgsqlConnectionStringBuilder(adminConnection) { Database = "callcenter_bench_sweep" }.ConnectionString;
        if (await CatalogueRowsAsync(cs) != rows) cs = await FreshDatabaseAsync(adminConnection, "callcenter_bench_sweep");
        await using var dataSource = DataExtensions.CreateDataSource(cs);
        var fill = Stopwatch.StartNew();
        if (await CatalogueRowsAsync(cs) == rows)
        {
            await ExecuteAsync(dataSource, """
                UPDATE archived_recordings SET destroyed_at = NULL, destroyed_under = NULL, wrapped_data_key = decode(repeat('ab', 60), 'hex'),
                    storage_key = 'bench/RE' || archive_number || '.ccrec'
                WHERE destroyed_at IS NOT NULL
                """);
        }
        else
        {
            const long Step = 1_000_000;
            for (long from = 1; from <= rows; from += Step)
            {
                // One call a row, started on one of 1,826 consecutive days, so each day's sweep finds 1/1,826 of the catalogue.
                await using var insert = dataSource.CreateCommand("""
                    INSERT INTO archived_recordings (archive_number, recording_sid, call_sid, agent, queue, category, call_started_at,
                        duration_seconds, channels, size_bytes, stored_bytes, sha256, key_id, wrapped_data_key, storage_key,
                        retention_rule, retain_until, archived_at)
                    SELECT i, 'RE' || lpad(i::text, 32, '0'), 'CA' || lpad(i::text, 32, '0'), 'A1001', 'general', 'Service',
                           @base + (i % 1826) * interval '1 day', 180, 2, 2880000, 2880736, sha256(int8send(i)), 'k1',
                           decode(repeat('ab', 60), 'hex'), 'bench/RE' || i || '.ccrec', 'retention-v1: Service 5 years from call start',
                           @base + (i % 1826) * interval '1 day' + interval '5 years', @base
                    FROM generate_series(@from, @to) AS i
                    """);
                insert.Parameters.AddWithValue("base", Base);
                insert.Parameters.AddWithValue("from", from);
                insert.Parameters.AddWithValue("to", Math.Min(rows, from + Step - 1));
                insert.CommandTimeout = 0;
                await insert.ExecuteNonQueryAsync();
            }
        }
        // 100 legal holds of 50 calls each, all on calls of the first day, so both sweeps must skip them.
        await ExecuteAsync(dataSource, """
            INSERT INTO legal_holds (reason, placed_by, placed_at)
            SELECT 'bench hold ' || h, 'S0001', now() FROM generate_series(1, 100) h WHERE NOT EXISTS (SELECT 1 FROM legal_holds)
            """);
        await ExecuteAsync(dataSource, """
            INSERT INTO legal_hold_calls (hold_id, call_sid)
            SELECT h.id, 'CA' || lpad((((h.n - 1) * 50 + c) * 1826)::text, 32, '0')
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM legal_holds) h CROSS JOIN generate_series(1, 50) c
            ON CONFLICT DO NOTHING
            """);
        await ExecuteAsync(dataSource, "VACUUM ANALYZE archived_recordings");
        await ExecuteAsync(dataSource, "VACUUM ANALYZE legal_hold_calls");
        fill.Stop();
        Console.WriteLine(string.Format(Inv, "catalogue of {0:N0} rows + 5,000 held calls ready in {1:F0} s", rows, fill.Elapsed.TotalSeconds));

        var sweep = new RetentionSweep(dataSource, new LocalFolderArchiveStorage(Path.GetTempPath()), NullLogger<RetentionSweep>.Instance);
        foreach (var (label, days) in new[] { ("daily sweep (the first two days expire)", 1), ("catch-up sweep (six months expire at once)", 183) })
        {
            var now = Base.AddYears(5).AddDays(days);
            var dry = Stopwatch.StartNew();
            var preview = await sweep.RunAsync(now, dryRun: true, 50_000, CancellationToken.None);
            dry.Stop();
            var watch = Stopwatch.StartNew();
            var report = await sweep.RunAsync(now, dryRun: false, 50_000, CancellationToken.None);
            watch.Stop();
            Console.WriteLine(string.Format(Inv, "{0}: destroyed {1:N0}, held back {2:N0}, file entries cleared {3:N0} in {4:F1} s (dry run {5:F1} s, predicted {6:N0})",
                label, report.Destroyed, report.HeldBack, report.FilesDeleted, watch.Elapsed.TotalSeconds, dry.Elapsed.TotalSeconds, preview.Destroyed));
        }
    }
}
