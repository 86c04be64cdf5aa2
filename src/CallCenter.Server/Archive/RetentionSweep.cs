using Npgsql;

namespace CallCenter.Server.Archive;

/// <summary>What a sweep did (or, dry, would do): recordings destroyed, and those past their date but under legal hold.</summary>
public sealed record RetentionSweepReport(DateTimeOffset At, bool DryRun, long Destroyed, long HeldBack, long FilesDeleted,
    IReadOnlyList<long> SampleArchiveNumbers);

/// <summary>
/// Destroys recordings past their retention date that no active legal hold covers: set-based, in batches, the
/// data key first (crypto-shredding: from that moment the file is unreadable), then the file. The row stays as a
/// tombstone saying when and under which rule. A file whose deletion failed is retried by the next sweep.
/// </summary>
public sealed class RetentionSweep(NpgsqlDataSource dataSource, IArchiveStorage storage, ILogger<RetentionSweep> logger)
{
    /// <summary>The predicate of "may be destroyed now"; shared by the sweep, the dry run and the benchmark.</summary>
    public const string ExpiredAndNotHeld = """
        r.destroyed_at IS NULL AND r.retain_until <= @now
        AND NOT EXISTS (SELECT 1 FROM legal_hold_calls hc JOIN legal_holds h ON h.id = hc.hold_id
                        WHERE hc.call_sid = r.call_sid AND h.released_at IS NULL)
        """;

    /// <summary>One batch: destroys up to @batch expired, unheld recordings and returns their numbers and files.</summary>
    public const string DestroyBatchSql = $"""
        WITH expired AS (
            SELECT r.archive_number FROM archived_recordings r
            WHERE {ExpiredAndNotHeld}
            ORDER BY r.retain_until
            LIMIT @batch
            FOR UPDATE SKIP LOCKED)
        UPDATE archived_recordings r
        SET wrapped_data_key = NULL, destroyed_at = @now, destroyed_under = r.retention_rule
        FROM expired
        WHERE r.archive_number = expired.archive_number
        RETURNING r.archive_number, r.storage_key
        """;

    public async Task<RetentionSweepReport> RunAsync(DateTimeOffset now, bool dryRun, int batchSize, CancellationToken ct)
    {
        var heldBack = await CountAsync($"""
            SELECT count(*) FROM archived_recordings r
            WHERE r.destroyed_at IS NULL AND r.retain_until <= @now
              AND EXISTS (SELECT 1 FROM legal_hold_calls hc JOIN legal_holds h ON h.id = hc.hold_id
                          WHERE hc.call_sid = r.call_sid AND h.released_at IS NULL)
            """, now, ct);
        if (dryRun)
        {
            var wouldDestroy = await CountAsync($"SELECT count(*) FROM archived_recordings r WHERE {ExpiredAndNotHeld}", now, ct);
            var sample = new List<long>();
            await using var cmd = dataSource.CreateCommand($"SELECT r.archive_number FROM archived_recordings r WHERE {ExpiredAndNotHeld} ORDER BY r.retain_until LIMIT 100");
            cmd.Parameters.AddWithValue("now", now);
            await using (var r = await cmd.ExecuteReaderAsync(ct))
                while (await r.ReadAsync(ct)) sample.Add(r.GetInt64(0));
            return new RetentionSweepReport(now, true, wouldDestroy, heldBack, 0, sample);
        }

        long destroyed = 0;
        var destroyedSample = new List<long>();
        while (true)
        {
            var batch = new List<(long Number, string? Key)>();
            await using (var cmd = dataSource.CreateCommand(DestroyBatchSql))
            {
                cmd.Parameters.AddWithValue("now", now);
                cmd.Parameters.AddWithValue("batch", batchSize);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) batch.Add((r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1)));
            }
            destroyed += batch.Count;
            destroyedSample.AddRange(batch.Take(100 - destroyedSample.Count).Select(b => b.Number));
            if (batch.Count < batchSize) break;
        }
        var filesDeleted = await DeleteDestroyedFilesAsync(ct);
        logger.LogInformation("Retention sweep at {Now:o}: {Destroyed} recordings destroyed, {HeldBack} held back by legal holds, {Files} files deleted",
            now, destroyed, heldBack, filesDeleted);
        return new RetentionSweepReport(now, false, destroyed, heldBack, filesDeleted, destroyedSample);
    }

    /// <summary>Deletes the files of destroyed recordings (this sweep's, and any an earlier sweep failed to delete).</summary>
    private async Task<long> DeleteDestroyedFilesAsync(CancellationToken ct)
    {
        long deleted = 0;
        while (true)
        {
            var batch = new List<(long Number, string Key)>();
            await using (var cmd = dataSource.CreateCommand(
                "SELECT archive_number, storage_key FROM archived_recordings WHERE destroyed_at IS NOT NULL AND storage_key IS NOT NULL ORDER BY destroyed_at LIMIT 1000"))
            {
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) batch.Add((r.GetInt64(0), r.GetString(1)));
            }
            if (batch.Count == 0) return deleted;
            var done = new List<long>();
            foreach (var (number, key) in batch)
            {
                try
                {
                    await storage.DeleteAsync(key, ct);
                    done.Add(number);
                }
                catch (IOException ex)
                {
                    logger.LogError(ex, "Could not delete the file of destroyed recording #{ArchiveNumber}; its key is already gone, the next sweep retries", number);
                }
            }
            await using (var mark = dataSource.CreateCommand("UPDATE archived_recordings SET storage_key = NULL WHERE archive_number = ANY(@numbers)"))
            {
                mark.Parameters.AddWithValue("numbers", done.ToArray());
                await mark.ExecuteNonQueryAsync(ct);
            }
            deleted += done.Count;
            if (done.Count < batch.Count) return deleted; // failures stay for the next sweep rather than looping here
        }
    }

    private async Task<long> CountAsync(string sql, DateTimeOffset now, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.AddWithValue("now", now);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
