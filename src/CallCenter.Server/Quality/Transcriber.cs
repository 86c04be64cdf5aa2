using System.Buffers.Text;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using CallCenter.Core.Archive;
using CallCenter.Server.Archive;
using CallCenter.Server.Data;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CallCenter.Server.Quality;

/// <summary>
/// Works the transcription jobs: claim one (lease, SKIP LOCKED) → decrypt the archived recording → Azure fast
/// transcription → replace the recording's phrases and finish the job in one transaction. A recording over fast
/// transcription's size or duration limit goes to Azure batch transcription instead: the job gets a one-off audio link
/// for Azure to download from, the job's URL at Azure is kept in the row, and later claims poll it until the result is
/// stored, so a restart picks up where it was. A failure releases the job with backoff; Azure's refusal, a recording gone,
/// or the last attempt marks it failed. Without an Azure key nothing is claimed: jobs stay queued until one is configured.
/// </summary>
public sealed class Transcriber(
    NpgsqlDataSource dataSource, IServiceScopeFactory scopes, IArchiveStorage storage, ArchiveKeyRing keys,
    AzureFastTranscription azure, AzureBatchTranscription batch, IOptions<TranscriptionOptions> options, IOptions<TwilioOptions> twilio,
    TimeProvider clock, TranscriptionMetrics metrics, ILogger<Transcriber> logger)
{
    public bool Enabled => azure.DisabledReason is null;

    /// <summary>Processes due jobs until none is left; returns how many were attempted (0 when disabled).</summary>
    public async Task<int> ProcessDueAsync(CancellationToken ct)
    {
        var attempted = 0;
        while (await ProcessOneAsync(ct) is not null) attempted++;
        return attempted;
    }

    /// <summary>
    /// Claims one due job and works on it; null when none is due or transcription is off, else whether its transcript is
    /// now stored (false: failed and released, or handed to batch transcription and waiting for it).
    /// </summary>
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
            if (job.BatchUrl is not null) return await PollBatchAsync(job, token, new Uri(job.BatchUrl), ct);
            var recording = await RecordingAsync(job, ct);
            if (recording.SizeBytes > options.Value.MaxAudioBytes || TimeSpan.FromSeconds(recording.DurationSeconds) >= options.Value.MaxAudioDuration)
            {
                activity?.SetTag("transcription.method", "batch");
                await SubmitBatchAsync(job, token, recording, ct);
                return false;
            }
            activity?.SetTag("transcription.method", "fast");
            var phrases = await azure.TranscribeAsync(await ReadAudioAsync(job, recording, ct), recording.Channels, ct);
            await StoreAsync(job, token, phrases, ct);
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

    private sealed record ClaimedJob(long Id, long ArchiveNumber, string CallSid, int Attempts, string? BatchUrl);

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
            RETURNING j.id, j.archive_number, j.call_sid, j.attempts, j.batch_url
            """);
        cmd.Parameters.AddWithValue("token", token);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("leaseUntil", now + options.Value.LeaseDuration);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) return null;
        return new ClaimedJob(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt32(3), r.IsDBNull(4) ? null : r.GetString(4));
    }

    private async Task<ArchivedRecording> RecordingAsync(ClaimedJob job, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var recording = await db.ArchivedRecordings.AsNoTracking().SingleOrDefaultAsync(r => r.ArchiveNumber == job.ArchiveNumber, ct);
        return recording is { WrappedDataKey: not null, StorageKey: not null, DestroyedAt: null }
            ? recording
            : throw new RecordingUnavailableException($"Recording #{job.ArchiveNumber} is destroyed or not in the catalogue.");
    }

    private async Task<byte[]> ReadAudioAsync(ClaimedJob job, ArchivedRecording recording, CancellationToken ct)
    {
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
            // The machine's listen is an access like any other: it goes in the same log as people's.
            db.RecordingAccessLog.Add(new RecordingAccessEntry
            {
                OccurredAt = clock.GetUtcNow(), WorkNumber = "system", Role = "transcription", Action = "transcribe",
                ArchiveNumber = job.ArchiveNumber, CallSid = job.CallSid, Result = "allowed",
            });
            await db.SaveChangesAsync(ct);
        }
        await using var file = await storage.OpenReadAsync(recording.StorageKey!, ct)
            ?? throw new IOException($"Archived file of recording #{job.ArchiveNumber} is missing.");
        await using var audio = new RecordingDecryptStream(file, keys.Unwrap(recording.KeyId, recording.WrappedDataKey!, recording.RecordingSid));
        using var buffer = new MemoryStream(checked((int)recording.SizeBytes));
        await audio.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    /// <summary>
    /// Hands the recording to Azure batch transcription. The link's token is stored (as a hash) before Azure hears of it, since
    /// Azure may download at once; the job's URL at Azure is stored with the release, and the claim that follows polls it.
    /// </summary>
    private async Task SubmitBatchAsync(ClaimedJob job, Guid lease, ArchivedRecording recording, CancellationToken ct)
    {
        var baseUrl = options.Value.AudioBaseUrl ?? twilio.Value.PublicBaseUrl
            ?? throw new RecordingUnavailableException(
                $"Recording #{job.ArchiveNumber} ({recording.SizeBytes} bytes, {recording.DurationSeconds} s) is over fast transcription's limit, and batch transcription needs Transcription:AudioBaseUrl (or Twilio:PublicBaseUrl) for Azure to download it from.");
        var linkToken = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        await using (var cmd = dataSource.CreateCommand("""
            UPDATE transcription_jobs SET audio_link_hash = @hash, audio_link_expires_at = @expires WHERE id = @id AND lease_token = @lease
            """))
        {
            cmd.Parameters.AddWithValue("hash", TranscriptionAudioLink.Hash(linkToken));
            cmd.Parameters.AddWithValue("expires", clock.GetUtcNow() + options.Value.AudioLinkLifetime);
            cmd.Parameters.AddWithValue("id", job.Id);
            cmd.Parameters.AddWithValue("lease", lease);
            if (await cmd.ExecuteNonQueryAsync(ct) != 1) throw new InvalidOperationException($"Lost the lease on the transcription of recording #{job.ArchiveNumber}.");
        }
        var audioUrl = new Uri(new Uri(baseUrl.ToString().TrimEnd('/') + "/"), TranscriptionAudioLink.PathFor(linkToken).TrimStart('/'));
        var azureJob = await batch.SubmitAsync(audioUrl, recording.Channels, job.ArchiveNumber, ct);
        logger.LogInformation("Recording #{ArchiveNumber} ({Bytes} bytes) handed to Azure batch transcription {Job}", job.ArchiveNumber, recording.SizeBytes, azureJob);
        metrics.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "batch_submitted"));
        await WaitForBatchAsync(job, lease, azureJob.ToString(), refundAttempt: false);
    }

    /// <summary>Asks Azure how the batch job is doing; stores its result when done. Polls do not count as attempts.</summary>
    private async Task<bool> PollBatchAsync(ClaimedJob job, Guid lease, Uri azureJob, CancellationToken ct)
    {
        var status = await batch.StatusAsync(azureJob, ct);
        if (status.Running)
        {
            await WaitForBatchAsync(job, lease, azureJob.ToString(), refundAttempt: true);
            return false;
        }
        if (status.Status != "Succeeded" || status.Files is null)
        {
            // Azure could not do it (often: it could not download the audio); the next attempt submits afresh.
            await ForgetBatchAsync(job, lease);
            throw new InvalidOperationException($"Azure batch transcription {status.Status}: {status.Error ?? "no reason given"}");
        }
        var phrases = await batch.ResultAsync(status.Files, ct);
        await StoreAsync(job, lease, phrases, ct);
        try
        {
            await batch.DeleteAsync(azureJob, ct);
        }
        catch (HttpRequestException ex)
        {
            logger.LogWarning(ex, "Could not delete Azure batch transcription {Job}; its time to live deletes it", azureJob);
        }
        return true;
    }

    private async Task WaitForBatchAsync(ClaimedJob job, Guid lease, string azureJob, bool refundAttempt)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE transcription_jobs SET batch_url = @job, lease_token = NULL, lease_until = NULL, next_attempt_at = @next,
                attempts = attempts - CASE WHEN @refund THEN 1 ELSE 0 END, last_error = NULL
            WHERE id = @id AND lease_token = @lease
            """);
        cmd.Parameters.AddWithValue("job", azureJob);
        cmd.Parameters.AddWithValue("next", clock.GetUtcNow() + options.Value.BatchPollInterval);
        cmd.Parameters.AddWithValue("refund", refundAttempt);
        cmd.Parameters.AddWithValue("id", job.Id);
        cmd.Parameters.AddWithValue("lease", lease);
        await cmd.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private async Task ForgetBatchAsync(ClaimedJob job, Guid lease)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE transcription_jobs SET batch_url = NULL, audio_link_hash = NULL, audio_link_expires_at = NULL WHERE id = @id AND lease_token = @lease
            """);
        cmd.Parameters.AddWithValue("id", job.Id);
        cmd.Parameters.AddWithValue("lease", lease);
        await cmd.ExecuteNonQueryAsync(CancellationToken.None);
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
                .SetProperty(j => j.LastError, (string?)null).SetProperty(j => j.BatchUrl, (string?)null)
                .SetProperty(j => j.AudioLinkHash, (string?)null).SetProperty(j => j.AudioLinkExpiresAt, (DateTimeOffset?)null), ct);
        if (finished != 1) throw new InvalidOperationException($"Lost the lease on the transcription of recording #{job.ArchiveNumber}.");
        await db.TranscriptPhrases.Where(p => p.ArchiveNumber == job.ArchiveNumber).ExecuteDeleteAsync(ct);
        db.TranscriptPhrases.AddRange(WithNextText(phrases).Select(x => new TranscriptPhrase
        {
            ArchiveNumber = job.ArchiveNumber, CallSid = job.CallSid, Channel = x.Phrase.Channel, Speaker = x.Phrase.Speaker, OffsetMs = x.Phrase.OffsetMs,
            DurationMs = x.Phrase.DurationMs, Locale = x.Phrase.Locale, Text = Cut(x.Phrase.Text), Confidence = x.Phrase.Confidence,
            NextText = x.Next is null ? null : Cut(x.Next),
        }));
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        metrics.Jobs.Add(1, new KeyValuePair<string, object?>("outcome", "done"));
        logger.LogInformation("Recording #{ArchiveNumber} transcribed: {Phrases} phrases", job.ArchiveNumber, phrases.Count);
    }

    private static string Cut(string text) => text.Length > 4000 ? text[..4000] : text;

    /// <summary>A longer silence ends what was said; only phrases closer than this are searched as one.</summary>
    internal const int MaxJoinedPauseMs = 2_000;

    /// <summary>
    /// Each phrase with the text of the one that follows it on the same channel from the same speaker after a short pause:
    /// Azure cuts speech at pauses, and words said across a cut are searchable only as the pair (the migration fills
    /// earlier transcripts by the same rule).
    /// </summary>
    internal static IEnumerable<(RecognisedPhrase Phrase, string? Next)> WithNextText(IReadOnlyList<RecognisedPhrase> phrases) =>
        phrases.GroupBy(p => p.Channel).SelectMany(channel =>
        {
            var ordered = channel.OrderBy(p => p.OffsetMs).ToList();
            return ordered.Select((p, i) => (p, i + 1 < ordered.Count && ordered[i + 1].Speaker == p.Speaker
                && ordered[i + 1].OffsetMs - (p.OffsetMs + p.DurationMs) <= MaxJoinedPauseMs ? ordered[i + 1].Text : null));
        });

    private async Task ReleaseAsync(ClaimedJob job, Guid token, bool giveUp, TimeSpan delay, Exception error)
    {
        try
        {
            // A job given up takes its audio link with it: nobody downloads that recording through it any more.
            await using var cmd = dataSource.CreateCommand("""
                UPDATE transcription_jobs SET lease_token = NULL, lease_until = NULL, next_attempt_at = @next, last_error = @error,
                    state = CASE WHEN @giveUp THEN 'failed' ELSE state END,
                    audio_link_hash = CASE WHEN @giveUp THEN NULL ELSE audio_link_hash END,
                    audio_link_expires_at = CASE WHEN @giveUp THEN NULL ELSE audio_link_expires_at END
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
