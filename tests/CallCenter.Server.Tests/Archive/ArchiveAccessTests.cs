using System.Net;
using System.Net.Http.Headers;
using CallCenter.Server.Archive;
using CallCenter.Server.Data;
using CallCenter.Server.Outbound;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Archive;

/// <summary>Playback, download and export: QA staff and supervisors only, every attempt in the access log.</summary>
public sealed class ArchiveAccessTests
{
    [Test]
    public async Task An_agent_gets_403_and_the_attempt_is_audited()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var (row, _) = await h.ArchivedCallAsync(length: 5_000);
        var agent = await h.StaffAsync(StaffRole.Agent);
        agent.DefaultRequestHeaders.UserAgent.ParseAdd("curious-agent/1.0");

        using var response = await agent.GetAsync($"/api/archive/recordings/{row.ArchiveNumber}/audio");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));

        var entry = (await h.AccessLogAsync(row.ArchiveNumber)).Single();
        Assert.Multiple(() =>
        {
            Assert.That(entry.Result, Is.EqualTo("refused"));
            Assert.That(entry.Action, Is.EqualTo(RecordingAccess.Play));
            Assert.That(entry.Role, Is.EqualTo(nameof(StaffRole.Agent)));
            Assert.That(entry.WorkNumber, Does.StartWith("T"));
            Assert.That(entry.UserAgent, Is.EqualTo("curious-agent/1.0"));
            Assert.That(entry.OccurredAt, Is.EqualTo(h.Clock.GetUtcNow()));
        });
    }

    [Test]
    public async Task The_agent_who_took_a_callback_plays_the_callers_message_and_nothing_else_every_attempt_audited()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var (message, _) = await h.ArchivedCallAsync(length: 5_000);
        var (other, _) = await h.ArchivedCallAsync(length: 5_000);
        var workNumber = await h.Server.Services.CreateStaffAsync(StaffRole.Agent);
        var agent = (await AgentConsole.SignInAsync(h.Server.CreateClient(), workNumber)).Http;
        var colleague = await h.StaffAsync(StaffRole.Agent);
        await using (var scope = h.Server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
            db.Callbacks.Add(new Callback
            {
                Id = CallbackWorker.NewId(), Kind = CallbackKind.Voicemail, OriginCallSid = message.CallSid, Number = "+8613900000001",
                LineNumber = TwilioForms.BankHotline, Queue = "general", EnteredAt = h.Clock.GetUtcNow(), TimeZone = "Asia/Shanghai",
                Status = CallbackStatus.Dialling, Agent = workNumber, MessageRecordingSid = message.RecordingSid, CreatedBy = "system",
            });
            await db.SaveChangesAsync();
        }

        using var plays = await agent.GetAsync($"/api/archive/recordings/{message.ArchiveNumber}/audio");
        using var notThatOne = await agent.GetAsync($"/api/archive/recordings/{other.ArchiveNumber}/audio");
        using var noDownload = await agent.GetAsync($"/api/archive/recordings/{message.ArchiveNumber}/download");
        using var notTheirs = await colleague.GetAsync($"/api/archive/recordings/{message.ArchiveNumber}/audio");
        var log = await h.AccessLogAsync(message.ArchiveNumber);

        Assert.Multiple(() =>
        {
            Assert.That(plays.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(notThatOne.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "only the message of their own callback");
            Assert.That(noDownload.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "playing, not taking a copy");
            Assert.That(notTheirs.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "another agent did not take the callback");
            Assert.That(log.Select(e => (e.WorkNumber == workNumber, e.Action, e.Result)), Is.EquivalentTo(new[]
            {
                (true, RecordingAccess.Play, "allowed"), (true, RecordingAccess.Download, "refused"), (false, RecordingAccess.Play, "refused"),
            }));
        });
    }

    [Test]
    public async Task An_admin_cannot_listen_either()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var (row, _) = await h.ArchivedCallAsync(length: 5_000);
        var admin = await h.StaffAsync(StaffRole.Admin);
        using var response = await admin.GetAsync($"/api/archive/recordings/{row.ArchiveNumber}/export");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await h.AccessLogAsync(row.ArchiveNumber)).Single().Action, Is.EqualTo(RecordingAccess.Export));
    }

    [Test]
    public async Task QA_plays_any_byte_range_decrypted_on_the_fly_and_each_request_is_audited()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var (row, media) = await h.ArchivedCallAsync(length: 200_000);
        var qa = await h.StaffAsync(StaffRole.Quality);

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/archive/recordings/{row.ArchiveNumber}/audio");
        request.Headers.Range = new RangeHeaderValue(130_000, 140_999); // crosses the boundary between the 2nd and 3rd chunk
        using var partial = await qa.SendAsync(request);
        Assert.That(partial.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(partial.Content.Headers.ContentRange?.ToString(), Is.EqualTo($"bytes 130000-140999/{media.Length}"));
        Assert.That(await partial.Content.ReadAsByteArrayAsync(), Is.EqualTo(media[130_000..141_000]));

        using var whole = await qa.GetAsync($"/api/archive/recordings/{row.ArchiveNumber}/audio");
        Assert.That(whole.Headers.AcceptRanges, Does.Contain("bytes"));
        Assert.That(await whole.Content.ReadAsByteArrayAsync(), Is.EqualTo(media));

        var log = await h.AccessLogAsync(row.ArchiveNumber);
        Assert.That(log.Select(e => (e.Action, e.Result)), Is.EqualTo(new[] { ("play", "allowed"), ("play", "allowed") }));
        Assert.That(log[0].Details, Is.EqualTo("bytes=130000-140999"));
    }

    [Test]
    public async Task A_supervisor_export_carries_the_requester_in_its_file_name_and_in_the_audit()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var (row, media) = await h.ArchivedCallAsync(length: 50_000);
        var workNumber = await h.Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        var supervisor = (await AgentConsole.SignInAsync(h.Server.CreateClient(), workNumber)).Http;

        using var export = await supervisor.GetAsync($"/api/archive/recordings/{row.ArchiveNumber}/export");
        export.EnsureSuccessStatusCode();
        var name = export.Content.Headers.ContentDisposition?.FileNameStar ?? export.Content.Headers.ContentDisposition?.FileName;
        Assert.That(name, Is.EqualTo($"{row.ArchiveNumber:D10}_{row.CallSid}_exported-by-{workNumber}_20261127T090000Z.wav"));
        Assert.That(await export.Content.ReadAsByteArrayAsync(), Is.EqualTo(media));
        var entry = (await h.AccessLogAsync(row.ArchiveNumber)).Single();
        Assert.That((entry.Action, entry.WorkNumber, entry.Details), Is.EqualTo(("export", workNumber, name)));
    }
}
