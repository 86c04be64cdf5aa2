using System.Net;
using System.Net.Http.Headers;
using CallCenter.Server.Archive;
using CallCenter.Server.Staff;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Tests.Archive;

/// <summary>The archive in an S3-compatible bucket: the same guarantees as the local folder, over PUT and ranged GETs.</summary>
public sealed class S3ArchiveStorageTests
{
    private static S3ArchiveStorage Storage(S3StandIn s3, string prefix = "")
    {
        var options = new ArchiveOptions { Storage = "S3" };
        var settings = s3.Settings(prefix);
        (options.S3.ServiceUrl, options.S3.Bucket, options.S3.Prefix, options.S3.AccessKey, options.S3.SecretKey) =
            (new Uri(settings["Archive:S3:ServiceUrl"]), S3StandIn.Bucket, prefix, "k", "s");
        return new S3ArchiveStorage(Options.Create(options));
    }

    [Test]
    public async Task An_object_appears_only_when_committed_whole_and_reads_back_from_any_position()
    {
        using var s3 = new S3StandIn();
        using var storage = Storage(s3, prefix: "bank-a");
        var bytes = new byte[2_500_000];
        new Random(3).NextBytes(bytes);

        await using (var abandoned = await storage.CreateAsync("2026/11/28/RE1.a.ccrec", CancellationToken.None))
            await abandoned.Content.WriteAsync(bytes.AsMemory(0, 1000));
        await using (var write = await storage.CreateAsync("2026/11/28/RE1.b.ccrec", CancellationToken.None))
        {
            await write.Content.WriteAsync(bytes);
            Assert.That(s3.Keys, Is.Empty, "nothing is in the bucket before the commit");
            await write.CommitAsync(CancellationToken.None);
        }

        Assert.That(s3.Keys, Is.EqualTo(new[] { "bank-a/2026/11/28/RE1.b.ccrec" }));
        Assert.That(await storage.OpenReadAsync("2026/11/28/RE1.a.ccrec", CancellationToken.None), Is.Null);
        Assert.That(await storage.ListAsync("2026/11/28", "RE1.", CancellationToken.None), Is.EqualTo(new[] { "2026/11/28/RE1.b.ccrec" }));
        await using (var read = (await storage.OpenReadAsync("2026/11/28/RE1.b.ccrec", CancellationToken.None))!)
        {
            Assert.That(read.Length, Is.EqualTo(bytes.Length));
            // Across the 1 MiB fetch blocks, backwards and forwards.
            foreach (var (at, length) in new[] { (2_000_000, 300_000), (1_048_000, 1_000), (0, 10), (2_499_990, 10) })
            {
                read.Position = at;
                var got = new byte[length];
                await read.ReadExactlyAsync(got);
                Assert.That(got, Is.EqualTo(bytes[at..(at + length)]), $"{length} bytes at {at}");
            }
        }

        await storage.DeleteAsync("2026/11/28/RE1.b.ccrec", CancellationToken.None);
        await storage.DeleteAsync("2026/11/28/RE1.b.ccrec", CancellationToken.None);
        Assert.That(s3.Keys, Is.Empty);
        Assert.Throws<ArgumentException>(() => storage.CreateAsync("../escape.ccrec", CancellationToken.None));
    }

    [Test]
    public async Task A_recording_archived_to_S3_plays_by_range_and_a_flipped_byte_in_the_bucket_is_reported()
    {
        using var s3 = new S3StandIn();
        await using var h = await ArchiveHarness.StartAsync(settings: s3.Settings());
        var (row, media) = await h.ArchivedCallAsync(length: 200_000);
        var qa = await h.StaffAsync(StaffRole.Quality);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/archive/recordings/{row.ArchiveNumber}/audio");
        request.Headers.Range = new RangeHeaderValue(130_000, 140_999);
        using var partial = await qa.SendAsync(request);
        var clean = await h.Integrity.RunAsync(CancellationToken.None);
        s3.Corrupt(row.StorageKey!, 70_000);
        var afterRot = await h.Integrity.RunAsync(CancellationToken.None);

        Assert.That(s3.Keys, Is.EqualTo(new[] { row.StorageKey }));
        Assert.That(Directory.Exists(h.StorageDirectory) ? Directory.GetFiles(h.StorageDirectory, "*", SearchOption.AllDirectories) : [], Is.Empty,
            "nothing lands in the local folder");
        Assert.That(partial.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(await partial.Content.ReadAsByteArrayAsync(), Is.EqualTo(media[130_000..141_000]));
        Assert.That(clean.Healthy, Is.True);
        Assert.That(afterRot.Problems.Select(p => (p.ArchiveNumber, p.Kind)), Is.EqualTo(new[] { (row.ArchiveNumber, ArchiveIntegrityCheck.Corrupt) }));
    }
}
