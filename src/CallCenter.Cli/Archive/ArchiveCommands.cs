using System.CommandLine;
using CallCenter.Core.Archive;
using CallCenter.Server.Archive;
using CallCenter.Server.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace CallCenter.Cli.Archive;

/// <summary>
/// `callcenter archive verify | export | retention`: the recording archive from the operator's shell, with the
/// server's own settings (environment Archive__*, master keys included) and the same audit as the web console.
/// </summary>
internal static class ArchiveCommands
{
    public static Command Create() => new("archive", "The recording archive: integrity, exports, retention.")
    {
        Verify(), Export(), Retention(),
    };

    private static ArchiveOptions Settings()
    {
        var options = new ArchiveOptions();
        new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection(ArchiveOptions.SectionName).Bind(options);
        return options;
    }

    private static Command Verify()
    {
        var connection = CliOptions.Connection();
        var command = new Command("verify", "Re-read every archived file (hash, decryption) and the call-log hash chain; exit 1 on any problem.") { connection };
        command.SetAction(async (parse, ct) =>
        {
            if (CliOptions.RequireConnection(parse, connection) is not { } cs) return 2;
            var settings = Settings();
            await using var dataSource = DataExtensions.CreateDataSource(cs);
            var check = new ArchiveIntegrityCheck(dataSource, new LocalFolderArchiveStorage(settings.StorageDirectory), new ArchiveKeyRing(settings),
                NullLogger<ArchiveIntegrityCheck>.Instance);
            var report = await check.RunAsync(ct);
            foreach (var p in report.Problems) Console.Error.WriteLine($"{p.Kind.ToUpperInvariant()}: recording #{p.ArchiveNumber} ({p.RecordingSid}): {p.Detail}");
            if (report.CallLog.FirstViolation is { } broken) Console.Error.WriteLine($"BROKEN: {broken}");
            if (!report.Healthy)
            {
                Console.Error.WriteLine($"{report.Problems.Count} of {report.RecordingsChecked} recordings failed; call log {(report.CallLog.FirstViolation is null ? "intact" : "broken")}.");
                return 1;
            }
            Console.WriteLine($"OK: {report.RecordingsChecked} recordings verified, {report.CallLog.EventsChecked} call events chained.");
            return 0;
        });
        return command;
    }

