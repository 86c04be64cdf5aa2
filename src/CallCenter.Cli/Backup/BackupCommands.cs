using System.CommandLine;
using System.Text.Json;
using CallCenter.Server.Archive;
using CallCenter.Server.Backup;
using CallCenter.Server.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace CallCenter.Cli.Backup;

/// <summary>
/// `callcenter backup drill | replicate-recordings`. Backups themselves are taken by infra/backup's scripts
/// (pg_basebackup and archive_command run beside PostgreSQL, as its account); the drill is here because its checks
/// are the application's own (call-log chain, recording catalogue), shared with `archive verify`.
/// </summary>
internal static class BackupCommands
{
    public static Command Create() => new("backup", "Backups: the restore drill and the recording archive's second store.") { Drill(), Replicate() };

    private static ArchiveOptions ArchiveSettings()
    {
        var options = new ArchiveOptions();
        new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection(ArchiveOptions.SectionName).Bind(options);
        return options;
    }

    private static Command Drill()
    {
        var backupDir = new Option<string>("--backup-dir") { DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CALLCENTER_BACKUP_DIR") ?? "", Description = "First backup location (default: CALLCENTER_BACKUP_DIR)." };
        var copyDir = new Option<string?>("--copy-dir") { DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CALLCENTER_BACKUP_COPY_DIR"), Description = "Second location, read when the first lacks a WAL file (default: CALLCENTER_BACKUP_COPY_DIR)." };
        var keyFile = new Option<string>("--key-file") { DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CALLCENTER_BACKUP_KEY_FILE") ?? "", Description = "Backup passphrase file (default: CALLCENTER_BACKUP_KEY_FILE)." };
        var target = new Option<DateTimeOffset?>("--target-time") { Description = "Replay WAL to this instant (ISO 8601); default: everything archived." };
        var database = new Option<string>("--database") { DefaultValueFactory = _ => "callcenter", Description = "Database to check in the restored cluster." };
        var stores = new Option<string[]>("--recordings") { AllowMultipleArgumentsPerToken = true, Description = "Recording stores to check against the restored catalogue (default: Archive__StorageDirectory and Archive__Replica__Directory)." };
        var keep = new Option<bool>("--keep") { Description = "Leave the restored cluster running for inspection." };
        var json = new Option<FileInfo?>("--json") { Description = "Write the report as JSON here." };
        var command = new Command("drill", "Restore the newest base backup into a fresh local cluster, replay WAL to a point in time, check row counts, the call-log chain and every recording; exit 1 on any problem.")
        {
            backupDir, copyDir, keyFile, target, database, stores, keep, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (string.IsNullOrEmpty(parse.GetValue(backupDir)) || string.IsNullOrEmpty(parse.GetValue(keyFile)))
            {
                Console.Error.WriteLine("error: --backup-dir and --key-file (or CALLCENTER_BACKUP_DIR, CALLCENTER_BACKUP_KEY_FILE) are required.");
                return 2;
            }
            var archive = ArchiveSettings();
            var recordingStores = parse.GetValue(stores) is { Length: > 0 } given ? given
                : new[] { Environment.GetEnvironmentVariable("Archive__StorageDirectory"), Environment.GetEnvironmentVariable("Archive__Replica__Directory") }
                    .Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToArray();
            var report = await new RestoreDrill(new RestoreDrillOptions
            {
                BackupDirectory = parse.GetValue(backupDir)!, CopyDirectory = parse.GetValue(copyDir), KeyFile = parse.GetValue(keyFile)!,
                ScriptsDirectory = Path.Combine(AppContext.BaseDirectory, "backup"), TargetTime = parse.GetValue(target),
                Database = parse.GetValue(database)!, Keep = parse.GetValue(keep), RecordingStores = recordingStores, Archive = archive,
            }).RunAsync(ct);
            if (parse.GetValue(json) is { } file) await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(report, JsonSerializerOptions.Web), ct);
            Print(report);
            return report.Passed ? 0 : 1;
        });
        return command;
    }

    private static void Print(RestoreDrillReport report)
    {
        Console.WriteLine($"base backup {report.BaseBackup ?? "-"}, target {report.TargetTime?.ToString("o") ?? "end of archive"}");
        Console.WriteLine($"restore {report.RestoreSeconds:F1} s, WAL replay {report.RecoverySeconds:F1} s, checks {report.CheckSeconds:F1} s");
        foreach (var (table, rows) in report.RowCounts) Console.WriteLine($"  {table,-32} {rows,12}");
        Console.WriteLine($"call events chained: {report.EventsChained}; recordings checked: {report.RecordingsChecked}");
        if (report.Port is { } port) Console.WriteLine($"restored cluster left running on 127.0.0.1:{port} ({report.WorkDirectory})");
        foreach (var problem in report.Problems) Console.Error.WriteLine($"PROBLEM: {problem}");
        Console.WriteLine(report.Passed ? "DRILL PASSED" : $"DRILL FAILED: {report.Problems.Count} problem(s)");
    }

    private static Command Replicate()
    {
        var connection = CliOptions.Connection();
        var replica = new Option<string?>("--replica") { DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Archive__Replica__Directory"), Description = "The second store's folder (default: Archive__Replica__Directory)." };
        var command = new Command("replicate-recordings", "Copy recordings the second store lacks, then verify every file there; exit 1 when one cannot be made sound.") { connection, replica };
        command.SetAction(async (parse, ct) =>
        {
            if (CliOptions.RequireConnection(parse, connection) is not { } cs) return 2;
            if (parse.GetValue(replica) is not { Length: > 0 } folder)
            {
                Console.Error.WriteLine("error: no second store: pass --replica or set Archive__Replica__Directory.");
                return 2;
            }
            var settings = ArchiveSettings();
            await using var dataSource = DataExtensions.CreateDataSource(cs);
            var report = await new RecordingReplicator(dataSource, new LocalFolderArchiveStorage(settings.StorageDirectory), folder, new ArchiveKeyRing(settings),
                NullLogger.Instance).RunAsync(ct);
            foreach (var p in report.Problems) Console.Error.WriteLine($"PROBLEM: {p}");
            Console.WriteLine($"{(report.Healthy ? "OK" : "FAILED")}: {report.Copied} copied, {report.Repaired} repaired, {report.Verified} verified in {folder}.");
            return report.Healthy ? 0 : 1;
        });
        return command;
    }
}
