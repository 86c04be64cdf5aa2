using System.Diagnostics.Metrics;
using System.Net;
using CallCenter.Core.Archive;
using CallCenter.Server.Archive;
using CallCenter.Server.Telemetry;
using CallCenter.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace CallCenter.Server.Tests.Archive;

/// <summary>Recording status callback → durable job → Twilio download → sealed file → catalogue → deletion at Twilio.</summary>
public sealed class ArchiveIngestTests
{
    [Test]
    public async Task A_completed_recording_is_archived_sealed_catalogued_and_then_deleted_at_Twilio()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var callSid = await h.AnsweredCallAsync(agent: "A2001", queue: "cards");
        var media = ArchiveHarness.Wav(300_000);
        var sid = h.TwilioHolds(media);

        await h.PostRecordingCallbackAsync(callSid, sid);
        Assert.That(await h.Ingestor.ProcessDueAsync(CancellationToken.None), Is.EqualTo(1));

        var row = await h.CatalogueAsync(sid);
        Assert.That(row, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(row!.CallSid, Is.EqualTo(callSid));
            Assert.That(row.Agent, Is.EqualTo("A2001"));
            Assert.That(row.Queue, Is.EqualTo("cards"));
            Assert.That(row.Category, Is.EqualTo(nameof(CallCategory.Service)));
            Assert.That(row.SizeBytes, Is.EqualTo(media.Length));
            Assert.That(row.Sha256, Is.EqualTo(System.Security.Cryptography.SHA256.HashData(media)));
            Assert.That(row.KeyId, Is.EqualTo("k1"));
            Assert.That(row.Channels, Is.EqualTo(2));
            Assert.That(row.DurationSeconds, Is.EqualTo(42));
            Assert.That(row.RetainUntil, Is.EqualTo(CallCenterServerFactory.DefaultNow.AddYears(5)));
            Assert.That(h.TwilioDeletions(sid), Is.EqualTo(1));
        });
        var file = h.FilesOf(sid).Single();
        var stored = await File.ReadAllBytesAsync(file);
        Assert.That(stored.AsSpan().IndexOf(media.AsSpan(100, 64)), Is.EqualTo(-1), "the file holds no plaintext");
        Assert.That(await DecryptAsync(h, row!, file), Is.EqualTo(media));
        Assert.That((await h.JobAsync(sid)).State, Is.EqualTo(ArchiveJobState.Done));
    }

    [Test]
    public async Task Archive_numbers_are_sequential_without_gaps()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var numbers = new List<long>();
        for (var i = 0; i < 3; i++) numbers.Add((await h.ArchivedCallAsync(length: 5_000)).Row.ArchiveNumber);
        Assert.That(numbers, Is.EqualTo(new long[] { 1, 2, 3 }));
    }

    [Test]
    public async Task A_repeated_callback_makes_one_job_and_an_unsigned_one_none()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var callSid = await h.AnsweredCallAsync();
        var sid = h.TwilioHolds(ArchiveHarness.Wav(10_000));
        var twilio = h.Server.CreateTwilioClient();
        using (var forged = await twilio.PostAsync("/twilio/voice/recording", ArchiveHarness.RecordingCallback(callSid, sid), signature: "bad"))
            Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await h.Ingestor.ProcessDueAsync(CancellationToken.None), Is.Zero, "a forged callback queues nothing");

        await h.PostRecordingCallbackAsync(callSid, sid);
        await h.PostRecordingCallbackAsync(callSid, sid);
        Assert.That(await h.Ingestor.ProcessDueAsync(CancellationToken.None), Is.EqualTo(1));
        await h.PostRecordingCallbackAsync(callSid, sid);
        Assert.That(await h.Ingestor.ProcessDueAsync(CancellationToken.None), Is.Zero);
        Assert.That(h.FilesOf(sid), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task A_complaint_call_is_kept_five_years_under_its_own_category()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var (row, _) = await h.ArchivedCallAsync(complaint: true, length: 5_000);
        Assert.That(row.Category, Is.EqualTo(nameof(CallCategory.Complaint)));
        Assert.That(row.RetainUntil, Is.GreaterThanOrEqualTo(row.CallStartedAt.AddYears(5)));
        Assert.That(row.RetentionRule, Does.Contain("Complaint 5 years"));
    }

    [Test]
    public async Task Twilio_failing_the_download_leaves_nothing_and_the_job_retries_with_backoff()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var callSid = await h.AnsweredCallAsync();
        var sid = ArchiveHarness.NewRecordingSid(); // Twilio answers 404 for it: WireMock knows nothing of it yet
        await h.PostRecordingCallbackAsync(callSid, sid);

        Assert.That(await h.Ingestor.ProcessOneAsync(CancellationToken.None), Is.False);
        var job = await h.JobAsync(sid);
        Assert.Multiple(() =>
        {
            Assert.That(job.State, Is.EqualTo(ArchiveJobState.Pending));
            Assert.That(job.LastError, Does.Contain("404"));
            Assert.That(job.NextAttemptAt, Is.EqualTo(h.Clock.GetUtcNow() + TimeSpan.FromSeconds(30)));
            Assert.That(h.FilesOf(sid), Is.Empty);
        });
        Assert.That(await h.Ingestor.ProcessOneAsync(CancellationToken.None), Is.Null, "not due before its backoff");

        var media = ArchiveHarness.Wav(20_000);
        h.TwilioHoldsRecording(sid, media);
        h.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.That(await h.Ingestor.ProcessOneAsync(CancellationToken.None), Is.True);
        Assert.That((await h.CatalogueAsync(sid))!.SizeBytes, Is.EqualTo(media.Length));
    }

    [Test]
    public async Task The_backlog_gauge_counts_recordings_still_waiting_to_be_archived()
    {
        await using var h = await ArchiveHarness.StartAsync();
        using var backlog = new MetricCollector<long>(h.Server.Services.GetRequiredService<IMeterFactory>(), CallCenterTelemetry.Name, "callcenter.archive.backlog");
        var sid = ArchiveHarness.NewRecordingSid(); // Twilio answers 404 until it holds the media
        await h.PostRecordingCallbackAsync(await h.AnsweredCallAsync(), sid);

        await h.Ingestor.ProcessDueAsync(CancellationToken.None);
        backlog.RecordObservableInstruments();
        Assert.That(backlog.LastMeasurement?.Value, Is.EqualTo(1), "the failed download waits for its retry");

        h.TwilioHoldsRecording(sid, ArchiveHarness.Wav(20_000));
        h.Clock.Advance(TimeSpan.FromSeconds(31));
        await h.Ingestor.ProcessDueAsync(CancellationToken.None);
        backlog.RecordObservableInstruments();
        Assert.That(backlog.LastMeasurement?.Value, Is.Zero);
    }

    [Test]
    public async Task A_job_leased_by_a_dead_instance_is_taken_over_when_the_lease_runs_out()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var callSid = await h.AnsweredCallAsync();
        var sid = h.TwilioHolds(ArchiveHarness.Wav(10_000));
        await h.PostRecordingCallbackAsync(callSid, sid);
        // Another instance claimed it and died holding the lease.
        await using (var cmd = h.Database.DataSource.CreateCommand(
            "UPDATE archive_jobs SET lease_token = gen_random_uuid(), lease_until = @until, attempts = 1 WHERE recording_sid = @sid"))
        {
            cmd.Parameters.AddWithValue("until", h.Clock.GetUtcNow() + TimeSpan.FromMinutes(10));
            cmd.Parameters.AddWithValue("sid", sid);
            await cmd.ExecuteNonQueryAsync();
        }
        Assert.That(await h.Ingestor.ProcessOneAsync(CancellationToken.None), Is.Null, "still leased");
        h.Clock.Advance(TimeSpan.FromMinutes(10));
        Assert.That(await h.Ingestor.ProcessOneAsync(CancellationToken.None), Is.True);
        Assert.That((await h.JobAsync(sid)).Attempts, Is.EqualTo(2));
    }

    [Test]
    public async Task Several_workers_archive_each_recording_exactly_once()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var sids = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var callSid = await h.AnsweredCallAsync();
            var sid = h.TwilioHolds(ArchiveHarness.Wav(30_000));
            await h.PostRecordingCallbackAsync(callSid, sid);
            sids.Add(sid);
        }
        var attempts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => h.Ingestor.ProcessDueAsync(CancellationToken.None))));
        Assert.That(attempts.Sum(), Is.EqualTo(12));
        foreach (var sid in sids)
        {
            Assert.That(h.FilesOf(sid), Has.Length.EqualTo(1), sid);
            Assert.That(h.TwilioDeletions(sid), Is.EqualTo(1), sid);
        }
    }

    [Test]
    public async Task Twilio_keeps_its_copy_while_ours_does_not_read_back_as_catalogued()
    {
        await using var h = await ArchiveHarness.StartAsync(new CrashAt(IngestStep.Catalogued));
        var callSid = await h.AnsweredCallAsync();
        var sid = h.TwilioHolds(ArchiveHarness.Wav(100_000));
        await h.PostRecordingCallbackAsync(callSid, sid);
        Assert.That(await h.Ingestor.ProcessOneAsync(CancellationToken.None), Is.False);
        var file = h.FilesOf(sid).Single();
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[50_000] ^= 0x04;
        await File.WriteAllBytesAsync(file, bytes);

        await h.RestartAsync(TimeSpan.FromHours(1));
        Assert.That(await h.Ingestor.ProcessOneAsync(CancellationToken.None), Is.False);
        Assert.That(h.TwilioDeletions(sid), Is.Zero);
        var job = await h.JobAsync(sid);
        Assert.That((job.State, job.LastError), Is.EqualTo((ArchiveJobState.Archived, "AuthenticationTagMismatchException: The computed authentication tag did not match the input authentication tag.")));
    }

    /// <summary>The server dies after each step in turn; a restarted server finishes, leaving exactly one good copy.</summary>
    [TestCaseSource(nameof(EveryStep))]
    public async Task A_crash_after_any_step_still_ends_with_exactly_one_good_copy(IngestStep crashAfter)
    {
        await using var h = await ArchiveHarness.StartAsync(new CrashAt(crashAfter));
        var callSid = await h.AnsweredCallAsync();
        var media = ArchiveHarness.Wav(RecordingEnvelope.DefaultChunkSize * 3 + 123);
        var sid = h.TwilioHolds(media);
        await h.PostRecordingCallbackAsync(callSid, sid);

        Assert.That(await h.Ingestor.ProcessOneAsync(CancellationToken.None), Is.False, "the crash interrupts the first attempt");
        var afterCrash = await h.CatalogueAsync(sid);
        if (afterCrash is not null)
            Assert.That(h.FilesOf(sid), Does.Contain(Path.Combine(h.StorageDirectory, afterCrash.StorageKey!)), "a catalogue row always has its file");
        Assert.That(h.FilesOf(sid).Where(f => f.EndsWith(LocalFolderArchiveStorage.TempSuffix, StringComparison.Ordinal)), Is.Empty,
            "no half-written file survives");

        await h.RestartAsync(TimeSpan.FromHours(1));
        Assert.That(await h.Ingestor.ProcessDueAsync(CancellationToken.None), Is.EqualTo(1));

        var row = await h.CatalogueAsync(sid);
        var file = h.FilesOf(sid).Single();
        Assert.Multiple(() =>
        {
            Assert.That(file, Is.EqualTo(Path.Combine(h.StorageDirectory, row!.StorageKey!)));
            Assert.That(row.ArchiveNumber, Is.EqualTo(1));
            Assert.That(h.TwilioDeletions(sid), Is.GreaterThanOrEqualTo(1));
        });
        Assert.That(await DecryptAsync(h, row!, file), Is.EqualTo(media));
        Assert.That((await h.JobAsync(sid)).State, Is.EqualTo(ArchiveJobState.Done));
    }

    private static IngestStep[] EveryStep() => Enum.GetValues<IngestStep>();

    private static async Task<byte[]> DecryptAsync(ArchiveHarness h, ArchivedRecording row, string file)
    {
        var key = h.Server.Services.GetRequiredService<ArchiveKeyRing>().Unwrap(row.KeyId, row.WrappedDataKey!, row.RecordingSid);
        await using var plain = new RecordingDecryptStream(File.OpenRead(file), key);
        using var copy = new MemoryStream();
        await plain.CopyToAsync(copy);
        return copy.ToArray();
    }
}
