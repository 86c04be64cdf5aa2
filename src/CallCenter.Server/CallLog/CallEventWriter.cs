using System.Diagnostics;
using System.Threading.Channels;
using CallCenter.Core.CallLog;
using CallCenter.Server.Degraded;
using CallCenter.Server.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CallCenter.Server.CallLog;

/// <summary>A call event a webhook or worker wants in the call log.</summary>
public sealed record NewCallEvent(string CallSid, string Type, string StepKey, DateTimeOffset OccurredAt, string PayloadJson);

/// <summary>
/// What happened to an appended event: written now, or already there from an earlier delivery. A spooled event
/// (PostgreSQL unreachable) counts as appended with no numbers yet; a replay among spooled events is dropped when they are written.
/// </summary>
public sealed record AppendResult(long GlobalSeq, int CallSeq, bool Appended)
{
    /// <summary>Waiting in the local spool for PostgreSQL to come back.</summary>
    public bool Spooled { get; init; }
}

/// <summary>Appends events to the hash-chained call log; idempotent per (call, step).</summary>
public interface ICallEventLog
{
    Task<AppendResult> AppendAsync(NewCallEvent callEvent, CancellationToken cancellationToken);

    /// <summary>Inserts a call's row or records its Twilio status, in order with its events; spooled like them.</summary>
    Task RecordCallAsync(CallRowChange change, CancellationToken cancellationToken);

    /// <summary>Writes are waiting in the spool (PostgreSQL is, or was a moment ago, unreachable).</summary>
    bool IsSpooling { get; }
}

