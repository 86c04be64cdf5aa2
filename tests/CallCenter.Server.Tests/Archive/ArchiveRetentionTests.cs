using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.Staff;

namespace CallCenter.Server.Tests.Archive;

/// <summary>Five years on: expired recordings are destroyed with a tombstone; legal holds stop that.</summary>
public sealed class ArchiveRetentionTests
{
    [Test]
    public async Task A_call_on_legal_hold_survives_a_sweep_five_years_later_and_an_expired_one_is_gone_with_its_tombstone()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var (held, heldMedia) = await h.ArchivedCallAsync(length: 70_000);
        var (expired, _) = await h.ArchivedCallAsync(length: 70_000);
        var supervisor = await h.StaffAsync(StaffRole.Supervisor);
        using var placed = await supervisor.PostAsJsonAsync("/api/archive/legal-holds",
            new { reason = "Court order 2026-117: customer dispute", callSids = new[] { held.CallSid, "CA" + new string('0', 32) } });
        Assert.That(placed.StatusCode, Is.EqualTo(HttpStatusCode.Created), await placed.Content.ReadAsStringAsync());
        var holdUrl = placed.Headers.Location!.ToString();

        // Five years on the server restarts (advancing a running server's fake clock would fire every periodic timer for five years).
        await h.RestartAsync(TimeSpan.FromDays((5 * 365) + 2));
        var dry = await h.Sweep.RunAsync(h.Clock.GetUtcNow(), dryRun: true, batchSize: 100, CancellationToken.None);
        Assert.That((dry.Destroyed, dry.HeldBack), Is.EqualTo((1L, 1L)));
        Assert.That(h.FilesOf(expired.RecordingSid), Has.Length.EqualTo(1), "a dry run destroys nothing");

        var report = await h.Sweep.RunAsync(h.Clock.GetUtcNow(), dryRun: false, batchSize: 100, CancellationToken.None);
        Assert.That((report.Destroyed, report.HeldBack, report.FilesDeleted), Is.EqualTo((1L, 1L, 1L)));

        var tombstone = await h.CatalogueAsync(expired.RecordingSid);
        Assert.Multiple(() =>
        {
            Assert.That(tombstone!.DestroyedAt, Is.EqualTo(h.Clock.GetUtcNow()));
            Assert.That(tombstone.DestroyedUnder, Is.EqualTo(expired.RetentionRule));
            Assert.That(tombstone.WrappedDataKey, Is.Null);
            Assert.That(tombstone.StorageKey, Is.Null);
            Assert.That(tombstone.Sha256, Is.EqualTo(expired.Sha256), "the tombstone still says what was destroyed");
            Assert.That(h.FilesOf(expired.RecordingSid), Is.Empty);
        });

        var stillHeld = await h.CatalogueAsync(held.RecordingSid);
        Assert.That(stillHeld!.DestroyedAt, Is.Null);
        var qa = await h.StaffAsync(StaffRole.Quality);
        Assert.That(await qa.GetByteArrayAsync($"/api/archive/recordings/{held.ArchiveNumber}/audio"), Is.EqualTo(heldMedia));
        using (var gone = await qa.GetAsync($"/api/archive/recordings/{expired.ArchiveNumber}/audio"))
            Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        var laterSupervisor = await h.StaffAsync(StaffRole.Supervisor);
        using (var release = await laterSupervisor.PostAsync(holdUrl + "/release", null))
            release.EnsureSuccessStatusCode();
        var after = await h.Sweep.RunAsync(h.Clock.GetUtcNow(), dryRun: false, batchSize: 100, CancellationToken.None);
        Assert.That(after.Destroyed, Is.EqualTo(1));
        Assert.That(h.FilesOf(held.RecordingSid), Is.Empty);
    }

    [Test]
    public async Task Nothing_is_destroyed_a_day_before_five_years()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var (row, _) = await h.ArchivedCallAsync(length: 5_000);
        var dayBefore = row.CallStartedAt.AddYears(5).AddDays(-1);
        var report = await h.Sweep.RunAsync(dayBefore, dryRun: false, batchSize: 100, CancellationToken.None);
        Assert.That(report.Destroyed, Is.Zero);
        Assert.That(h.FilesOf(row.RecordingSid), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task An_agent_cannot_place_a_legal_hold()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var agent = await h.StaffAsync(StaffRole.Agent);
        using var response = await agent.PostAsJsonAsync("/api/archive/legal-holds", new { reason = "x", callSids = new[] { "CA1" } });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task The_database_refuses_to_delete_catalogue_rows()
    {
        await using var h = await ArchiveHarness.StartAsync();
        await h.ArchivedCallAsync(length: 5_000);
        await using var cmd = h.Database.DataSource.CreateCommand("DELETE FROM archived_recordings");
        Assert.That(async () => await cmd.ExecuteNonQueryAsync(), Throws.InstanceOf<Npgsql.PostgresException>().With.Message.Contains("keeps every row"));
    }
}
