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
}
