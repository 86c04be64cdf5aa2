using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using CallCenter.Server.Archive;
using CallCenter.Server.CallLog;
using CallCenter.Server.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CallCenter.Server.Backup;

/// <summary>What a drill restores, from where, to when, and which recording stores it checks.</summary>
public sealed record RestoreDrillOptions
{
    /// <summary>First backup location (base/ and wal/ as infra/backup/base-backup.sh and wal-archive.sh write them).</summary>
    public required string BackupDirectory { get; init; }
    /// <summary>Second location; WAL missing or damaged in the first is read from here.</summary>
    public string? CopyDirectory { get; init; }
    public required string KeyFile { get; init; }
    /// <summary>Where wal-restore.sh and backup-common.sh are (infra/backup, or the CLI's copy).</summary>
    public required string ScriptsDirectory { get; init; }
    /// <summary>Replay WAL up to this instant (recovery_target_time); null replays everything archived.</summary>
    public DateTimeOffset? TargetTime { get; init; }
    public string Database { get; init; } = "callcenter";
    public string User { get; init; } = "postgres";
    /// <summary>Scratch folder for the restored cluster; a new temp folder when null.</summary>
    public string? WorkDirectory { get; init; }
    /// <summary>Leave the restored cluster running and its folder in place (for inspection).</summary>
    public bool Keep { get; init; }
    /// <summary>Recording stores whose files are checked against the restored catalogue (first store, its replica).</summary>
    public IReadOnlyList<string> RecordingStores { get; init; } = [];
    /// <summary>The archive's master keys, to open each file and check its SHA-256.</summary>
    public ArchiveOptions Archive { get; init; } = new();
    public TimeSpan RecoveryTimeout { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>The drill's findings. Problems is empty exactly when it passed.</summary>
public sealed record RestoreDrillReport(string? BaseBackup, DateTimeOffset? TargetTime, IReadOnlyDictionary<string, long> RowCounts,
    long EventsChained, long RecordingsChecked, IReadOnlyList<string> Problems, double RestoreSeconds, double RecoverySeconds, double CheckSeconds,
    int? Port, string? WorkDirectory)
{
    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// The restore drill (requirements: consistency check after restore; the backup system tested): takes the newest
/// base backup that finished before the target, checks its SHA-256s, decrypts it into a fresh cluster, verifies it
/// against its manifest (pg_verifybackup), replays archived WAL through the same wal-restore.sh production uses up
/// to the target time, then checks row counts and gapless numbering, the call log's hash chain and every catalogued
/// recording's file and hash in each store. Any missing WAL segment (recovery ends before its target: PostgreSQL
/// refuses to open), damaged file or broken chain is a named problem and a failed drill.
/// </summary>
public sealed class RestoreDrill(RestoreDrillOptions options)
{
    private sealed record BackupInfo(string Label, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, string? StartWal, Dictionary<string, string> Files);

    public async Task<RestoreDrillReport> RunAsync(CancellationToken ct)
    {
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("backup.drill");
        var problems = new List<string>();
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        double restore = 0, recovery = 0, check = 0;
        long events = 0, recordings = 0;
        int? port = null;
        var work = options.WorkDirectory ?? Directory.CreateTempSubdirectory("callcenter-drill-").FullName;
        Directory.CreateDirectory(work);
        var data = Path.Combine(work, "data");
        var bin = PostgresTools.BinDirectory();
        var started = false;
        string? chosen = null;
        try
        {
            var backup = ChooseBaseBackup(problems);
            if (backup is null) return Report();
            chosen = backup.Value.Folder;
            activity?.SetTag("backup.base", chosen);
            if (!await RestoreBaseAsync(backup.Value.Folder, backup.Value.Info, data, work, bin, problems, ct)) return Report();
            restore = clock.Elapsed.TotalSeconds;

            port = PostgresTools.FreePort();
            await ConfigureRecoveryAsync(data, work, port.Value, ct);
            var start = await PostgresTools.RunAsync(Path.Combine(bin, "pg_ctl"),
                ["-D", data, "-l", Path.Combine(work, "postgres.log"), "-w", "-t", ((int)options.RecoveryTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), "start"],
                ct, asPostgres: true);
            started = true;
            if (!start.Succeeded)
            {
                problems.Add($"recovery failed: PostgreSQL did not start on the restored cluster{(options.TargetTime is { } t ? $" at {t:o}" : "")}. {LogTail(work)}");
                return Report();
            }
            var connection = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1", Port = port.Value, Username = options.User, Database = options.Database, Pooling = false, Timeout = 30,
            }.ConnectionString;
            await using var dataSource = NpgsqlDataSource.Create(connection);
            await WaitForPromotionAsync(dataSource, data, work, bin, problems, ct);
            recovery = clock.Elapsed.TotalSeconds - restore;
            if (problems.Count > 0) return Report();

            (events, recordings) = await CheckAsync(dataSource, counts, problems, ct);
            check = clock.Elapsed.TotalSeconds - restore - recovery;
            return Report();
        }
        finally
        {
            activity?.SetTag("backup.drill.passed", problems.Count == 0);
            if (problems.Count > 0) activity?.SetStatus(ActivityStatusCode.Error, problems[0]);
            if (started && !options.Keep)
                await PostgresTools.RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], CancellationToken.None, asPostgres: true);
            if (!options.Keep) TryDelete(work);
        }

        RestoreDrillReport Report() => new(chosen is null ? null : Path.GetFileName(chosen), options.TargetTime, counts, events, recordings, problems,
            restore, recovery, check, options.Keep ? port : null, options.Keep ? work : null);
    }

