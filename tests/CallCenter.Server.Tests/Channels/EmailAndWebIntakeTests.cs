using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CallCenter.Server.Channels;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Tests.Channels;

/// <summary>The mail gateway's endpoint and the public web form: good input becomes a request, bad input stores nothing.</summary>
public sealed class EmailAndWebIntakeTests
{
    private static string NewMessageId() => $"<{Guid.NewGuid():N}@mail.customer.test>";

    private static string NewAddress() => $"c{Guid.NewGuid():N}@customer.test";

    private static int FilesIn(string folder) => Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Count() : 0;

    [Test]
    public async Task An_email_with_an_attachment_becomes_a_request_and_the_file_is_sealed_in_archive_storage()
    {
        await using var h = ChannelHarness.At(2026, 11, 27, 10, 0);
        using var agent = await h.Acd.AvailableAgentAsync(("email", 1));
        var messageId = NewMessageId();
        var scan = Encoding.UTF8.GetBytes("%PDF-1.4 scanned fax: dispute of card transaction 4821");

        using var response = await h.MailAsync(messageId, $"Customer <{NewAddress()}>", "Fax: card dispute", "Please see the attached form.", [("dispute.pdf", scan)]);
        using var again = await h.MailAsync(messageId, NewAddress(), "Fax: card dispute", "Please see the attached form.", [("dispute.pdf", scan)]);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        var receipt = await response.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
        Assert.That(receipt.GetProperty("category").GetString(), Is.EqualTo("cards"));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a redelivered e-mail is the same request");
        var stored = await h.RequestAsync(q => q.Where(r => r.ExternalId == messageId));
        var file = stored!.Attachments.Single();
        Assert.That(file.FileName, Is.EqualTo("dispute.pdf"));
        Assert.That(file.Bytes, Is.EqualTo(scan.Length));
        Assert.That(file.Sha256, Is.EqualTo(System.Security.Cryptography.SHA256.HashData(scan)));
        var onDisk = await File.ReadAllBytesAsync(Path.Combine(h.StorageDirectory, file.StorageKey));
        Assert.That(Encoding.UTF8.GetString(onDisk), Does.Not.Contain("dispute of card"), "stored encrypted");
        Assert.That(FilesIn(h.StorageDirectory), Is.EqualTo(1), "the redelivery stored no second copy");
        Assert.That(await ChannelHarness.OfferedReferenceAsync(agent), Is.EqualTo(stored.Reference));
    }

    [Test]
    public async Task An_oversized_email_or_attachment_is_refused_with_a_problem_and_nothing_is_stored()
    {
        await using var h = ChannelHarness.At(2026, 11, 27, 10, 0, new Dictionary<string, string>
        {
            ["Channels:Email:MaxMessageBytes"] = "65536",
            ["Channels:Email:MaxAttachmentBytes"] = "2048",
        });
        var tooBig = NewMessageId();
        var bigFile = NewMessageId();

        using var message = await h.MailAsync(tooBig, NewAddress(), "Statement", "see attachment", [("statement.pdf", new byte[100_000])]);
        using var attachment = await h.MailAsync(bigFile, NewAddress(), "Statement", "see attachment", [("small.txt", new byte[10]), ("statement.pdf", new byte[4096])]);

        Assert.That(message.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await message.Content.ReadAsStringAsync(), Does.Contain("E-mail too large"));
        Assert.That(attachment.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await attachment.Content.ReadAsStringAsync(), Does.Contain("attachments[1]"));
        Assert.That(await h.DbAsync(db => db.ServiceRequests.CountAsync(r => r.ExternalId == tooBig || r.ExternalId == bigFile)), Is.Zero);
        Assert.That(FilesIn(h.StorageDirectory), Is.Zero);
    }

