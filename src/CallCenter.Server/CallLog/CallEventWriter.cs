using System.Diagnostics;
using System.Threading.Channels;
using CallCenter.Core.CallLog;
using CallCenter.Server.Telemetry;
using Npgsql;
using NpgsqlTypes;

namespace CallCenter.Server.CallLog;

/// <summary>A call event a webhook or worker wants in the call log.</summary>
public sealed record NewCallEvent(string CallSid, string Type, string StepKey, DateTimeOffset OccurredAt, string PayloadJson);

/// <summary>What happened to an appended event: written now, or already there from an earlier delivery.</summary>
public sealed record AppendResult(long GlobalSeq, int CallSeq, bool Appended);

/// <summary>Appends events to the hash-chained call log; idempotent per (call, step).</summary>
public interface ICallEventLog
{
    Task<AppendResult> AppendAsync(NewCallEvent callEvent, CancellationToken cancellationToken);
}

/// <summary>
/// Single writer per process: callers enqueue, one loop writes whatever has gathered as one
/// transaction. The chain needs the previous row's hash, so writes are serialised by a PostgreSQL
/// advisory lock (across instances too); batching keeps that serialisation from capping throughput.
/// </summary>
public sealed class CallEventWriter(NpgsqlDataSource dataSource, CallCenterTelemetry telemetry, ILogger<CallEventWriter> logger)
    : BackgroundService, ICallEventLog
{
    // Arbitrary but fixed: the advisory lock id that guards the head of the chain.
    private const long ChainLockId = 0x43414C4C4C4F47;
    private const int MaxBatch = 512;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    private sealed record Pending(NewCallEvent Event, TaskCompletionSource<AppendResult> Completion);

    public Task<AppendResult> AppendAsync(NewCallEvent callEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(callEvent);
        var pending = new Pending(callEvent with { OccurredAt = CallEventHash.ToStoragePrecision(callEvent.OccurredAt) },
            new TaskCompletionSource<AppendResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
            throw new InvalidOperationException("The call log writer has stopped.");
        // The caller may stop waiting; the event is still written so a retry finds it.
        return pending.Completion.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(MaxBatch);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && reader.TryRead(out var item)) batch.Add(item);
                await WriteWithIsolationAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            _queue.Writer.TryComplete();
            while (reader.TryRead(out var left))
                left.Completion.TrySetException(new OperationCanceledException("The server is stopping."));
        }
    }

    // A failing batch is retried one event at a time so one bad event cannot fail its neighbours.
    private async Task WriteWithIsolationAsync(List<Pending> batch, CancellationToken ct)
    {
        try
        {
            await WriteBatchAsync(batch, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && batch.Count > 1)
        {
            logger.LogWarning(ex, "Call-log batch of {Count} failed; retrying events one by one", batch.Count);
            foreach (var single in batch)
            {
                try { await WriteBatchAsync([single], ct); }
                catch (Exception inner) when (inner is not OperationCanceledException) { single.Completion.TrySetException(inner); }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            batch[0].Completion.TrySetException(ex);
        }
    }

    private async Task WriteBatchAsync(IReadOnlyList<Pending> batch, CancellationToken ct)
    {
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("call_log.append_batch");
        activity?.SetTag("batch.size", batch.Count);
        var started = Stopwatch.GetTimestamp();

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var lockCmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@id)", connection, tx))
        {
            lockCmd.Parameters.AddWithValue("id", ChainLockId);
            await lockCmd.ExecuteNonQueryAsync(ct);
        }

        var (lastSeq, lastHash) = await ReadHeadAsync(connection, tx, ct);
        var sids = batch.Select(p => p.Event.CallSid).ToArray();
        var keys = batch.Select(p => p.Event.StepKey).ToArray();
        var existing = await ReadExistingAsync(connection, tx, sids, keys, ct);
        var callSeqs = await ReadLastCallSeqsAsync(connection, tx, sids.Distinct().ToArray(), ct);

        var rows = new List<CallEventRecord>(batch.Count);
        var results = new AppendResult[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var e = batch[i].Event;
            var key = (e.CallSid, e.StepKey);
            if (existing.TryGetValue(key, out var already))
            {
                results[i] = already with { Appended = false };
                continue;
            }
            var seq = lastSeq + 1;
            var callSeq = callSeqs.GetValueOrDefault(e.CallSid) + 1;
            var hash = CallEventHash.Compute(seq, e.CallSid, callSeq, e.Type, e.StepKey, e.OccurredAt, e.PayloadJson, lastHash);
            rows.Add(new CallEventRecord
            {
                GlobalSeq = seq, CallSid = e.CallSid, CallSeq = callSeq, Type = e.Type, StepKey = e.StepKey,
                OccurredAt = e.OccurredAt, Payload = e.PayloadJson, PrevHash = lastHash, Hash = hash,
            });
            results[i] = new AppendResult(seq, callSeq, true);
            // A second delivery inside the same batch is a duplicate of this one.
            existing[key] = results[i];
            callSeqs[e.CallSid] = callSeq;
            lastSeq = seq;
            lastHash = hash;
        }

        if (rows.Count > 0) await InsertAsync(connection, tx, rows, ct);
        await tx.CommitAsync(ct);

        telemetry.EventsAppended.Add(rows.Count);
        telemetry.EventsDeduplicated.Add(batch.Count - rows.Count);
        telemetry.AppendBatchSize.Record(batch.Count);
        telemetry.AppendDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        for (var i = 0; i < batch.Count; i++) batch[i].Completion.TrySetResult(results[i]);
    }

    private static async Task<(long Seq, byte[] Hash)> ReadHeadAsync(NpgsqlConnection c, NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT global_seq, hash FROM call_events ORDER BY global_seq DESC LIMIT 1", c, tx);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? (r.GetInt64(0), (byte[])r[1]) : (0, CallEventHash.Genesis);
    }

    private static async Task<Dictionary<(string, string), AppendResult>> ReadExistingAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, string[] sids, string[] keys, CancellationToken ct)
    {
        const string sql = """
            SELECT e.call_sid, e.step_key, e.global_seq, e.call_seq
            FROM call_events e JOIN unnest(@sids, @keys) AS k(sid, key) ON e.call_sid = k.sid AND e.step_key = k.key
            """;
        await using var cmd = new NpgsqlCommand(sql, c, tx);
        cmd.Parameters.AddWithValue("sids", sids);
        cmd.Parameters.AddWithValue("keys", keys);
        var found = new Dictionary<(string, string), AppendResult>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            found[(r.GetString(0), r.GetString(1))] = new AppendResult(r.GetInt64(2), r.GetInt32(3), false);
        return found;
    }

    private static async Task<Dictionary<string, int>> ReadLastCallSeqsAsync(
        NpgsqlConnection c, NpgsqlTransaction tx, string[] sids, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT call_sid, max(call_seq) FROM call_events WHERE call_sid = ANY(@sids) GROUP BY call_sid", c, tx);
        cmd.Parameters.AddWithValue("sids", sids);
        var seqs = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) seqs[r.GetString(0)] = r.GetInt32(1);
        return seqs;
    }

    private static async Task InsertAsync(NpgsqlConnection c, NpgsqlTransaction tx, List<CallEventRecord> rows, CancellationToken ct)
    {
        // Binary COPY: one round trip for the whole batch.
        await using var importer = await c.BeginBinaryImportAsync(
            "COPY call_events (global_seq, call_sid, call_seq, type, step_key, occurred_at, payload, prev_hash, hash) FROM STDIN (FORMAT BINARY)", ct);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(ct);
            await importer.WriteAsync(row.GlobalSeq, NpgsqlDbType.Bigint, ct);
            await importer.WriteAsync(row.CallSid, NpgsqlDbType.Varchar, ct);
            await importer.WriteAsync(row.CallSeq, NpgsqlDbType.Integer, ct);
            await importer.WriteAsync(row.Type, NpgsqlDbType.Varchar, ct);
            await importer.WriteAsync(row.StepKey, NpgsqlDbType.Varchar, ct);
            await importer.WriteAsync(row.OccurredAt, NpgsqlDbType.TimestampTz, ct);
            await importer.WriteAsync(row.Payload, NpgsqlDbType.Json, ct);
            await importer.WriteAsync(row.PrevHash, NpgsqlDbType.Bytea, ct);
            await importer.WriteAsync(row.Hash, NpgsqlDbType.Bytea, ct);
        }
        await importer.CompleteAsync(ct);
    }
}
