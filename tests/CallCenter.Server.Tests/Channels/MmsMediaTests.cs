using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Channels;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace CallCenter.Server.Tests.Channels;

/// <summary>
/// MMS: the text reaches the agent at once with its media marked pending; each item is fetched from Twilio's Media
/// resource by a durable job (retried after a failure), sealed in archive storage and opened through an audited link.
/// </summary>
// The fetch queue is one table in the shared test database, and every other test's server runs its own fetch worker on it
// with its own clock and its own Twilio stand-in: one could take an item here, get a 404 from a stand-in that never heard of
// it, and push its next attempt past this test's clock (seen once in a full run: "still Pending after 2 attempts").
[NonParallelizable]
public sealed class MmsMediaTests
{
    private static readonly byte[] Picture = [0xFF, 0xD8, 0xFF, 0xE0, .. "a receipt, photographed at the branch"u8.ToArray(), 0xFF, 0xD9];

    private static string NewCustomer() => "+86136" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string NewMediaSid() => "ME" + Guid.NewGuid().ToString("N");

    private static string MediaPath(string messageSid, string mediaSid) =>
        $"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Messages/{messageSid}/Media/{mediaSid}";

    private static Task<HttpResponseMessage> MmsAsync(ChannelHarness h, string from, string messageSid, string body, params (string Url, string Type)[] media)
    {
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = messageSid,
            ["AccountSid"] = AcdHarness.AccountSid,
            ["From"] = from,
            ["To"] = ChannelHarness.Hotline,
            ["Body"] = body,
            ["NumMedia"] = media.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        for (var i = 0; i < media.Length; i++)
        {
            form[$"MediaUrl{i}"] = media[i].Url;
            form[$"MediaContentType{i}"] = media[i].Type;
        }
        return h.Acd.CreateTwilioClient().PostSignedAsync(SmsWebhook.Path, form);
    }

