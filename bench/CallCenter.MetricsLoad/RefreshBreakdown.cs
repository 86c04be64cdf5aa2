using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace CallCenter.MetricsLoad;

/// <summary>
/// Where one refresh's wall time went, from the kernel's and PostgreSQL's own counters: the worker's CPU, the PostgreSQL
/// backends' CPU, the commits' wait, the WAL flushes, checkpoints and what else ran on the machine. On two shared cores a
/// wall-clock figure alone cannot say whether a slow refresh did more work or waited for something else.
/// </summary>
internal sealed class RefreshBreakdown(NpgsqlDataSource dataSource)
{
    /// <summary>Sums the commits' wall time of every context that adds it (one per refresh in the bench).</summary>
    public CommitTimer Commits { get; } = new();

    public async Task<Snapshot> TakeAsync()
    {
        // Backends of this database (the worker's connections) and the cluster's writers, by kind.
        var backends = new List<int>();
        var writers = new List<int>();
        await using (var cmd = dataSource.CreateCommand("""
            SELECT pid, backend_type = 'client backend' AND datname = current_database() FROM pg_stat_activity
            WHERE (backend_type = 'client backend' AND datname = current_database())
               OR backend_type IN ('checkpointer', 'walwriter', 'background writer')
            """))
        await using (var reader = await cmd.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) (reader.GetBoolean(1) ? backends : writers).Add(reader.GetInt32(0));
        }
        await using var stats = dataSource.CreateCommand("""
            SELECT w.wal_bytes::bigint, w.wal_fpi, w.wal_write, w.wal_sync, w.wal_write_time, w.wal_sync_time,
                b.checkpoints_timed + b.checkpoints_req, b.buffers_checkpoint, b.buffers_backend + b.buffers_clean
            FROM pg_stat_wal w, pg_stat_bgwriter b
            """);
        await using var r = await stats.ExecuteReaderAsync();
        await r.ReadAsync();
        return new Snapshot(
            ThreadsNs(Environment.ProcessId),
            backends.ToDictionary(p => p, ProcessNs), writers.Sum(ProcessNs), MachineTicks(),
            r.GetInt64(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetDouble(4), r.GetDouble(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8),
            GC.GetTotalPauseDuration(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), Commits.Total);
    }

    /// <summary>One refresh: the differences between the snapshots around it.</summary>
    public static string Describe(Snapshot before, Snapshot after, double wallMs)
    {
        var backendMs = after.BackendNs.Sum(b => b.Value - before.BackendNs.GetValueOrDefault(b.Key)) / 1e6;
        var workerMs = (after.WorkerNs - before.WorkerNs) / 1e6;
        var writersMs = (after.WritersNs - before.WritersNs) / 1e6;
        var (busy, steal) = after.Machine.Since(before.Machine);
        var otherMs = busy - workerMs - backendMs - writersMs;
        return string.Create(CultureInfo.InvariantCulture,
            $"wall {wallMs:F0} ms: worker CPU {workerMs:F0} (GC pauses {(after.GcPause - before.GcPause).TotalMilliseconds:F0} in "
            + $"{after.Gen0 - before.Gen0}/{after.Gen1 - before.Gen1}/{after.Gen2 - before.Gen2} collections of gen 0/1/2), "
            + $"PostgreSQL backends CPU {backendMs:F0}, commit {(after.Commits - before.Commits).TotalMilliseconds:F1}; "
            + $"WAL {(after.WalBytes - before.WalBytes) / 1048576.0:F1} MB ({after.WalFpi - before.WalFpi} full pages) in {after.WalWrites - before.WalWrites} writes "
            + $"({after.WalWriteMs - before.WalWriteMs:F1} ms) and {after.WalSyncs - before.WalSyncs} flushes ({after.WalSyncMs - before.WalSyncMs:F1} ms); "
            + $"checkpoints begun {after.Checkpoints - before.Checkpoints}, buffers written by checkpointer {after.CheckpointBuffers - before.CheckpointBuffers}, "
            + $"by backends/bgwriter {after.OtherBuffersWritten - before.OtherBuffersWritten}; writers' CPU {writersMs:F0}; "
            + $"rest of machine {otherMs:F0} ms CPU, steal {steal:F0} ms");
    }

    public sealed record Snapshot(long WorkerNs, Dictionary<int, long> BackendNs, long WritersNs, MachineCpu Machine,
        long WalBytes, long WalFpi, long WalWrites, long WalSyncs, double WalWriteMs, double WalSyncMs,
        long Checkpoints, long CheckpointBuffers, long OtherBuffersWritten, TimeSpan GcPause, int Gen0, int Gen1, int Gen2, TimeSpan Commits);

    /// <summary>All cores' busy and stolen time, in milliseconds (USER_HZ ticks, 10 ms each).</summary>
    public sealed record MachineCpu(long BusyTicks, long StealTicks)
    {
        public (double BusyMs, double StealMs) Since(MachineCpu earlier) =>
            ((BusyTicks - earlier.BusyTicks) * 10.0, (StealTicks - earlier.StealTicks) * 10.0);
    }

    private static MachineCpu MachineTicks()
    {
        // cpu user nice system idle iowait irq softirq steal ...
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(long.Parse).ToArray();
        return new MachineCpu(f[0] + f[1] + f[2] + f[5] + f[6], f[7]);
    }

    /// <summary>Nanoseconds on a CPU (schedstat's first field) of a single-threaded process such as a PostgreSQL backend.</summary>
    private static long ProcessNs(int pid) => ReadNs($"/proc/{pid}/schedstat");

    private static long ThreadsNs(int pid) =>
        Directory.EnumerateDirectories($"/proc/{pid}/task").Sum(t => ReadNs(Path.Combine(t, "schedstat")));

    private static long ReadNs(string path)
    {
        try
        {
            return long.Parse(File.ReadAllText(path).Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0; // the process or thread ended in between
        }
    }

    public sealed class CommitTimer : DbTransactionInterceptor
    {
        private long _ticks;

        public TimeSpan Total => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

        public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Interlocked.Add(ref _ticks, eventData.Duration.Ticks);
            return Task.CompletedTask;
        }
    }
}
