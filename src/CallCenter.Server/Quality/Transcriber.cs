using System.Diagnostics;
using System.Diagnostics.Metrics;
using CallCenter.Core.Archive;
using CallCenter.Server.Archive;
using CallCenter.Server.Data;
using CallCenter.Server.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CallCenter.Server.Quality;

/// <summary>
/// Works the transcription jobs: claim one (lease, SKIP LOCKED) → decrypt the archived recording → Azure fast
/// transcription → replace the recording's phrases and finish the job in one transaction. A failure releases the job
/// with backoff; Azure's refusal, a recording too large or gone, or the last attempt marks it failed. Without an Azure
/// key nothing is claimed: jobs stay queued until one is configured.
/// </summary>
public sealed class Transcriber(
    NpgsqlDataSource dataSource, IServiceScopeFactory scopes, IArchiveStorage storage, ArchiveKeyRing keys,
    AzureFastTranscription azure, IOptions<TranscriptionOptions> options, TimeProvider clock, TranscriptionMetrics metrics,
    ILogger<Transcriber> logger)
{
    public bool Enabled => azure.DisabledReason is null;

    /// <summary>Processes due jobs until none is left; returns how many were attempted (0 when disabled).</summary>
    public async Task<int> ProcessDueAsync(CancellationToken ct)
    {
        var attempted = 0;
        while (await ProcessOneAsync(ct) is not null) attempted++;
        return attempted;
    }

    /// <summary>Claims one due job and works on it; null when none is due or transcription is off, else whether it finished.</summary>
    public async Task<bool?> ProcessOneAsync(CancellationToken ct)
    {
        if (!Enabled) return null;
        var token = Guid.NewGuid();
        if (await ClaimAsync(token, ct) is not { } job) return null;
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("qa.transcribe");
        activity?.SetTag("call.sid", job.CallSid);
        activity?.SetTag("archive.number", job.ArchiveNumber);
        try
        {
            var wav = await ReadAudioAsync(job, ct);
            var phrases = await azure.TranscribeAsync(wav.Bytes, wav.Channels, ct);
            await StoreAsync(job, token, phrases, ct);
            metrics.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "done"));
            logger.LogInformation("Recording #{ArchiveNumber} transcribed: {Phrases} phrases", job.ArchiveNumber, phrases.Count);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            var giveUp = ex is TranscriptionRefusedException or RecordingUnavailableException || job.Attempts >= options.Value.MaxAttempts;
            var delay = TimeSpan.FromTicks(options.Value.RetryBaseDelay.Ticks * (1L << Math.Min(job.Attempts - 1, 10)));
            logger.LogWarning(ex, "Transcribing recording #{ArchiveNumber} (attempt {Attempt}) failed; {Next}",
                job.ArchiveNumber, job.Attempts, giveUp ? "giving up" : $"retrying in {delay}");
            metrics.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", giveUp ? "failed" : "retry"));
            await ReleaseAsync(job, token, giveUp, delay, ex);
            return false;
        }
    }

    private sealed record ClaimedJob(long Id, long ArchiveNumber, string CallSid, int Attempts);

    private sealed class RecordingUnavailableException(string message) : Exception(message);

    private async Task<ClaimedJob?> ClaimAsync(Guid token, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var cmd = dataSource.CreateCommand("""
            UPDATE transcription_jobs j SET lease_token = @token, lease_until = @leaseUntil, attempts = j.attempts + 1
            WHERE j.id = (
                SELECT id FROM transcription_jobs
                WHERE state = 'pending' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
                ORDER BY next_attempt_at, id
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING j.id, j.archive_number, j.call_sid, j.attempts
            """);
        cmd.Parameters.AddWithValue("token", token);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("leaseUntil", now + options.Value.LeaseDuration);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new ClaimedJob(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt32(3));
    }

    private async Task<(byte[] Bytes, int Channels)> ReadAudioAsync(ClaimedJob job, CancellationToken ct)
    {
        ArchivedRecording? recording;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
            recording = await db.ArchivedRecordings.AsNoTracking().SingleOrDefaultAsync(r => r.ArchiveNumber == job.ArchiveNumber, ct);
            if (recording is { WrappedDataKey: not null, StorageKey: not null })
            {
                // The machine's listen is an access like any other: it goes in the same log as people's.
                db.RecordingAccessLog.Add(new RecordingAccessEntry
                {
                    OccurredAt = clock.GetUtcNow(), WorkNumber = "system", Role = "transcription", Action = "transcribe",
                    ArchiveNumber = job.ArchiveNumber, CallSid = job.CallSid, Result = "allowed",
                });
                await db.SaveChangesAsync(ct);
            }
        }
        if (recording is not { WrappedDataKey: not null, StorageKey: not null } || recording.DestroyedAt is not null)
            throw new RecordingUnavailableException($"Recording #{job.ArchiveNumber} is destroyed or not in the catalogue.");
        if (recording.SizeBytes > options.Value.MaxAudioBytes)
            throw new RecordingUnavailableException($"Recording #{job.ArchiveNumber} is {recording.SizeBytes} bytes, above the {options.Value.MaxAudioBytes} fast transcription takes.");
        await using var file = await storage.OpenReadAsync(recording.StorageKey, ct)
            ?? throw new IOException($"Archived file of recording #{job.ArchiveNumber} is missing.");
        await using var audio = new RecordingDecryptStream(file, keys.Unwrap(recording.KeyId, recording.WrappedDataKey, recording.RecordingSid));
        using var buffer = new MemoryStream(checked((int)recording.SizeBytes));
        await audio.CopyToAsync(buffer, ct);
        return (buffer.ToArray(), recording.Channels);
    }

    private async Task StoreAsync(ClaimedJob job, Guid token, IReadOnlyList<RecognisedPhrase> phrases, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var finished = await db.TranscriptionJobs
            .Where(j => j.Id == job.Id && j.LeaseToken == token && j.State == TranscriptionJobState.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, TranscriptionJobState.Done).SetProperty(j => j.CompletedAt, clock.GetUtcNow())
                .SetProperty(j => j.LeaseToken, (Guid?)null).SetProperty(j => j.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(j => j.LastError, (string?)null), ct);
        if (finished != 1) throw new InvalidOperationException($"Lost the lease on the transcription of recording #{job.ArchiveNumber}.");
        await db.TranscriptPhrases.Where(p => p.ArchiveNumber == job.ArchiveNumber).ExecuteDeleteAsync(ct);
        db.TranscriptPhrases.AddRange(phrases.Select(p => new TranscriptPhrase
        {
            ArchiveNumber = job.ArchiveNumber, CallSid = job.CallSid, Channel = p.Channel, Speaker = p.Speaker, OffsetMs = p.OffsetMs,
            DurationMs = p.DurationMs, Locale = p.Locale, Text = p.Text.Length > 4000 ? p.Text[..4000] : p.Text, Confidence = p.Confidence,
        }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private async Task ReleaseAsync(ClaimedJob job, Guid token, bool giveUp, TimeSpan delay, Exception error)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand("""
                UPDATE transcription_jobs SET lease_token = NULL, lease_until = NULL, next_attempt_at = @next, last_error = @error,
                    state = CASE WHEN @giveUp THEN 'failed' ELSE state END
                WHERE id = @id AND lease_token = @token
                """);
            cmd.Parameters.AddWithValue("id", job.Id);
            cmd.Parameters.AddWithValue("token", token);
            cmd.Parameters.AddWithValue("next", clock.GetUtcNow() + delay);
            cmd.Parameters.AddWithValue("giveUp", giveUp);
            var message = $"{error.GetType().Name}: {error.Message}";
            cmd.Parameters.AddWithValue("error", message.Length > 2000 ? message[..2000] : message);
            await cmd.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            logger.LogError(ex, "Could not release transcription job {JobId}; it is retried when its lease expires", job.Id);
        }
    }
}

/// <summary>Runs the transcription jobs every poll interval; one failed run never stops the host.</summary>
public sealed class TranscriptionWorker(Transcriber transcriber, IOptions<TranscriptionOptions> options, TimeProvider clock,
    ILogger<TranscriptionWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!transcriber.Enabled)
        {
            logger.LogInformation("Transcription is off (no Azure Speech key/region); recordings queue for it until one is configured and the server restarts");
            return;
        }
        using var timer = new PeriodicTimer(options.Value.PollInterval, clock);
        do
        {
            try
            {
                await transcriber.ProcessDueAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Transcription run failed; the next run retries");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

/// <summary>Transcription's OpenTelemetry instruments, on the server's meter.</summary>
public sealed class TranscriptionMetrics
{
    public TranscriptionMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Jobs = meterFactory.Create(CallCenterTelemetry.Name)
            .CreateCounter<long>("callcenter.qa.transcriptions", description: "Transcription attempts, by outcome (done, retry, failed).");
    }

    public Counter<long> Jobs { get; }
}
