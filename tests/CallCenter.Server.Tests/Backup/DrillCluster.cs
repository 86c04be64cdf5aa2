using System.Diagnostics;
using System.Security.Cryptography;
using CallCenter.Core.Archive;
using CallCenter.Server.Archive;
using CallCenter.Server.Backup;
using CallCenter.Server.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CallCenter.Server.Tests.Backup;

/// <summary>
/// A throwaway primary for backup tests: its own PostgreSQL cluster (1 MB WAL segments, so archiving is quick) on a
/// free loopback port under a temp folder, archiving through infra/backup/wal-archive.sh into two encrypted
/// locations, the application's schema, and a recording store with real sealed files.
/// </summary>
internal sealed class DrillCluster : IAsyncDisposable
{
    private readonly string _bin = PostgresTools.BinDirectory();
    private int _nextRecording = 1;

    private DrillCluster(string root) => Root = root;

    public string Root { get; }
    public string Data => Path.Combine(Root, "primary");
    public string Backups => Path.Combine(Root, "backups");
    public string Offsite => Path.Combine(Root, "offsite");
    public string KeyFile => Path.Combine(Root, "backup.key");
    public string Recordings => Path.Combine(Root, "recordings");
    public string Scripts => Path.Combine(Root, "scripts");
    public int Port { get; private set; }
    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public ArchiveOptions Archive { get; } = new() { MasterKeys = { ["drill"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) }, ActiveKeyId = "drill" };

