using System.Diagnostics;
using CallCenter.Server.Archive;
using CallCenter.Server.Scheduling;
using CallCenter.Server.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CallCenter.Server.Backup;

/// <summary>The recording archive's second store (section "Archive:Replica").</summary>
public sealed class RecordingReplicaOptions
{
    public const string SectionName = "Archive:Replica";

    /// <summary>Folder of the second store (another volume or site); replication is off while it is unset.</summary>
    public string? Directory { get; set; }

    /// <summary>How often new recordings are copied and the whole replica is verified.</summary>
    public TimeSpan Every { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>What one replication run did and what the verification of the replica found.</summary>
public sealed record ReplicationReport(int Copied, int Repaired, long Verified, IReadOnlyList<string> Problems)
{
    public bool Healthy => Problems.Count == 0;
}

/// <summary>
/// Copies every live catalogued recording that the second store lacks (or holds at another size), then verifies
/// the second store on its own: every file opens with its data key and hashes to the catalogued SHA-256 (the same
/// check as the first store's, <see cref="ArchiveIntegrityCheck"/>). A replica file that fails is copied again from
/// the first store when that one is sound; what cannot be repaired is reported.
/// </summary>
public sealed class RecordingReplicator(NpgsqlDataSource dataSource, IArchiveStorage primary, string replicaRoot, ArchiveKeyRing keys, ILogger logger)
{
    public async Task<ReplicationReport> RunAsync(CancellationToken ct)
    {
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("archive.replicate");
        var replica = new LocalFolderArchiveStorage(replicaRoot);
        var copied = 0;
        var problems = new List<string>();
        foreach (var (number, key) in await LiveFilesAsync(ct))
        {
            var target = Path.Combine(replicaRoot, key);
            await using var source = await primary.OpenReadAsync(key, ct);
            if (source is null)
            {
                problems.Add($"recording #{number}: no file at {key} in the first store to copy");
                continue;
            }
            if (File.Exists(target) && new FileInfo(target).Length == source.Length) continue;
            await CopyAsync(source, replica, key, ct);
            copied++;
        }

        var check = new ArchiveIntegrityCheck(dataSource, replica, keys, NullLogger<ArchiveIntegrityCheck>.Instance);
        var verified = await check.RunAsync(ct);
        var repaired = 0;
        foreach (var problem in verified.Problems)
        {
            var key = await StorageKeyAsync(problem.ArchiveNumber, ct);
            await using var source = key is null ? null : await primary.OpenReadAsync(key, ct);
            if (source is null)
            {
                problems.Add($"recording #{problem.ArchiveNumber} ({problem.RecordingSid}): replica {problem.Kind}: {problem.Detail}; the first store has no copy either");
                continue;
            }
            await replica.DeleteAsync(key!, ct);
            await CopyAsync(source, replica, key!, ct);
            repaired++;
            logger.LogWarning("Recording #{ArchiveNumber} was {Kind} in the replica ({Detail}); copied again", problem.ArchiveNumber, problem.Kind, problem.Detail);
        }
        if (repaired > 0)
        {
            var again = await check.RunAsync(ct);
            problems.AddRange(again.Problems.Select(p => $"recording #{p.ArchiveNumber} ({p.RecordingSid}): replica still {p.Kind} after a fresh copy: {p.Detail}"));
        }
        activity?.SetTag("archive.replica.copied", copied);
        activity?.SetTag("archive.replica.problems", problems.Count);
        if (problems.Count > 0) activity?.SetStatus(ActivityStatusCode.Error, problems[0]);
        foreach (var p in problems) logger.LogError("Archive replica: {Problem}", p);
        return new ReplicationReport(copied, repaired, verified.RecordingsChecked, problems);
    }

    private static async Task CopyAsync(Stream source, LocalFolderArchiveStorage replica, string key, CancellationToken ct)
    {
        source.Position = 0;
        await using var write = await replica.CreateAsync(key, ct);
        await source.CopyToAsync(write.Content, ct);
        await write.CommitAsync(ct);
    }

    private async Task<List<(long Number, string Key)>> LiveFilesAsync(CancellationToken ct)
    {
        var rows = new List<(long, string)>();
        await using var cmd = dataSource.CreateCommand(
            "SELECT archive_number, storage_key FROM archived_recordings WHERE destroyed_at IS NULL AND storage_key IS NOT NULL ORDER BY archive_number");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) rows.Add((r.GetInt64(0), r.GetString(1)));
        return rows;
    }

    private async Task<string?> StorageKeyAsync(long number, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT storage_key FROM archived_recordings WHERE archive_number = @n");
        cmd.Parameters.AddWithValue("n", number);
        return await cmd.ExecuteScalarAsync(ct) as string;
    }
}

/// <summary>Runs the replicator every <see cref="RecordingReplicaOptions.Every"/> when a replica folder is configured, on one instance at a time.</summary>
public sealed class RecordingReplicaWorker(IServiceProvider services, ScheduledRuns runs, IOptions<RecordingReplicaOptions> options,
    IOptions<ArchiveOptions> archive, TimeProvider clock, ILogger<RecordingReplicaWorker> logger) : BackgroundService
{
    public const string JobName = "archive.replication";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.Directory is not { Length: > 0 } folder || !archive.Value.RunWorkers) return;
        var period = options.Value.Every;
        using var timer = new PeriodicTimer(ScheduledRuns.PollEvery(period), clock);
        do
        {
            try
            {
                await runs.RunIfDueAsync(JobName, period, ct => new RecordingReplicator(services.GetRequiredService<NpgsqlDataSource>(),
                    services.GetRequiredService<IArchiveStorage>(), folder, services.GetRequiredService<ArchiveKeyRing>(), logger).RunAsync(ct),
                    stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Archive replication failed; the next period retries");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

/// <summary>Registers the recording replica worker (Archive:Replica:Directory).</summary>
public static class BackupExtensions
{
    public static IServiceCollection AddRecordingReplica(this IServiceCollection services)
    {
        services.AddOptions<RecordingReplicaOptions>().BindConfiguration(RecordingReplicaOptions.SectionName);
        services.AddHostedService<RecordingReplicaWorker>();
        return services;
    }
}