    [Test]
    public async Task A_malformed_email_is_refused_with_a_problem_naming_what_is_wrong()
    {
        await using var h = ChannelHarness.At(2026, 11, 27, 10, 0);
        var badSender = NewMessageId();

        using var sender = await h.MailAsync(badSender, "not an address", "Hello", "text");
        using var empty = await h.MailAsync(NewMessageId(), NewAddress(), "Hello", "");
        using var json = await h.Acd.Server.CreateClient().SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/channels/email")
        {
            Content = JsonContent.Create(new { from = NewAddress() }),
            Headers = { { IntakeApi.GatewayKeyHeader, ChannelHarness.GatewayKey } },
        });
        var truncated = new ByteArrayContent(Encoding.ASCII.GetBytes("--b\r\nContent-Disposition: form-data; name=\"from\"\r\n\r\nx@y.test\r\n--b\r\nContent-Disp"));
        truncated.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");
        using var broken = await h.Acd.Server.CreateClient().SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/channels/email")
        {
            Content = truncated,
            Headers = { { IntakeApi.GatewayKeyHeader, ChannelHarness.GatewayKey } },
        });

        Assert.That(sender.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await sender.Content.ReadAsStringAsync(), Does.Contain("\"from\""));
        Assert.That(empty.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(json.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await json.Content.ReadAsStringAsync(), Does.Contain("multipart/form-data"));
        Assert.That(broken.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await broken.Content.ReadAsStringAsync(), Does.Contain("Malformed e-mail"));
        Assert.That(await h.DbAsync(db => db.ServiceRequests.CountAsync(r => r.ExternalId == badSender)), Is.Zero);
    }

    [Test]
    public async Task An_email_post_without_the_gateways_key_is_refused()
    {
        await using var h = ChannelHarness.At(2026, 11, 27, 10, 0);
        var messageId = NewMessageId();

        using var missing = await h.MailAsync(messageId, NewAddress(), "Hello", "text", gatewayKey: null);
        using var wrong = await h.MailAsync(messageId, NewAddress(), "Hello", "text", gatewayKey: "guess");

        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await h.DbAsync(db => db.ServiceRequests.CountAsync(r => r.ExternalId == messageId)), Is.Zero);
    }

    [Test]
    public async Task The_web_form_validates_its_fields_and_a_valid_form_becomes_a_request_in_the_web_queue()
    {
        await using var h = ChannelHarness.At(2026, 11, 27, 10, 0);
        using var agent = await h.Acd.AvailableAgentAsync(("web", 1));
        var address = NewAddress();

        using var invalid = await h.WebFormAsync(new { phone = "12345", message = "" });
        using var unknownCategory = await h.WebFormAsync(new { email = address, category = "mortgages", message = "Hi" });
        using var valid = await h.WebFormAsync(new { name = "Li Lei", email = address, category = "complaints", message = "The branch was closed during opening hours." });

        Assert.That(invalid.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var problem = await invalid.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
        Assert.That(problem.GetProperty("errors").EnumerateObject().Select(p => p.Name), Is.SupersetOf(new[] { "phone", "message" }));
        Assert.That(unknownCategory.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(valid.StatusCode, Is.EqualTo(HttpStatusCode.Created), await valid.Content.ReadAsStringAsync());
        var stored = await h.RequestAsync(q => q.Where(r => r.Contact == address));
        Assert.That(stored!.Category, Is.EqualTo("complaints"));
        Assert.That(stored.Queue, Is.EqualTo("web"));
        // 24 working hours on the hotline's calendar from Friday 10:00: Friday 10 h, Saturday 9 h, Sunday 5 h → Sunday 14:00.
        Assert.That(stored.DueAt, Is.EqualTo(ChannelHarness.Local(2026, 11, 29, 14, 0)));
        Assert.That(await ChannelHarness.OfferedReferenceAsync(agent), Is.EqualTo(stored.Reference));
    }

    [Test]
    public async Task The_web_form_is_rate_limited_per_client()
    {
        await using var h = ChannelHarness.At(2026, 11, 27, 10, 0, new Dictionary<string, string> { ["Channels:Web:PermitsPerWindow"] = "2" });
        using var client = h.Acd.Server.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await h.WebFormAsync(new { phone = "+8613900000001", message = $"Question {i}" }, client);
            statuses.Add(response.StatusCode);
            if (i == 2) Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Too many requests"));
        }

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests }));
    }
}
