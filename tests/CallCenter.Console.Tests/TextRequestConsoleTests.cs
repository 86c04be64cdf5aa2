using System.Text.RegularExpressions;
using System.Web;
using CallCenter.Server.Channels;
using CallCenter.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using static Microsoft.Playwright.Assertions;

namespace CallCenter.Console.Tests;

/// <summary>The text-request panel in a real browser: an SMS routed to an agent with the SMS skill, answered from the console.</summary>
public sealed class TextRequestConsoleTests
{
    [Test]
    public async Task Agent_with_the_sms_skill_sees_an_incoming_sms_replies_and_the_reply_goes_out_through_twilio()
    {
        await using var harness = new ConsoleHarness();
        harness.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{ConsoleHarness.AccountSid}/Messages.json").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithHeader("Content-Type", "application/json")
                .WithBody(_ => $"{{\"sid\":\"SM{Guid.NewGuid():N}\",\"status\":\"queued\"}}"));
        var agent = await harness.NewAgentAsync(("sms", 1));
        var customer = "+86135" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

        var page = await harness.SignInAsync(agent);
        await Expect(page).ToHaveURLAsync(new Regex("/console/agent$"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Available" }).ClickAsync();
        var state = page.Locator("#agent-state");
        await Expect(state).ToHaveTextAsync("Available");

        using (var webhook = await harness.CreateTwilioClient().PostSignedAsync(SmsWebhook.Path, new Dictionary<string, string>
        {
            ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N"), ["AccountSid"] = ConsoleHarness.AccountSid, ["From"] = customer,
            ["To"] = CallCenter.Testing.TwilioForms.BankHotline, ["Body"] = "My card was swallowed by the ATM at the airport", ["NumMedia"] = "0",
        }))
            Assert.That(webhook.IsSuccessStatusCode, await webhook.Content.ReadAsStringAsync());

        var offer = page.Locator("#offer");
        await Expect(offer.GetByRole(AriaRole.Heading, new() { Name = "Incoming text request" })).ToBeVisibleAsync();
        await offer.GetByRole(AriaRole.Button, new() { Name = "Accept request" }).ClickAsync();
        await Expect(state).ToHaveTextAsync("On text requests");
        var panel = page.Locator("#text-requests .text-request");
        await Expect(panel).ToHaveCountAsync(1);
        await Expect(panel).ToContainTextAsync("swallowed by the ATM");
        await Expect(panel).Not.ToContainTextAsync(customer, new() { Timeout = 1000 });
        await Accessibility.AssertNoViolationsAsync(page, "the agent console with a text request");
        await ConsoleHarness.ScreenshotAsync(page, "agent-console-text-request");

        await panel.GetByLabel("Reply").FillAsync("We have blocked the card; a new one is on its way.");
        await panel.GetByRole(AriaRole.Button, new() { Name = "Send reply" }).ClickAsync();
        await Expect(page.Locator("#agent-messages")).ToContainTextAsync("Reply sent");
        await Expect(panel).ToHaveCountAsync(0);
        await Expect(state).ToHaveTextAsync("Wrap-up");

        var sent = harness.Twilio.LogEntries
            .Where(e => e.RequestMessage?.Method == "POST" && e.RequestMessage.Path.EndsWith("/Messages.json", StringComparison.Ordinal))
            .Select(e => HttpUtility.ParseQueryString(e.RequestMessage!.Body ?? ""))
            .Select(f => (To: f["To"], Body: f["Body"]))
            .ToList();
        // The reply first; the satisfaction survey SMS follows it.
        Assert.That(sent[0], Is.EqualTo((customer, "We have blocked the card; a new one is on its way.")));
        Assert.That(sent.Select(m => m.To), Is.All.EqualTo(customer));
        await using var scope = harness.Server.Services.CreateAsyncScope();
        var request = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().ServiceRequests.AsNoTracking().SingleAsync(r => r.Contact == customer);
        Assert.That(request.Status, Is.EqualTo(ServiceRequestStatus.Answered));
        Assert.That(request.Agent, Is.EqualTo(agent));
    }

    [Test]
    public async Task An_mms_shows_media_pending_until_the_picture_is_fetched_then_a_link_that_opens_it()
    {
        var storage = Path.Combine(Path.GetTempPath(), "callcenter-mms-console-" + Guid.NewGuid().ToString("N"));
        await using var harness = new ConsoleHarness(new Dictionary<string, string>
        {
            ["Archive:MasterKeys:k1"] = Convert.ToBase64String(Enumerable.Range(5, 32).Select(i => (byte)i).ToArray()),
            ["Archive:ActiveKeyId"] = "k1",
            ["Archive:StorageDirectory"] = storage,
        });
        try
        {
            var (sid, mediaSid) = ("MM" + Guid.NewGuid().ToString("N"), "ME" + Guid.NewGuid().ToString("N"));
            var mediaPath = $"/2010-04-01/Accounts/{ConsoleHarness.AccountSid}/Messages/{sid}/Media/{mediaSid}";
            var stub = Guid.NewGuid();
            // Twilio cannot serve the picture at first: the text still reaches the agent.
            harness.Twilio.Given(Request.Create().WithPath(mediaPath).UsingGet()).WithGuid(stub).RespondWith(Response.Create().WithStatusCode(404));
            var agent = await harness.NewAgentAsync(("sms", 1));
            var customer = "+86135" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var page = await harness.SignInAsync(agent);
            await page.GetByRole(AriaRole.Button, new() { Name = "Available" }).ClickAsync();
            await Expect(page.Locator("#agent-state")).ToHaveTextAsync("Available");

            using (var webhook = await harness.CreateTwilioClient().PostSignedAsync(SmsWebhook.Path, new Dictionary<string, string>
            {
                ["MessageSid"] = sid, ["AccountSid"] = ConsoleHarness.AccountSid, ["From"] = customer,
                ["To"] = CallCenter.Testing.TwilioForms.BankHotline, ["Body"] = "The receipt for the double charge", ["NumMedia"] = "1",
                ["MediaUrl0"] = "https://api.twilio.com" + mediaPath, ["MediaContentType0"] = "image/png",
            }))
                Assert.That(webhook.IsSuccessStatusCode, await webhook.Content.ReadAsStringAsync());
            await page.Locator("#offer").GetByRole(AriaRole.Button, new() { Name = "Accept request" }).ClickAsync();
            var panel = page.Locator("#text-requests .text-request");
            await Expect(panel).ToContainTextAsync("The receipt for the double charge");
            await Expect(panel).ToContainTextAsync("image/png: media pending");

            byte[] picture = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, .. "receipt"u8.ToArray()];
            harness.Twilio.Given(Request.Create().WithPath(mediaPath).UsingGet()).WithGuid(stub)
                .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "image/png").WithBody(picture));
            harness.Clock.Advance(TimeSpan.FromMinutes(1));
            await using (var scope = harness.Server.Services.CreateAsyncScope())
                await scope.ServiceProvider.GetRequiredService<MmsMedia>().ProcessDueAsync(CancellationToken.None);

            // The panel looks again while media is pending, so the link appears without a reload.
            var link = panel.Locator("a.mms-media");
            await Expect(link).ToBeVisibleAsync(new() { Timeout = 15_000 });
            await Expect(panel).Not.ToContainTextAsync("media pending");
            var href = new Uri(new Uri(page.Url), await link.GetAttributeAsync("href") ?? "");
            var opened = await page.Context.APIRequest.GetAsync(href.ToString());
            Assert.That(opened.Status, Is.EqualTo(200));
            Assert.That(await opened.BodyAsync(), Is.EqualTo(picture));
            await Accessibility.AssertNoViolationsAsync(page, "a text request with MMS media");
        }
        finally
        {
            if (Directory.Exists(storage)) Directory.Delete(storage, recursive: true);
        }
    }
}
