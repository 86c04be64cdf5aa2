using System.Diagnostics;
using CallCenter.Server.Backup;
using Microsoft.Extensions.Logging.Abstractions;

namespace CallCenter.Server.Tests.Backup;

/// <summary>
/// One primary with three batches of calls and recordings: before the base backup, between it and the recovery
/// target, and after the target. Each drill restores into its own fresh cluster.
/// </summary>
public sealed class RestoreDrillTests
{
    private const int CallsBefore = 40, CallsBetween = 25, CallsAfter = 10, EventsPerCall = 3;
    private DrillCluster _cluster = null!;
    private DateTimeOffset _target;

    [OneTimeSetUp]
    public async Task StartPrimaryAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = timeout.Token;
        var clock = Stopwatch.StartNew();
        _cluster = await DrillCluster.StartAsync(ct);
        await _cluster.AddCallsAsync("A", CallsBefore, ct);
        await _cluster.AddRecordingsAsync(3, ct);
        await _cluster.BaseBackupAsync(ct);
        await _cluster.AddCallsAsync("B", CallsBetween, ct);
        await _cluster.AddRecordingsAsync(2, ct);
        _target = await _cluster.NowAsync(ct);
        await _cluster.AddCallsAsync("C", CallsAfter, ct);
        await _cluster.AddRecordingsAsync(1, ct);
        await _cluster.ArchiveCurrentWalAsync(ct);
        TestContext.Progress.WriteLine($"backup drill primary ready in {clock.Elapsed.TotalSeconds:F1} s (target {_target:o})");
    }

    [OneTimeTearDown]
    public async Task StopPrimaryAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
    }

    private static void Describe(RestoreDrillReport report) =>
        TestContext.Out.WriteLine($"drill: restore {report.RestoreSeconds:F1} s, replay {report.RecoverySeconds:F1} s, checks {report.CheckSeconds:F1} s; " +
            $"problems: {string.Join(" / ", report.Problems)}");

    [Test]
    [CancelAfter(120_000)]
    public async Task Drill_restores_to_the_point_in_time_and_every_check_passes(CancellationToken ct)
    {
        var replica = Path.Combine(_cluster.Root, "replica-" + Guid.NewGuid().ToString("N")[..8]);
        var replicated = await new RecordingReplicator(_cluster.DataSource, new Server.Archive.LocalFolderArchiveStorage(_cluster.Recordings), replica,
            new Server.Archive.ArchiveKeyRing(_cluster.Archive), NullLogger.Instance).RunAsync(ct);

        var report = await new RestoreDrill(_cluster.DrillOptions(_target, stores: [_cluster.Recordings, replica])).RunAsync(ct);

        Describe(report);
        Assert.That(replicated.Healthy, Is.True, string.Join("; ", replicated.Problems));
        Assert.That(report.Problems, Is.Empty);
        Assert.That(report.Passed, Is.True);
        Assert.That(report.RowCounts["call_events"], Is.EqualTo((CallsBefore + CallsBetween) * EventsPerCall));
        Assert.That(report.RowCounts["archived_recordings"], Is.EqualTo(5));
        Assert.That(report.EventsChained, Is.EqualTo((CallsBefore + CallsBetween) * EventsPerCall));
        Assert.That(report.RecordingsChecked, Is.EqualTo(5));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Drill_without_a_target_replays_everything_archived(CancellationToken ct)
    {
        var report = await new RestoreDrill(_cluster.DrillOptions(target: null)).RunAsync(ct);

        Describe(report);
        Assert.That(report.Problems, Is.Empty);
        Assert.That(report.RowCounts["call_events"], Is.EqualTo((CallsBefore + CallsBetween + CallsAfter) * EventsPerCall));
        Assert.That(report.RowCounts["archived_recordings"], Is.EqualTo(6));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Drill_fails_loudly_when_a_wal_segment_is_missing_from_both_locations(CancellationToken ct)
    {
        var backups = await _cluster.CopyAsync(_cluster.Backups, ct);
        var offsite = await _cluster.CopyAsync(_cluster.Offsite, ct);
        // The segment right after the base backup's start: replay cannot get past it to the target.
        var info = File.ReadAllText(Directory.GetFiles(Path.Combine(backups, "base"), "backup.info", SearchOption.AllDirectories).Single());
        var startWal = System.Text.RegularExpressions.Regex.Match(info, "\"startWal\":\"([0-9A-F]{24})\"").Groups[1].Value;
        var lost = Directory.GetFiles(Path.Combine(backups, "wal"), "*.enc").Select(f => Path.GetFileName(f)[..^4])
            .Where(n => n.Length == 24 && string.CompareOrdinal(n, startWal) > 0).Order(StringComparer.Ordinal).First();
        foreach (var location in new[] { backups, offsite })
        {
            File.Delete(Path.Combine(location, "wal", lost + ".enc"));
            File.Delete(Path.Combine(location, "wal", lost + ".enc.sha256"));
        }

        var report = await new RestoreDrill(_cluster.DrillOptions(_target, backups, offsite)).RunAsync(ct);

        Describe(report);
        Assert.That(report.Passed, Is.False);
        Assert.That(report.Problems.Single(), Does.StartWith("recovery failed"));
        Assert.That(report.Problems.Single(), Does.Contain(lost).And.Contain("recovery ended before configured recovery target was reached"));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Drill_reads_a_wal_segment_lost_in_the_first_location_from_the_second()
    {
        var ct = TestContext.CurrentContext.CancellationToken;
        var backups = await _cluster.CopyAsync(_cluster.Backups, ct);
        foreach (var segment in Directory.GetFiles(Path.Combine(backups, "wal"), "*.enc")) File.Delete(segment);

        var report = await new RestoreDrill(_cluster.DrillOptions(_target, backups)).RunAsync(ct);

        Describe(report);
        Assert.That(report.Problems, Is.Empty);
        Assert.That(report.RowCounts["call_events"], Is.EqualTo((CallsBefore + CallsBetween) * EventsPerCall));
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Drill_fails_loudly_when_an_archived_recording_file_is_missing(CancellationToken ct)
    {
        var store = await _cluster.CopyAsync(_cluster.Recordings, ct);
        File.Delete(Directory.GetFiles(store, "RE*00002.ccrec", SearchOption.AllDirectories).Single());

        var report = await new RestoreDrill(_cluster.DrillOptions(_target, stores: [store])).RunAsync(ct);

        Describe(report);
        Assert.That(report.Passed, Is.False);
        Assert.That(report.Problems.Single(), Does.StartWith("MISSING: recording #2 "));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Drill_refuses_a_base_backup_whose_checksum_does_not_match(CancellationToken ct)
    {
        var backups = await _cluster.CopyAsync(_cluster.Backups, ct);
        var tarball = Directory.GetFiles(Path.Combine(backups, "base"), "base.tar.gz.enc", SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(tarball, ct);
        bytes[bytes.Length / 2] ^= 0xff;
        await File.WriteAllBytesAsync(tarball, bytes, ct);

        var report = await new RestoreDrill(_cluster.DrillOptions(_target, backups)).RunAsync(ct);

        Assert.That(report.Passed, Is.False);
        Assert.That(report.Problems.Single(), Does.Contain("base.tar.gz.enc fails its SHA-256"));
    }
}
