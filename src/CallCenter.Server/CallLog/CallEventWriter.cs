using System.Diagnostics;
using System.Threading.Channels;
using CallCenter.Core.CallLog;
using CallCenter.Server.Telemetry;
using Npgsql;

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
/// Single writer per process: callers enqueue, one loop writes whatever has gathered in one call to
/// the database's append_call_events function. The chain needs the previous row's hash, so that
/// function serialises writers with an advisory lock (across instances too); batching keeps the
/// serialisation from capping throughput.
/// </summary>
public sealed class CallEventWriter(NpgsqlDataSource dataSource, CallCenterTelemetry telemetry, ILogger<CallEventWriter> logger)
    : BackgroundService, ICallEventLog
{
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

        // One round trip: the database function takes the chain lock, dedupes, numbers, hashes and
        // inserts, and the statement's own transaction commits it.
        await using var command = dataSource.CreateCommand(
            "SELECT idx, global_seq, call_seq, appended FROM append_call_events(@sids, @types, @keys, @times, @payloads)");
        command.Parameters.Add(new NpgsqlParameter<string[]>("sids", batch.Select(p => p.Event.CallSid).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("types", batch.Select(p => p.Event.Type).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("keys", batch.Select(p => p.Event.StepKey).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("times", batch.Select(p => p.Event.OccurredAt).ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string[]>("payloads", batch.Select(p => p.Event.PayloadJson).ToArray()));

        var results = new AppendResult[batch.Count];
        var appended = 0;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                var result = new AppendResult(reader.GetInt64(1), reader.GetInt32(2), reader.GetBoolean(3));
                results[reader.GetInt32(0) - 1] = result;
                if (result.Appended) appended++;
            }
        }

        telemetry.EventsAppended.Add(appended);
        telemetry.EventsDeduplicated.Add(batch.Count - appended);
        telemetry.AppendBatchSize.Record(batch.Count);
        telemetry.AppendDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        for (var i = 0; i < batch.Count; i++) batch[i].Completion.TrySetResult(results[i]);
    }
}