    private static Command Export()
    {
        var connection = CliOptions.Connection();
        var call = new Option<string>("--call") { Description = "The CallSid whose recordings to export.", Required = true };
        var requester = new Option<string>("--as") { Description = "Work number of the QA staff member or supervisor asking (written into the file names and the access log).", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write the WAV files to.", Required = true };
        var command = new Command("export", "Decrypt a call's recordings to WAV files named after the requester; every file is in the access log.")
        {
            connection, call, requester, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (CliOptions.RequireConnection(parse, connection) is not { } cs) return 2;
            var settings = Settings();
            await using var dataSource = DataExtensions.CreateDataSource(cs);
            var callSid = parse.GetValue(call)!;
            var who = parse.GetValue(requester)!;
            var folder = parse.GetValue(output)!;
            var now = DateTimeOffset.UtcNow;
            var role = await RoleOfAsync(dataSource, who, ct);
            if (role is not ("Quality" or "Supervisor"))
            {
                await AuditAsync(dataSource, now, who, role, null, callSid, "refused", null, ct);
                Console.Error.WriteLine($"error: {who} is not an active QA staff member or supervisor; the attempt has been recorded.");
                return 3;
            }
            var storage = new LocalFolderArchiveStorage(settings.StorageDirectory);
            var keys = new ArchiveKeyRing(settings);
            var rows = await LiveRecordingsAsync(dataSource, callSid, ct);
            if (rows.Count == 0)
            {
                await AuditAsync(dataSource, now, who, role, null, callSid, "missing", null, ct);
                Console.Error.WriteLine($"error: no archived recording of call {callSid}.");
                return 1;
            }
            folder.Create();
            foreach (var row in rows)
            {
                var name = RecordingAccess.WatermarkedName(row, who, now);
                await using var file = await storage.OpenReadAsync(row.StorageKey!, ct);
                if (file is null)
                {
                    await AuditAsync(dataSource, now, who, role, row.ArchiveNumber, callSid, "missing", "file missing", ct);
                    Console.Error.WriteLine($"error: recording #{row.ArchiveNumber} has no file; run `archive verify`.");
                    return 1;
                }
                // Audited before the first byte is written, as in the web console.
                await AuditAsync(dataSource, now, who, role, row.ArchiveNumber, callSid, "allowed", name, ct);
                await using var audio = new RecordingDecryptStream(file, keys.Unwrap(row.KeyId, row.WrappedDataKey!, row.RecordingSid));
                var path = Path.Combine(folder.FullName, name);
                await using (var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                    await audio.CopyToAsync(target, ct);
                Console.WriteLine(path);
            }
            return 0;
        });
        return command;
    }

    private static Command Retention()
    {
        var connection = CliOptions.Connection();
        var dryRun = new Option<bool>("--dry-run") { Description = "Only count and list what the sweep would destroy." };
        var at = new Option<DateTimeOffset?>("--at") { Description = "Sweep as of this instant (default: now); with --dry-run, to see what a later date would destroy." };
        var command = new Command("retention", "Run the retention sweep: destroy recordings past their date that no legal hold covers.") { connection, dryRun, at };
        command.SetAction(async (parse, ct) =>
        {
            if (CliOptions.RequireConnection(parse, connection) is not { } cs) return 2;
            var settings = Settings();
            var now = parse.GetValue(at) ?? DateTimeOffset.UtcNow;
            if (!parse.GetValue(dryRun) && now > DateTimeOffset.UtcNow.AddMinutes(1))
            {
                Console.Error.WriteLine("error: --at in the future destroys recordings early; only with --dry-run.");
                return 2;
            }
            await using var dataSource = DataExtensions.CreateDataSource(cs);
            var sweep = new RetentionSweep(dataSource, new LocalFolderArchiveStorage(settings.StorageDirectory), NullLogger<RetentionSweep>.Instance);
            var report = await sweep.RunAsync(now, parse.GetValue(dryRun), settings.SweepBatchSize, ct);
            var verb = report.DryRun ? "would destroy" : "destroyed";
            Console.WriteLine($"{(report.DryRun ? "DRY RUN" : "SWEPT")} at {now:o}: {verb} {report.Destroyed} recordings; {report.HeldBack} past their date kept by legal holds; {report.FilesDeleted} files deleted.");
            if (report.SampleArchiveNumbers.Count > 0)
                Console.WriteLine($"archive numbers{(report.Destroyed > report.SampleArchiveNumbers.Count ? " (first 100)" : "")}: {string.Join(", ", report.SampleArchiveNumbers)}");
            return 0;
        });
        return command;
    }

    private static async Task<string?> RoleOfAsync(NpgsqlDataSource dataSource, string workNumber, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT role FROM staff_members WHERE work_number = @w AND NOT disabled");
        cmd.Parameters.AddWithValue("w", workNumber);
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    private static async Task<List<ArchivedRecording>> LiveRecordingsAsync(NpgsqlDataSource dataSource, string callSid, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT archive_number, recording_sid, key_id, wrapped_data_key, storage_key, sha256, category, retention_rule
            FROM archived_recordings WHERE call_sid = @call AND destroyed_at IS NULL ORDER BY archive_number
            """);
        cmd.Parameters.AddWithValue("call", callSid);
        var rows = new List<ArchivedRecording>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            rows.Add(new ArchivedRecording
            {
                ArchiveNumber = r.GetInt64(0), RecordingSid = r.GetString(1), CallSid = callSid, KeyId = r.GetString(2),
                WrappedDataKey = (byte[])r[3], StorageKey = r.GetString(4), Sha256 = (byte[])r[5], Category = r.GetString(6), RetentionRule = r.GetString(7),
            });
        return rows;
    }

    private static async Task AuditAsync(NpgsqlDataSource dataSource, DateTimeOffset now, string who, string? role, long? archiveNumber,
        string callSid, string result, string? details, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO recording_access_log (occurred_at, work_number, role, action, archive_number, call_sid, result, remote_address, user_agent, details)
            VALUES (@at, @who, @role, 'export', @number, @call, @result, @from, 'callcenter-cli', @details)
            """);
        cmd.Parameters.AddWithValue("at", now);
        cmd.Parameters.AddWithValue("who", who);
        cmd.Parameters.Add(new NpgsqlParameter("role", NpgsqlTypes.NpgsqlDbType.Varchar) { Value = (object?)role ?? DBNull.Value });
        cmd.Parameters.Add(new NpgsqlParameter("number", NpgsqlTypes.NpgsqlDbType.Bigint) { Value = (object?)archiveNumber ?? DBNull.Value });
        cmd.Parameters.AddWithValue("call", callSid);
        cmd.Parameters.AddWithValue("result", result);
        cmd.Parameters.AddWithValue("from", $"cli@{Environment.MachineName}/{Environment.UserName}");
        cmd.Parameters.Add(new NpgsqlParameter("details", NpgsqlTypes.NpgsqlDbType.Varchar) { Value = (object?)details ?? DBNull.Value });
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
