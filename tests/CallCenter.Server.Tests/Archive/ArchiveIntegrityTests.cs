using CallCenter.Server.Archive;

namespace CallCenter.Server.Tests.Archive;

/// <summary>The integrity check re-reads every archived file and the call log's hash chain.</summary>
public sealed class ArchiveIntegrityTests
{
    [Test]
    public async Task A_corrupted_file_and_a_missing_file_are_reported_and_intact_ones_are_not()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var (intact, _) = await h.ArchivedCallAsync(length: 100_000);
        var (corrupted, _) = await h.ArchivedCallAsync(length: 100_000);
        var (missing, _) = await h.ArchivedCallAsync(length: 100_000);

        var clean = await h.Integrity.RunAsync(CancellationToken.None);
        Assert.That((clean.RecordingsChecked, clean.Healthy), Is.EqualTo((3L, true)));

        var path = Path.Combine(h.StorageDirectory, corrupted.StorageKey!);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[70_000] ^= 0x01; // one bit, in the middle of the second chunk
        await File.WriteAllBytesAsync(path, bytes);
        File.Delete(Path.Combine(h.StorageDirectory, missing.StorageKey!));

        var report = await h.Integrity.RunAsync(CancellationToken.None);
        Assert.That(report.Healthy, Is.False);
        Assert.That(report.Problems.Select(p => (p.ArchiveNumber, p.Kind)), Is.EquivalentTo(new[]
        {
            (corrupted.ArchiveNumber, ArchiveIntegrityCheck.Corrupt),
            (missing.ArchiveNumber, ArchiveIntegrityCheck.Missing),
        }));
        Assert.That(report.CallLog.FirstViolation, Is.Null);
        Assert.That(report.CallLog.EventsChecked, Is.GreaterThan(0), "the call log's chain is walked too");
        Assert.That(report.Problems.Select(p => p.ArchiveNumber), Does.Not.Contain(intact.ArchiveNumber));
    }
}