    /// <summary>Works every due fetch (other tests' items share the queue; the server's own worker may take some) until this item's row satisfies <paramref name="done"/>.</summary>
    private static async Task<ServiceRequestMedia> WorkUntilAsync(ChannelHarness h, string messageSid, Func<ServiceRequestMedia, bool> done)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(100))
        {
            await using (var scope = h.Acd.Server.Services.CreateAsyncScope())
                await scope.ServiceProvider.GetRequiredService<MmsMedia>().ProcessDueAsync(CancellationToken.None);
            var row = await h.DbAsync(db => db.ServiceRequestMedia.AsNoTracking().SingleAsync(m => m.MessageSid == messageSid));
            if (done(row)) return row;
            if (DateTime.UtcNow > deadline) throw new AssertionException($"Media of {messageSid} is still {row.State} after {row.Attempts} attempts.");
        }
    }

    [Test]
    public async Task An_mms_reaches_the_agent_at_once_with_media_pending_and_the_media_is_fetched_after_a_failure_sealed_and_served_audited()
    {
        await using var h = ChannelHarness.At(2027, 6, 1, 10, 0);
        using var agent = await h.Acd.AvailableAgentAsync(("sms", 1));
        var (customer, sid, mediaSid) = (NewCustomer(), "MM" + Guid.NewGuid().ToString("N"), NewMediaSid());
        var path = MediaPath(sid, mediaSid);
        var stub = Guid.NewGuid();
        h.Acd.Twilio.Given(Request.Create().WithPath(path).UsingGet()).WithGuid(stub).RespondWith(Response.Create().WithStatusCode(404));
        var url = "https://api.twilio.com" + path;

        using (var first = await MmsAsync(h, customer, sid, "Here is the receipt for the double charge", (url, "image/jpeg")))
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK), await first.Content.ReadAsStringAsync());
        using (var retried = await MmsAsync(h, customer, sid, "Here is the receipt for the double charge", (url, "image/jpeg")))
            Assert.That(retried.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var reference = await ChannelHarness.OfferedReferenceAsync(agent);
        using (await agent.AcceptAsync(ServiceRequest.StreamOf(reference))) { }

        var pending = await agent.Http.GetFromJsonAsync<JsonElement>($"/api/agent/requests/{reference}", TestJson.Options);
        Assert.That(pending.GetProperty("body").GetString(), Does.Contain("receipt"), "the text does not wait for the media");
        var pendingMedia = pending.GetProperty("media").EnumerateArray().Single();
        Assert.That(pendingMedia.GetProperty("state").GetString(), Is.EqualTo("pending"));
        Assert.That(pendingMedia.GetProperty("url").ValueKind, Is.EqualTo(JsonValueKind.Null));

        var failed = await WorkUntilAsync(h, sid, m => m.Attempts >= 1 && m.LeaseUntil is null);
        Assert.That(failed.State, Is.EqualTo(MediaState.Pending), "a failed fetch waits for the next attempt");
        Assert.That(failed.LastError, Does.Contain("404"));

        h.Acd.Twilio.Given(Request.Create().WithPath(path).UsingGet()).WithGuid(stub)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "image/jpeg").WithBody(Picture));
        h.Acd.Clock.Advance(TimeSpan.FromMinutes(1));
        var stored = await WorkUntilAsync(h, sid, m => m.State == MediaState.Stored);

        Assert.That(stored.Bytes, Is.EqualTo(Picture.Length));
        Assert.That(stored.RetainUntil, Is.GreaterThanOrEqualTo(stored.ReceivedAt.AddYears(5)));
        var sealedFile = await File.ReadAllBytesAsync(Path.Combine(h.StorageDirectory, stored.StorageKey!));
        Assert.That(sealedFile.AsSpan().IndexOf("a receipt, photographed"u8), Is.EqualTo(-1), "stored sealed, not in the clear");
        var fetches = h.Acd.Twilio.LogEntries.Where(e => e.RequestMessage?.Path == path).ToList();
        Assert.That(fetches.Select(e => e.RequestMessage!.Headers!["Authorization"].Single()), Has.All.StartWith("Basic "));
        Assert.That(await h.DbAsync(db => db.ServiceRequestMedia.CountAsync(m => m.MessageSid == sid)), Is.EqualTo(1), "a retried webhook adds nothing");

        var view = await agent.Http.GetFromJsonAsync<JsonElement>($"/api/agent/requests/{reference}", TestJson.Options);
        var link = view.GetProperty("media").EnumerateArray().Single().GetProperty("url").GetString()!;
        using var opened = await agent.Http.GetAsync(link);
        Assert.That(opened.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(opened.Content.Headers.ContentType?.MediaType, Is.EqualTo("image/jpeg"));
        Assert.That(await opened.Content.ReadAsByteArrayAsync(), Is.EqualTo(Picture));

        using var other = await h.Acd.AvailableAgentAsync(("general", 1));
        using (var refused = await other.Http.GetAsync(link))
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "an agent not holding the request");
        var stream = ServiceRequest.StreamOf(reference);
        var audit = await h.DbAsync(db => db.RecordingAccessLog.AsNoTracking().Where(a => a.CallSid == stream).OrderBy(a => a.Id)
            .Select(a => new { a.WorkNumber, a.Result }).ToListAsync());
        Assert.That(audit.Select(a => (a.WorkNumber, a.Result)), Is.EqualTo(new[] { (agent.WorkNumber, "allowed"), (other.WorkNumber, "refused") }));
        var events = (await h.Acd.EventsOfAsync(stream)).Select(e => e.Type).ToList();
        Assert.That(events.Count(t => t == "request.media_received"), Is.EqualTo(1));
        Assert.That(events.Count(t => t == "request.media_stored"), Is.EqualTo(1));
    }

    [Test]
    public async Task An_mms_whose_media_url_is_not_twilios_is_refused_with_a_problem_and_nothing_is_stored()
    {
        await using var h = ChannelHarness.At(2027, 6, 2, 10, 0);
        var (customer, sid) = (NewCustomer(), "MM" + Guid.NewGuid().ToString("N"));

        using var response = await MmsAsync(h, customer, sid, "See the picture", ("https://evil.example/steal", "image/jpeg"));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("MediaUrl0"));
        Assert.That(await h.DbAsync(db => db.ServiceRequests.CountAsync(r => r.Contact == customer)), Is.Zero);
        Assert.That(await h.DbAsync(db => db.ServiceRequestMedia.CountAsync(m => m.MessageSid == sid)), Is.Zero);
    }
}