    private (string Folder, BackupInfo Info)? ChooseBaseBackup(List<string> problems)
    {
        var root = Path.Combine(options.BackupDirectory, "base");
        var candidates = Directory.Exists(root)
            ? Directory.GetDirectories(root).Where(d => File.Exists(Path.Combine(d, "backup.info")))
                .Select(d => (Folder: d, Info: JsonSerializer.Deserialize<BackupInfo>(File.ReadAllText(Path.Combine(d, "backup.info")), JsonSerializerOptions.Web)!))
                .OrderBy(c => c.Info.FinishedAt).ToList()
            : [];
        var usable = candidates.Where(c => options.TargetTime is not { } t || c.Info.FinishedAt < t).ToList();
        if (usable.Count == 0)
        {
            problems.Add(candidates.Count == 0
                ? $"no base backup in {root}"
                : $"no base backup finished before {options.TargetTime:o} (oldest finished {candidates[0].Info.FinishedAt:o})");
            return null;
        }
        return usable[^1];
    }

    private async Task<bool> RestoreBaseAsync(string folder, BackupInfo info, string data, string work, string bin, List<string> problems, CancellationToken ct)
    {
        foreach (var (file, expected) in info.Files)
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                problems.Add($"base backup {Path.GetFileName(folder)}: {file} is missing");
                continue;
            }
            await using var stream = File.OpenRead(path);
            var actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                problems.Add($"base backup {Path.GetFileName(folder)}: {file} fails its SHA-256 (damaged or altered)");
        }
        if (problems.Count > 0) return false;

        var tarball = Path.Combine(work, "base.tar.gz");
        var manifest = Path.Combine(work, "backup_manifest");
        foreach (var (source, target) in new[] { ("base.tar.gz.enc", tarball), ("backup_manifest.enc", manifest) })
        {
            var decrypted = await PostgresTools.RunAsync("openssl",
                ["enc", "-d", "-aes-256-cbc", "-pbkdf2", "-iter", "100000", "-pass", "file:" + options.KeyFile, "-in", Path.Combine(folder, source), "-out", target], ct);
            if (!decrypted.Succeeded)
            {
                problems.Add($"base backup {Path.GetFileName(folder)}: {source} does not decrypt with the key in {options.KeyFile}: {decrypted.Output}");
                return false;
            }
        }
        Directory.CreateDirectory(data);
        await using (var gz = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
            await TarFile.ExtractToDirectoryAsync(gz, data, overwriteFiles: false, ct);
        File.Delete(tarball);
        await PostgresTools.GiveToPostgresAsync(work, ct);
        PostgresTools.LetPostgresReach(work);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var verified = await PostgresTools.RunAsync(Path.Combine(bin, "pg_verifybackup"), ["--no-parse-wal", "-m", manifest, data], ct, asPostgres: true);
        if (!verified.Succeeded)
        {
            problems.Add($"base backup {Path.GetFileName(folder)} does not match its manifest: {verified.Output}");
            return false;
        }
        return true;
    }

    private async Task ConfigureRecoveryAsync(string data, string work, int port, CancellationToken ct)
    {
        var scripts = Path.Combine(work, "scripts");
        Directory.CreateDirectory(scripts);
        foreach (var script in new[] { "wal-restore.sh", "backup-common.sh" })
            File.Copy(Path.Combine(options.ScriptsDirectory, script), Path.Combine(scripts, script), overwrite: true);
        // The key is read by the server's restore_command, which runs as postgres.
        var key = Path.Combine(work, "backup.key");
        File.Copy(options.KeyFile, key, overwrite: true);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(key, UnixFileMode.UserRead);
        var run = Path.Combine(work, "run");
        Directory.CreateDirectory(run);

        var environment = $"CALLCENTER_BACKUP_DIR={Shell(options.BackupDirectory)} CALLCENTER_BACKUP_KEY_FILE={Shell(key)} " +
            (options.CopyDirectory is { } copy ? $"CALLCENTER_BACKUP_COPY_DIR={Shell(copy)}" : "CALLCENTER_BACKUP_SINGLE_LOCATION=1");
        var restore = $"{environment} bash {Shell(Path.Combine(scripts, "wal-restore.sh"))} %f %p";
        var settings = new List<string>
        {
            $"port = {port}",
            "listen_addresses = '127.0.0.1'",
            $"unix_socket_directories = {Conf(run)}",
            // A drill must never archive into the production archive, nor stream to anyone.
            "archive_mode = off",
            "hot_standby = off",
            "max_wal_senders = 0",
            "wal_level = minimal",
            "shared_buffers = '64MB'",
            "max_connections = 20",
            $"restore_command = {Conf(restore)}",
            "recovery_target_action = 'promote'",
            "recovery_target_timeline = 'latest'",
        };
        if (options.TargetTime is { } target)
            settings.Add($"recovery_target_time = '{target.ToUniversalTime():yyyy-MM-dd HH:mm:ss.ffffff}+00'");
        await File.AppendAllLinesAsync(Path.Combine(data, "postgresql.auto.conf"), settings, ct);
        await File.WriteAllTextAsync(Path.Combine(data, "pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n", ct);
        await File.WriteAllTextAsync(Path.Combine(data, "recovery.signal"), "", ct);
        await PostgresTools.GiveToPostgresAsync(work, ct);
    }

    /// <summary>
    /// Waits until recovery has replayed to its target and promoted. The server refuses connections while it
    /// replays (hot_standby off); if it stops instead, recovery failed (a missing WAL segment, a target it never reached).
    /// </summary>
    private async Task WaitForPromotionAsync(NpgsqlDataSource dataSource, string data, string work, string bin, List<string> problems, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < options.RecoveryTimeout)
        {
            try
            {
                await using var cmd = dataSource.CreateCommand("SELECT pg_is_in_recovery()");
                if (!(bool)(await cmd.ExecuteScalarAsync(ct))!) return;
            }
            catch (NpgsqlException ex) when (ex is not PostgresException || ((PostgresException)ex).SqlState == PostgresErrorCodes.CannotConnectNow)
            {
                var status = await PostgresTools.RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", data, "status"], ct, asPostgres: true);
                if (!status.Succeeded)
                {
                    problems.Add($"recovery failed: PostgreSQL stopped before it could open the restored cluster{(options.TargetTime is { } t ? $" at {t:o}" : "")}. {LogTail(work)}");
                    return;
                }
            }
            await Task.Delay(100, ct);
        }
        problems.Add($"recovery did not finish within {options.RecoveryTimeout}. {LogTail(work)}");
    }

    private async Task<(long Events, long Recordings)> CheckAsync(NpgsqlDataSource dataSource, SortedDictionary<string, long> counts, List<string> problems, CancellationToken ct)
    {
        var tables = new List<string>();
        await using (var cmd = dataSource.CreateCommand("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) tables.Add(r.GetString(0));
        foreach (var table in tables)
        {
            await using var cmd = dataSource.CreateCommand($"SELECT count(*) FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
            counts[table] = (long)(await cmd.ExecuteScalarAsync(ct))!;
        }
        foreach (var (table, column) in new[] { ("call_events", "global_seq"), ("archived_recordings", "archive_number") })
        {
            if (!counts.TryGetValue(table, out var rows)) continue;
            await using var cmd = dataSource.CreateCommand($"SELECT coalesce(max({column}), 0) FROM {table}");
            var highest = (long)(await cmd.ExecuteScalarAsync(ct))!;
            if (highest != rows) problems.Add($"{table}: {rows} rows but numbered up to {highest}: rows are missing");
        }

        var chain = await CallEventChainAudit.VerifyAsync(dataSource, ct);
        if (chain.FirstViolation is { } broken) problems.Add($"call log hash chain BROKEN: {broken}");

        long recordings = 0;
        var keys = new ArchiveKeyRing(options.Archive);
        foreach (var store in options.RecordingStores)
        {
            var integrity = await new ArchiveIntegrityCheck(dataSource, new LocalFolderArchiveStorage(store), keys, NullLogger<ArchiveIntegrityCheck>.Instance).RunAsync(ct);
            recordings = Math.Max(recordings, integrity.RecordingsChecked);
            foreach (var p in integrity.Problems)
                problems.Add($"{p.Kind.ToUpperInvariant()}: recording #{p.ArchiveNumber} ({p.RecordingSid}) in {store}: {p.Detail}");
        }
        return (chain.EventsChecked, recordings);
    }

    /// <summary>The lines of the restored server's log that say why it stopped (missing WAL, target not reached).</summary>
    private static string LogTail(string work)
    {
        var log = Path.Combine(work, "postgres.log");
        if (!File.Exists(log)) return "No server log.";
        var lines = File.ReadAllLines(log);
        var telling = lines.Where(l => l.Contains("FATAL", StringComparison.Ordinal) || l.Contains("PANIC", StringComparison.Ordinal)
            || l.Contains("wal-restore", StringComparison.Ordinal) || l.Contains("recovery", StringComparison.OrdinalIgnoreCase)).TakeLast(8);
        return "PostgreSQL said: " + string.Join(" | ", telling.DefaultIfEmpty(string.Join(" | ", lines.TakeLast(5))));
    }

    private static string Shell(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Conf(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static void TryDelete(string folder)
    {
        try { Directory.Delete(folder, recursive: true); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { }
    }
}