    /// <summary>infra/backup in this checkout.</summary>
    public static string RepositoryScripts()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CallCenter.sln"))) return Path.Combine(dir.FullName, "infra", "backup");
        throw new InvalidOperationException("CallCenter.sln not found above the test binaries.");
    }

    public IReadOnlyDictionary<string, string> BackupEnvironment => new Dictionary<string, string>
    {
        ["CALLCENTER_BACKUP_DIR"] = Backups, ["CALLCENTER_BACKUP_COPY_DIR"] = Offsite, ["CALLCENTER_BACKUP_KEY_FILE"] = KeyFile,
        ["PGHOST"] = "127.0.0.1", ["PGPORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["PGUSER"] = "postgres",
        ["CALLCENTER_PG_BIN"] = PostgresTools.BinDirectory(),
    };

    public static async Task<DrillCluster> StartAsync(CancellationToken ct)
    {
        var cluster = new DrillCluster(Directory.CreateTempSubdirectory("callcenter-backup-test-").FullName);
        await cluster.InitAsync(ct);
        return cluster;
    }

    private async Task InitAsync(CancellationToken ct)
    {
        foreach (var dir in new[] { Backups, Offsite, Recordings, Scripts, Path.Combine(Root, "run") }) Directory.CreateDirectory(dir);
        foreach (var script in Directory.GetFiles(RepositoryScripts())) File.Copy(script, Path.Combine(Scripts, Path.GetFileName(script)));
        await File.WriteAllTextAsync(KeyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)), ct);
        PostgresTools.LetPostgresReach(Root);
        await PostgresTools.GiveToPostgresAsync(Root, ct);
        Must(await PostgresTools.RunAsync(Path.Combine(_bin, "initdb"),
            ["-D", Data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--wal-segsize=1"], ct, asPostgres: true), "initdb");
        Port = PostgresTools.FreePort();
        var archive = string.Join(' ', BackupEnvironment.Where(e => e.Key.StartsWith("CALLCENTER_BACKUP", StringComparison.Ordinal)).Select(e => $"{e.Key}={e.Value}"))
            + $" bash {Scripts}/wal-archive.sh %p %f";
        await File.AppendAllLinesAsync(Path.Combine(Data, "postgresql.auto.conf"),
        [
            $"port = {Port}", "listen_addresses = '127.0.0.1'", $"unix_socket_directories = '{Root}/run'",
            "wal_level = replica", "archive_mode = on", $"archive_command = '{archive}'", "max_wal_senders = 3",
            "shared_buffers = '32MB'", "max_connections = 30", "fsync = off", "synchronous_commit = off",
        ], ct);
        Must(await PostgresTools.RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Data, "-l", Path.Combine(Root, "primary.log"), "-w", "start"], ct, asPostgres: true), "pg_ctl start");
        await using (var admin = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres"))
        {
            await admin.OpenAsync(ct);
            await using var create = new NpgsqlCommand("CREATE DATABASE callcenter", admin);
            await create.ExecuteNonQueryAsync(ct);
        }
        DataSource = DataExtensions.CreateDataSource($"Host=127.0.0.1;Port={Port};Username=postgres;Database=callcenter");
        var options = new DbContextOptionsBuilder<CallCenterDbContext>();
        DataExtensions.Configure(options, DataSource);
        await using var db = new CallCenterDbContext(options.Options);
        await db.Database.MigrateAsync(ct);
    }

    /// <summary>Appends <paramref name="calls"/> calls of three events each through the production append function.</summary>
    public async Task AddCallsAsync(string prefix, int calls, CancellationToken ct)
    {
        var sids = new List<string>();
        var types = new List<string>();
        var keys = new List<string>();
        var times = new List<DateTimeOffset>();
        var payloads = new List<string>();
        for (var c = 0; c < calls; c++)
            foreach (var type in new[] { "call.started", "ivr.step", "call.ended" })
            {
                sids.Add($"CA{prefix}{c:D6}");
                types.Add(type);
                keys.Add(type);
                times.Add(DateTimeOffset.UtcNow);
                payloads.Add($$"""{"n":{{c}}}""");
            }
        await using var cmd = DataSource.CreateCommand("SELECT count(*) FROM append_call_events(@s, @t, @k, @at, @p)");
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("s", [.. sids]));
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("t", [.. types]));
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("k", [.. keys]));
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("at", [.. times]));
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("p", [.. payloads]));
        await cmd.ExecuteScalarAsync(ct);
    }

    /// <summary>Seals <paramref name="count"/> random recordings into the store and catalogues them, numbered without gaps.</summary>
    public async Task AddRecordingsAsync(int count, CancellationToken ct)
    {
        var storage = new LocalFolderArchiveStorage(Recordings);
        var keys = new ArchiveKeyRing(Archive);
        var options = new DbContextOptionsBuilder<CallCenterDbContext>();
        DataExtensions.Configure(options, DataSource);
        await using var db = new CallCenterDbContext(options.Options);
        for (var i = 0; i < count; i++)
        {
            var number = _nextRecording++;
            var sid = $"RE{number:D32}";
            var key = $"2026/11/27/{sid}.ccrec";
            var dataKey = RecordingEnvelope.NewDataKey();
            SealedRecording sealedFile;
            await using (var write = await storage.CreateAsync(key, ct))
            {
                sealedFile = await RecordingEnvelope.SealAsync(new MemoryStream(RandomNumberGenerator.GetBytes(20_000 + number)), write.Content, dataKey, ct);
                await write.CommitAsync(ct);
            }
            var (keyId, wrapped) = keys.Wrap(dataKey, sid);
            db.ArchivedRecordings.Add(new ArchivedRecording
            {
                ArchiveNumber = number, RecordingSid = sid, CallSid = $"CA{number:D32}", Category = "Service", CallStartedAt = DateTimeOffset.UtcNow,
                DurationSeconds = 60, Channels = 2, SizeBytes = sealedFile.PlaintextBytes, StoredBytes = sealedFile.StoredBytes, Sha256 = sealedFile.Sha256,
                KeyId = keyId, WrappedDataKey = wrapped, StorageKey = key, RetentionRule = "test", RetainUntil = DateTimeOffset.UtcNow.AddYears(5),
                ArchivedAt = DateTimeOffset.UtcNow,
            });
        }
        await db.SaveChangesAsync(ct);
    }

    /// <summary>infra/backup/base-backup.sh, as the postgres account would run it from cron.</summary>
    public async Task BaseBackupAsync(CancellationToken ct) =>
        Must(await PostgresTools.RunAsync("bash", [Path.Combine(Scripts, "base-backup.sh")], ct, asPostgres: true, BackupEnvironment), "base-backup.sh");

    /// <summary>The database's clock now: a recovery target between two batches.</summary>
    public async Task<DateTimeOffset> NowAsync(CancellationToken ct)
    {
        await using var cmd = DataSource.CreateCommand("SELECT clock_timestamp()");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return r.GetFieldValue<DateTimeOffset>(0);
    }

    /// <summary>Closes the current WAL segment and waits until the archiver has stored it.</summary>
    public async Task ArchiveCurrentWalAsync(CancellationToken ct)
    {
        await using var sw = DataSource.CreateCommand("SELECT pg_walfile_name(pg_switch_wal())");
        var segment = (string)(await sw.ExecuteScalarAsync(ct))!;
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            await using var cmd = DataSource.CreateCommand("SELECT coalesce(last_archived_wal, ''), failed_count, coalesce(last_failed_wal, '') FROM pg_stat_archiver");
            await using var r = await cmd.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            if (string.CompareOrdinal(r.GetString(0), segment) >= 0) return;
            await Task.Delay(100, ct);
        }
        throw new TimeoutException($"WAL segment {segment} was not archived within 60 s; see {Root}/primary.log");
    }

    /// <summary>A copy of the backup locations (or the recording store) that a test may damage.</summary>
    public async Task<string> CopyAsync(string folder, CancellationToken ct)
    {
        var copy = Path.Combine(Root, "copy-" + Guid.NewGuid().ToString("N")[..8]);
        Must(await PostgresTools.RunAsync("cp", ["-a", folder, copy], ct), "cp");
        return copy;
    }

    public RestoreDrillOptions DrillOptions(DateTimeOffset? target, string? backups = null, string? offsite = null, IReadOnlyList<string>? stores = null) => new()
    {
        BackupDirectory = backups ?? Backups, CopyDirectory = offsite ?? Offsite, KeyFile = KeyFile, ScriptsDirectory = RepositoryScripts(),
        TargetTime = target, RecordingStores = stores ?? [Recordings], Archive = Archive, RecoveryTimeout = TimeSpan.FromSeconds(60),
        WorkDirectory = Path.Combine(Root, "drill-" + Guid.NewGuid().ToString("N")[..8]),
    };

    private static void Must(ToolResult result, string what)
    {
        if (!result.Succeeded) throw new InvalidOperationException($"{what} failed ({result.ExitCode}): {result.Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (DataSource is not null) await DataSource.DisposeAsync();
        await PostgresTools.RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Data, "-m", "immediate", "stop"], CancellationToken.None, asPostgres: true);
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
