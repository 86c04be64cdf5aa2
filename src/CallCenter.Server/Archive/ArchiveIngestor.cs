using System.Diagnostics;
using System.Globalization;
using CallCenter.Core.Archive;
using CallCenter.Server.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace CallCenter.Server.Archive;

/// <summary>The points between ingest steps, where a test can make the worker die.</summary>
public enum IngestStep
{
    Claimed,
    /// <summary>Part of the media downloaded and written to the temp file.</summary>
    Downloading,
    /// <summary>The whole recording sealed into the temp file, not yet renamed into place.</summary>
    SealedToTemp,
    FileCommitted,
    Catalogued,
    DeletedAtTwilio,
}

/// <summary>Called between ingest steps; production does nothing, crash tests throw.</summary>
public interface IArchiveIngestFaults
{
    void At(IngestStep step, string recordingSid);
}

internal sealed class NoIngestFaults : IArchiveIngestFaults
{
    public void At(IngestStep step, string recordingSid) { }
}

/// <summary>
/// Archives recordings from their durable jobs: claim (lease, SKIP LOCKED) → download from Twilio → SHA-256 +
/// AES-256-GCM into a temp file → fsync + rename → catalogue row (same transaction as the job's progress) →
/// read back and verify → delete at Twilio → done. A failure anywhere releases the job for a later retry with backoff; files of earlier
/// failed attempts are removed before a new one starts, so exactly one copy survives.
/// </summary>
public sealed class ArchiveIngestor(
    NpgsqlDataSource dataSource, IArchiveStorage storage, ArchiveKeyRing keys, TwilioRecordings twilio,
    IArchiveIngestFaults faults, IOptions<ArchiveOptions> options, TimeProvider clock, ArchiveMetrics metrics,
    ILogger<ArchiveIngestor> logger)
{
    public const string FileExtension = ".ccrec";
    private readonly RetentionPolicy _policy = options.Value.RetentionPolicy();

    /// <summary>Processes due jobs until none is left; returns how many were attempted.</summary>
    public async Task<int> ProcessDueAsync(CancellationToken ct)
    {
        var attempted = 0;
        while (await ProcessOneAsync(ct) is not null) attempted++;
        await using var backlog = dataSource.CreateCommand("SELECT count(*) FROM archive_jobs WHERE state <> 'done'");
        metrics.RecordBacklog((long)(await backlog.ExecuteScalarAsync(ct))!);
        return attempted;
    }

    /// <summary>Claims one due job and works on it; null when none is due, else whether it finished.</summary>
    public async Task<bool?> ProcessOneAsync(CancellationToken ct)
    {
        if (keys.ActiveKeyId is null) return null; // nothing can be sealed; jobs wait, durable, for a key
        var token = Guid.NewGuid();
        if (await ClaimAsync(token, ct) is not { } job) return null;
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("archive.ingest");
        activity?.SetTag("recording.sid", job.RecordingSid);
        activity?.SetTag("call.sid", job.CallSid);
        try
        {
            faults.At(IngestStep.Claimed, job.RecordingSid);
            if (job.State == ArchiveJobState.Pending) await ArchiveAsync(job, token, ct);
            await VerifyArchivedCopyAsync(job.RecordingSid, ct);
            await twilio.DeleteAsync(job.AccountSid, job.RecordingSid, ct);
            faults.At(IngestStep.DeletedAtTwilio, job.RecordingSid);
            await FinishAsync(job, token, ct);
            metrics.Ingests.Add(1, new KeyValuePair<string, object?>("outcome", "archived"));
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            var delay = Backoff(job.Attempts);
            logger.LogWarning(ex, "Archiving recording {RecordingSid} (attempt {Attempt}) failed; retrying in {Delay}",
                job.RecordingSid, job.Attempts, delay);
            metrics.Ingests.Add(1, new KeyValuePair<string, object?>("outcome", "retry"));
            await ReleaseAsync(job, token, delay, ex, CancellationToken.None);
            return false;
        }
    }

    private TimeSpan Backoff(int attempts)
    {
        var settings = options.Value;
        var factor = Math.Pow(2, Math.Min(Math.Max(attempts - 1, 0), 20));
        var delay = TimeSpan.FromTicks((long)Math.Min(settings.RetryBaseDelay.Ticks * factor, settings.RetryMaxDelay.Ticks));
        return delay;
    }

    private async Task ArchiveAsync(ClaimedJob job, Guid token, CancellationToken ct)
    {
        var folder = job.RecordingStartedAt.UtcDateTime.ToString("yyyy/MM/dd", CultureInfo.InvariantCulture);
        var catalogued = await CataloguedStorageKeyAsync(job.RecordingSid, ct);
        // Leftovers of earlier attempts: a temp file cut off by a crash, or a committed file that never made the catalogue.
        foreach (var leftover in await storage.ListAsync(folder, job.RecordingSid + ".", ct))
            if (leftover != catalogued) await storage.DeleteAsync(leftover, ct);
        if (catalogued is not null)
        {
            await MarkArchivedAsync(job, token, ct);
            return;
        }

        var facts = await CallFactsAsync(job, ct);
        var decision = _policy.Decide(CallCategoryRules.Classify(facts.Category), facts.StartedAt);
        var dataKey = RecordingEnvelope.NewDataKey();
        var (keyId, wrapped) = keys.Wrap(dataKey, job.RecordingSid);
        var key = $"{folder}/{job.RecordingSid}.{token:N}{FileExtension}";

        SealedRecording sealedRecording;
        using (var response = await twilio.DownloadWavAsync(job.AccountSid, job.RecordingSid, ct))
        await using (var media = await response.Content.ReadAsStreamAsync(ct))
        await using (var write = await storage.CreateAsync(key, ct))
        {
            var watched = new StepAfterFirstRead(media, () => faults.At(IngestStep.Downloading, job.RecordingSid));
            sealedRecording = await RecordingEnvelope.SealAsync(watched, write.Content, dataKey, ct);
            if (response.Content.Headers.ContentLength is { } expected && expected != sealedRecording.PlaintextBytes)
                throw new IOException($"Download of {job.RecordingSid} ended after {sealedRecording.PlaintextBytes} of {expected} bytes.");
            faults.At(IngestStep.SealedToTemp, job.RecordingSid);
            await write.CommitAsync(ct);
        }
        faults.At(IngestStep.FileCommitted, job.RecordingSid);

        var recording = new ArchivedRecording
        {
            RecordingSid = job.RecordingSid, CallSid = job.CallSid, Agent = facts.Agent, Queue = facts.Queue,
            Category = decision.Category.ToString(), CallStartedAt = facts.StartedAt, DurationSeconds = job.DurationSeconds,
            Channels = job.Channels, SizeBytes = sealedRecording.PlaintextBytes, StoredBytes = sealedRecording.StoredBytes,
            Sha256 = sealedRecording.Sha256, KeyId = keyId, WrappedDataKey = wrapped, StorageKey = key,
            RetentionRule = decision.Rule, RetainUntil = decision.RetainUntil, ArchivedAt = clock.GetUtcNow(),
        };
        var number = await CatalogueAsync(dataSource, recording, job.Id, token, ct);
        if (number is null)
        {
            // Another worker took the job over after our lease ran out; its copy is the one that counts.
            await storage.DeleteAsync(key, CancellationToken.None);
            throw new InvalidOperationException($"Lost the lease on recording {job.RecordingSid} before cataloguing it.");
        }
        logger.LogInformation("Recording {RecordingSid} of call {CallSid} archived as #{ArchiveNumber} ({Bytes} bytes, keep until {RetainUntil:yyyy-MM-dd})",
            job.RecordingSid, job.CallSid, number, sealedRecording.PlaintextBytes, decision.RetainUntil);
        faults.At(IngestStep.Catalogued, job.RecordingSid);
    }

    /// <summary>Twilio's copy is deleted only after ours reads back whole: every tag checked, hash and length as catalogued.</summary>
    private async Task VerifyArchivedCopyAsync(string recordingSid, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand(
            "SELECT storage_key, key_id, wrapped_data_key, sha256, size_bytes FROM archived_recordings WHERE recording_sid = @sid AND destroyed_at IS NULL");
        cmd.Parameters.AddWithValue("sid", recordingSid);
        string key, keyId;
        byte[] wrapped, sha;
        long size;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) throw new InvalidOperationException($"Recording {recordingSid} is not in the catalogue; Twilio's copy stays.");
            (key, keyId, wrapped, sha, size) = (r.GetString(0), r.GetString(1), (byte[])r[2], (byte[])r[3], r.GetInt64(4));
        }
        await using var file = await storage.OpenReadAsync(key, ct)
            ?? throw new IOException($"Archived file {key} of {recordingSid} is missing; Twilio's copy stays.");
        var (bytes, hash) = await RecordingEnvelope.VerifyAsync(file, keys.Unwrap(keyId, wrapped, recordingSid), ct);
        if (bytes != size || !hash.AsSpan().SequenceEqual(sha))
            throw new IOException($"Archived file {key} of {recordingSid} does not read back as catalogued; Twilio's copy stays.");
    }

    /// <summary>
    /// Inserts the catalogue row under the next archive number and moves the job to "archived", in one
    /// transaction, only while <paramref name="leaseToken"/> still owns the job. Null when it does not.
    /// The numbering lock makes numbers gapless; it is held for one insert only.
    /// </summary>
    public static async Task<long?> CatalogueAsync(NpgsqlDataSource dataSource, ArchivedRecording r, long jobId, Guid leaseToken, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(r);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var advance = new NpgsqlCommand("""
            UPDATE archive_jobs SET state = 'archived' WHERE id = @job AND lease_token = @token AND state = 'pending'
            """, connection, tx))
        {
            advance.Parameters.AddWithValue("job", jobId);
            advance.Parameters.AddWithValue("token", leaseToken);
            if (await advance.ExecuteNonQueryAsync(ct) != 1) return null;
        }
        await using (var numbering = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7236128736450021)", connection, tx))
            await numbering.ExecuteNonQueryAsync(ct);
        await using var insert = new NpgsqlCommand("""
            INSERT INTO archived_recordings (archive_number, recording_sid, call_sid, agent, queue, category, call_started_at,
                duration_seconds, channels, size_bytes, stored_bytes, sha256, key_id, wrapped_data_key, storage_key,
                retention_rule, retain_until, archived_at)
            SELECT coalesce(max(archive_number), 0) + 1, @sid, @call, @agent, @queue, @category, @started, @duration, @channels,
                @size, @stored, @sha, @keyId, @wrapped, @storageKey, @rule, @retainUntil, @archivedAt
            FROM archived_recordings
            RETURNING archive_number;
            """, connection, tx);
        var p = insert.Parameters;
        p.AddWithValue("sid", r.RecordingSid);
        p.AddWithValue("call", r.CallSid);
        p.Add(new NpgsqlParameter("agent", NpgsqlDbType.Varchar) { Value = (object?)r.Agent ?? DBNull.Value });
        p.Add(new NpgsqlParameter("queue", NpgsqlDbType.Varchar) { Value = (object?)r.Queue ?? DBNull.Value });
        p.AddWithValue("category", r.Category);
        p.AddWithValue("started", r.CallStartedAt);
        p.AddWithValue("duration", r.DurationSeconds);
        p.AddWithValue("channels", r.Channels);
        p.AddWithValue("size", r.SizeBytes);
        p.AddWithValue("stored", r.StoredBytes);
        p.AddWithValue("sha", r.Sha256);
        p.AddWithValue("keyId", r.KeyId);
        p.AddWithValue("wrapped", r.WrappedDataKey!);
        p.AddWithValue("storageKey", r.StorageKey!);
        p.AddWithValue("rule", r.RetentionRule);
        p.AddWithValue("retainUntil", r.RetainUntil);
        p.AddWithValue("archivedAt", r.ArchivedAt);
        var number = (long)(await insert.ExecuteScalarAsync(ct))!;
        await tx.CommitAsync(ct);
        return number;
    }

    private sealed record ClaimedJob(long Id, string RecordingSid, string CallSid, string AccountSid, DateTimeOffset RecordingStartedAt,
        int DurationSeconds, int Channels, string State, int Attempts);

    private sealed record CallFacts(DateTimeOffset StartedAt, string? Agent, string? Queue, CallCategoryFacts Category);

    private async Task<ClaimedJob?> ClaimAsync(Guid token, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var cmd = dataSource.CreateCommand("""
            UPDATE archive_jobs j SET lease_token = @token, lease_until = @leaseUntil, attempts = j.attempts + 1
            WHERE j.id = (
                SELECT id FROM archive_jobs
                WHERE state <> 'done' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
                ORDER BY next_attempt_at, id
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING j.id, j.recording_sid, j.call_sid, j.account_sid, j.recording_started_at, j.duration_seconds, j.channels, j.state, j.attempts
            """);
        cmd.Parameters.AddWithValue("token", token);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("leaseUntil", now + options.Value.LeaseDuration);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new ClaimedJob(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
            r.GetInt32(5), r.GetInt32(6), r.GetString(7), r.GetInt32(8));
    }

    private async Task<string?> CataloguedStorageKeyAsync(string recordingSid, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("SELECT storage_key FROM archived_recordings WHERE recording_sid = @sid");
        cmd.Parameters.AddWithValue("sid", recordingSid);
        return await cmd.ExecuteScalarAsync(ct) as string;
    }

    private async Task<CallFacts> CallFactsAsync(ClaimedJob job, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT (SELECT started_at FROM calls WHERE call_sid = @call),
                   a.payload->>'agent', a.payload->>'queue',
                   ARRAY(SELECT DISTINCT type::text FROM call_events WHERE call_sid = @call),
                   ARRAY(SELECT payload->'data'->>'operation' FROM call_events
                         WHERE call_sid = @call AND type = 'ivr.core_requested' AND payload->'data'->>'operation' IS NOT NULL)
            FROM (SELECT NULL) AS one
            LEFT JOIN LATERAL (SELECT payload FROM call_events WHERE call_sid = @call AND type = 'acd.answered'
                               ORDER BY call_seq DESC LIMIT 1) a ON true
            """);
        cmd.Parameters.AddWithValue("call", job.CallSid);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var started = r.IsDBNull(0) ? job.RecordingStartedAt : r.GetFieldValue<DateTimeOffset>(0);
        return new CallFacts(started, r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2),
            new CallCategoryFacts(r.GetFieldValue<string[]>(3), r.GetFieldValue<string[]>(4)));
    }

    private async Task MarkArchivedAsync(ClaimedJob job, Guid token, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE archive_jobs SET state = 'archived' WHERE id = @id AND lease_token = @token AND state = 'pending'");
        cmd.Parameters.AddWithValue("id", job.Id);
        cmd.Parameters.AddWithValue("token", token);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task FinishAsync(ClaimedJob job, Guid token, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE archive_jobs SET state = 'done', completed_at = @now, lease_token = NULL, lease_until = NULL, last_error = NULL
            WHERE id = @id AND lease_token = @token AND state = 'archived'
            """);
        cmd.Parameters.AddWithValue("id", job.Id);
        cmd.Parameters.AddWithValue("token", token);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            throw new InvalidOperationException($"Recording {job.RecordingSid}: lost the lease, or not catalogued, before finishing.");
    }

    private async Task ReleaseAsync(ClaimedJob job, Guid token, TimeSpan delay, Exception error, CancellationToken ct)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand("""
                UPDATE archive_jobs SET lease_token = NULL, lease_until = NULL, next_attempt_at = @next, last_error = @error
                WHERE id = @id AND lease_token = @token
                """);
            cmd.Parameters.AddWithValue("id", job.Id);
            cmd.Parameters.AddWithValue("token", token);
            cmd.Parameters.AddWithValue("next", clock.GetUtcNow() + delay);
            var message = $"{error.GetType().Name}: {error.Message}";
            cmd.Parameters.AddWithValue("error", message.Length > 2000 ? message[..2000] : message);
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // The lease runs out by itself; the job is retried then.
            logger.LogError(ex, "Could not release archive job {JobId}; it is retried when its lease expires", job.Id);
        }
    }

    /// <summary>Passes reads through and calls <c>onFirstData</c> once, after the first bytes arrive.</summary>
    private sealed class StepAfterFirstRead(Stream inner, Action onFirstData) : Stream
    {
        private bool _signalled;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Signal(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Signal(await inner.ReadAsync(buffer, cancellationToken));

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Signal(await inner.ReadAsync(buffer.AsMemory(offset, count), cancellationToken));

        private int Signal(int read)
        {
            if (read > 0 && !_signalled)
            {
                _signalled = true;
                onFirstData();
            }
            return read;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