/// <summary>
/// Single writer per process: callers enqueue, one loop writes whatever has gathered in one call to
/// the database's append_call_events function. The chain needs the previous row's hash, so that
/// function serialises writers with an advisory lock (across instances too); batching keeps the
/// serialisation from capping throughput. When PostgreSQL does not answer within
/// <see cref="DegradedModeOptions.DatabaseWriteTimeout"/>, the batch goes to the local <see cref="CallLogSpool"/>
/// (fsynced before the caller is answered) and a drain loop writes it, in order, once the database is back.
/// The writer keeps one connection open for its whole life: a pooled connection is reset (DISCARD ALL) every time it is
/// returned, which throws away the append function's cached plans, so each batch would pay for planning it again.
/// </summary>
public sealed class CallEventWriter(NpgsqlDataSource dataSource, CallLogSpool spool, IOptions<DegradedModeOptions> options,
    DegradedState degraded, CallCenterTelemetry telemetry, ILogger<CallEventWriter> logger)
    : BackgroundService, ICallEventLog
{
    private const int MaxBatch = 512;

    // A batch this large already shares a write's fixed cost well (~1 ms against ~0.1 ms per event), so it does not linger.
    private const int LingerBelow = 32;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly DegradedModeOptions _options = options.Value;

    private sealed record Pending(SpoolEntry Entry, TaskCompletionSource<AppendResult> Completion);

    private static readonly AppendResult SpooledResult = new(0, 0, Appended: true) { Spooled = true };

    // Only the writer loop uses it; the drain loop, which runs while the database is or was away, borrows from the pool.
    private NpgsqlConnection? _connection;

    public bool IsSpooling => spool.HasPending;

    public Task<AppendResult> AppendAsync(NewCallEvent callEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(callEvent);
        return EnqueueAsync(new SpoolEntry(Event: callEvent with { OccurredAt = CallEventHash.ToStoragePrecision(callEvent.OccurredAt) }), cancellationToken);
    }

    public Task RecordCallAsync(CallRowChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        return EnqueueAsync(new SpoolEntry(Call: change), cancellationToken);
    }

    private Task<AppendResult> EnqueueAsync(SpoolEntry entry, CancellationToken cancellationToken)
    {
        var pending = new Pending(entry, new TaskCompletionSource<AppendResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
            throw new InvalidOperationException("The call log writer has stopped.");
        // The caller may stop waiting; the event is still written so a retry finds it.
        return pending.Completion.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var drain = DrainLoopAsync(stoppingToken);
        var reader = _queue.Reader;
        var batch = new List<Pending>(MaxBatch);
        try
        {
            var busy = false;
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && reader.TryRead(out var item)) batch.Add(item);
                // Group commit: each write pays a fixed cost (the function call and its commit's WAL flush, ~0.5-1 ms of
                // PostgreSQL CPU) however few events it carries, so while webhooks keep arriving the writer waits a moment for
                // more to share it; a lone event at a quiet moment is written at once. A batch that gathered enough during the
                // last write goes at once too: under load every webhook waits for the writer's whole cycle, which the linger
                // would lengthen for no saving.
                if (busy && batch.Count < LingerBelow && _options.CallLogLinger > TimeSpan.Zero)
                {
                    await Task.Delay(_options.CallLogLinger, stoppingToken);
                    while (batch.Count < MaxBatch && reader.TryRead(out var item)) batch.Add(item);
                }
                // More than one entry gathered during the last write: webhooks are arriving faster than one at a time.
                busy = batch.Count > 1;
                await WriteWithIsolationAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (_connection is not null) await _connection.DisposeAsync();
            _queue.Writer.TryComplete();
            while (reader.TryRead(out var left))
                left.Completion.TrySetException(new OperationCanceledException("The server is stopping."));
            await drain;
        }
    }

    // A failing batch is retried one entry at a time so one bad event cannot fail its neighbours.
    private async Task WriteWithIsolationAsync(List<Pending> batch, CancellationToken ct)
    {
        try
        {
            await WriteOrSpoolAsync(batch, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && batch.Count > 1)
        {
            logger.LogWarning(ex, "Call-log batch of {Count} failed; retrying entries one by one", batch.Count);
            foreach (var single in batch)
            {
                try { await WriteOrSpoolAsync([single], ct); }
                catch (Exception inner) when (inner is not OperationCanceledException) { single.Completion.TrySetException(inner); }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            batch[0].Completion.TrySetException(ex);
        }
    }

    private async Task WriteOrSpoolAsync(IReadOnlyList<Pending> batch, CancellationToken ct)
    {
        var entries = batch.Select(p => p.Entry).ToList();
        // Nothing may overtake what is already spooled, or the database would see this instance's writes out of order.
        if (spool.AppendIfPending(entries))
        {
            Spooled(batch);
            return;
        }
        IReadOnlyList<AppendResult> results;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(_options.DatabaseWriteTimeout);
            try
            {
                results = await WriteOnOwnConnectionAsync(entries, timeout.Token);
                degraded.DatabaseAnswered();
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && (ex is OperationCanceledException || DependencyFailures.IsDatabaseUnavailable(ex)))
            {
                // A write cut off by the timeout may still commit; its spooled copy is then a replay, dropped at the drain.
                degraded.DatabaseFailed();
                logger.LogWarning(ex, "PostgreSQL did not take {Count} call-log writes; they are spooled until it answers again", entries.Count);
                spool.Append(entries);
                Spooled(batch);
                return;
            }
        }
        for (var i = 0; i < batch.Count; i++) batch[i].Completion.TrySetResult(results[i]);
    }

    private async Task<IReadOnlyList<AppendResult>> WriteOnOwnConnectionAsync(List<SpoolEntry> entries, CancellationToken ct)
    {
        try
        {
            _connection ??= await dataSource.OpenConnectionAsync(ct);
            return await WriteAsync(_connection, entries, ct);
        }
        catch
        {
            // A failure may leave the connection broken or mid-statement: the next batch starts on a fresh one.
            if (_connection is not null) await _connection.DisposeAsync();
            _connection = null;
            throw;
        }
    }

    private void Spooled(IReadOnlyList<Pending> batch)
    {
        telemetry.EntriesSpooled.Add(batch.Count);
        foreach (var p in batch) p.Completion.TrySetResult(SpooledResult);
    }

    // Writes the spool's entries to the database in the order they arrived, then lets new writes go straight there again.
    private async Task DrainLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                // Wall-clock time on purpose: how often to knock on PostgreSQL's door is not business time.
                await Task.Delay(_options.DrainEvery, ct);
                if (!spool.HasPending) continue;
                await DrainAsync(ct);
                degraded.DatabaseAnswered();
                logger.LogInformation("Call-log spool written to PostgreSQL; writing directly again");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (DependencyFailures.IsDatabaseUnavailable(ex))
            {
                degraded.DatabaseFailed();
                logger.LogDebug(ex, "PostgreSQL still unreachable; {Depth} call-log writes wait in the spool", spool.Depth);
            }
            catch (Exception ex)
            {
                // The entry stays at the head of the spool: nothing behind it is written out of order. Depth shows it.
                logger.LogError(ex, "Writing the call-log spool failed; retrying");
            }
        }
    }

    private async Task DrainAsync(CancellationToken ct)
    {
        while (spool.ReadPending(MaxBatch) is { Count: > 0 } chunk)
        {
            using var activity = CallCenterTelemetry.ActivitySource.StartActivity("call_log.drain_spool");
            activity?.SetTag("batch.size", chunk.Count);
            await using (var connection = await dataSource.OpenConnectionAsync(ct))
                await WriteAsync(connection, [.. chunk.Select(c => c.Entry)], ct);
            spool.Commit(chunk[^1].End, chunk.Count);
            telemetry.EntriesDrained.Add(chunk.Count);
        }
    }

    // The whole batch goes in one round trip and one transaction: its call-row statements, then all of its events in one
    // append_call_events call. Events and call rows are in different tables and commit together, so only each kind's own order
    // matters: the events keep theirs (the chain), the row changes theirs. Splitting the events at every call that started or
    // ended cost a function call (chain lock, last hash, its plan) and a round trip per split, and each row change one more.
    private async Task<IReadOnlyList<AppendResult>> WriteAsync(NpgsqlConnection connection, List<SpoolEntry> entries, CancellationToken ct)
    {
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("call_log.append_batch");
        activity?.SetTag("batch.size", entries.Count);
        var started = Stopwatch.GetTimestamp();
        var results = new AppendResult[entries.Count];
        var events = new List<(int Index, NewCallEvent Event)>(entries.Count);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using var batch = new NpgsqlBatch(connection, transaction);
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Call is { } call)
            {
                batch.BatchCommands.Add(CallRowCommand(call));
                results[i] = new AppendResult(0, 0, true);
            }
            else events.Add((i, entries[i].Event!));
        }
        if (events.Count > 0) batch.BatchCommands.Add(AppendEventsCommand(events.ConvertAll(e => e.Event)));

        var appended = 0;
        await using (var reader = await batch.ExecuteReaderAsync(ct))
        {
            // Only the append returns rows (idx, global_seq, call_seq, appended); the row changes return none.
            do
            {
                if (reader.FieldCount == 0) continue;
                while (await reader.ReadAsync(ct))
                {
                    var result = new AppendResult(reader.GetInt64(1), reader.GetInt32(2), reader.GetBoolean(3));
                    results[events[reader.GetInt32(0) - 1].Index] = result;
                    if (result.Appended) appended++;
                }
            }
            while (await reader.NextResultAsync(ct));
        }
        await transaction.CommitAsync(ct);

        if (events.Count > 0)
        {
            telemetry.EventsAppended.Add(appended);
            telemetry.EventsDeduplicated.Add(events.Count - appended);
            telemetry.AppendBatchSize.Record(events.Count);
        }
        telemetry.AppendDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return results;
    }

    // The database function takes the chain lock, dedupes, numbers, hashes and inserts; the batch's transaction commits it.
    private static NpgsqlBatchCommand AppendEventsCommand(List<NewCallEvent> events)
    {
        var command = new NpgsqlBatchCommand("SELECT idx, global_seq, call_seq, appended FROM append_call_events($1, $2, $3, $4, $5)");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = events.ConvertAll(e => e.CallSid).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = events.ConvertAll(e => e.Type).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = events.ConvertAll(e => e.StepKey).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = events.ConvertAll(e => e.OccurredAt).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = events.ConvertAll(e => e.PayloadJson).ToArray() });
        return command;
    }

    // Both statements are idempotent: a call is inserted once, and a final status is never replaced (callbacks arrive out of order).
    // Instances write a call's row changes each in its own order: behind a PostgreSQL outage the start may wait in one
    // instance's spool while another writes the final status. So a final status that carries the call's numbers (Twilio's
    // status callback does) creates the row when it is not there yet, and the start arriving after it only moves
    // started_at back to the true start; otherwise the final status would be lost and the call left "ringing".
    private static NpgsqlBatchCommand CallRowCommand(CallRowChange change)
    {
        var final = Telephony.VoiceWebhookForm.FinalStatuses.Contains(change.Status);
        var command = change.Started
            ? new NpgsqlBatchCommand("""
                INSERT INTO calls (call_sid, account_sid, from_number, to_number, direction, status, started_at, updated_at)
                VALUES (@sid, @account, @from, @to, @direction, @status, @at, @at)
                ON CONFLICT (call_sid) DO UPDATE SET started_at = LEAST(calls.started_at, EXCLUDED.started_at)
                """)
            : final && change.From is not null && change.To is not null
            ? new NpgsqlBatchCommand("""
                INSERT INTO calls (call_sid, account_sid, from_number, to_number, direction, status, started_at, updated_at, ended_at, duration_seconds)
                VALUES (@sid, @account, @from, @to, @direction, @status, @at, @at, @at, @duration)
                ON CONFLICT (call_sid) DO UPDATE SET status = @status, updated_at = @at, ended_at = @at, duration_seconds = @duration
                WHERE NOT (calls.status = ANY(@finals))
                """)
            : new NpgsqlBatchCommand("""
                UPDATE calls SET status = @status, updated_at = @at,
                    ended_at = CASE WHEN @final THEN @at ELSE ended_at END,
                    duration_seconds = CASE WHEN @final THEN @duration ELSE duration_seconds END
                WHERE call_sid = @sid AND NOT (status = ANY(@finals))
                """);
        command.Parameters.Add(new NpgsqlParameter<string>("sid", change.CallSid));
        command.Parameters.Add(new NpgsqlParameter<string>("status", change.Status));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("at", change.At));
        command.Parameters.Add(new NpgsqlParameter<string>("account", change.AccountSid ?? ""));
        command.Parameters.Add(new NpgsqlParameter<string>("from", change.From ?? ""));
        command.Parameters.Add(new NpgsqlParameter<string>("to", change.To ?? ""));
        command.Parameters.Add(new NpgsqlParameter<string>("direction", change.Direction ?? "inbound"));
        command.Parameters.Add(new NpgsqlParameter<bool>("final", final));
        command.Parameters.Add(new NpgsqlParameter("duration", NpgsqlTypes.NpgsqlDbType.Integer) { Value = (object?)change.DurationSeconds ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<string[]>("finals", [.. Telephony.VoiceWebhookForm.FinalStatuses]));
        return command;
    }
}
