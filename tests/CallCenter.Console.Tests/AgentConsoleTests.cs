using System.Text.Json;
using System.Text.RegularExpressions;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CallCenter.Console.Tests;

/// <summary>The seat agent's softphone and the supervisor's board in a real browser, against a real server.</summary>
public sealed class AgentConsoleTests
{
    [Test]
    public async Task Agent_takes_a_routed_call_from_available_to_wrap_up_while_the_supervisor_watches()
    {
        await using var harness = new ConsoleHarness();
        var agent = await harness.NewAgentAsync();
        var supervisorNumber = await harness.Server.Services.CreateStaffAsync(StaffRole.Supervisor);

        var supervisor = await harness.SignInAsync(supervisorNumber);
        await Expect(supervisor).ToHaveURLAsync(new Regex("/console/supervisor$"));
        var agentRow = supervisor.Locator($"#agents tr[data-agent='{agent}']");
        await Expect(agentRow.Locator("[data-col=state]")).ToHaveTextAsync("Offline");

        var page = await harness.SignInAsync(agent);
        await Expect(page).ToHaveURLAsync(new Regex("/console/agent$"));
        var state = page.Locator("#agent-state");
        await Expect(state).ToHaveTextAsync("Offline");

        // A break first, so the call waits in the queue and the supervisor sees it waiting.
        await page.GetByLabel("Break reason").SelectOptionAsync("lunch");
        await page.GetByRole(AriaRole.Button, new() { Name = "Take a break" }).ClickAsync();
        await Expect(state).ToHaveTextAsync("On a break (lunch)");
        await Expect(agentRow.Locator("[data-col=state]")).ToHaveTextAsync("Break (lunch)");

        var call = await harness.QueueCallAsync(from: "+8613812345678");
        harness.Clock.Advance(TimeSpan.FromSeconds(3)); // the wallboard is rebuilt and pushed every 2 s of server time
        var general = supervisor.Locator("#queues tr[data-queue='general']");
        await Expect(general.Locator("[data-col=waiting]")).ToHaveTextAsync("1");
        await Expect(general.Locator("[data-col=oldest]")).ToHaveTextAsync("0:03");
        await Accessibility.AssertNoViolationsAsync(supervisor, "the supervisor console");
        await ConsoleHarness.ScreenshotAsync(supervisor, "supervisor-console");

        await page.GetByRole(AriaRole.Button, new() { Name = "Available" }).ClickAsync();
        var offer = page.Locator("#offer");
        await Expect(offer).ToBeVisibleAsync();
        var pop = offer.GetByLabel("Screen pop");
        await Expect(pop).ToContainTextAsync("+86138****5678");
        await Expect(pop).ToContainTextAsync("zh-CN");
        await Expect(pop).ToContainTextAsync("general");
        await Expect(page.Locator("#ring-timer")).ToHaveTextAsync(new Regex("^(1[0-9]|20)$"));
        await Expect(offer).Not.ToContainTextAsync("8613812345678");
        await Accessibility.AssertNoViolationsAsync(page, "the agent console with an offer");
        await ConsoleHarness.ScreenshotAsync(page, "agent-console-offer");

        // The offer takes the focus, so Enter answers it: the softphone works from the keyboard.
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Accept call" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(state).ToHaveTextAsync("On a call");
        await Expect(page.Locator("#call")).ToContainTextAsync(call.CallSid);
        await Expect(page.Locator("#call")).ToContainTextAsync("Caller +86138****5678");
        await Expect(agentRow.Locator("[data-col=state]")).ToHaveTextAsync("OnCall");
        Assert.That(harness.Twilio.LogEntries.Count(e => e.RequestMessage!.Path.EndsWith($"/Calls/{call.CallSid}.json", StringComparison.Ordinal)),
            Is.EqualTo(1), "the caller is redirected to the agent's softphone once");
        harness.Clock.Advance(TimeSpan.FromSeconds(2));
        await Expect(general.Locator("[data-col=waiting]")).ToHaveTextAsync("0");
        await ConsoleHarness.ScreenshotAsync(page, "agent-console-call");

        // Card details are coming: the agent pauses the recording, and the console says so until it runs again.
        var recording = page.Locator("#recording-status");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pause recording" }).ClickAsync();
        await Expect(recording).ToHaveTextAsync("Recording paused (card or PIN details)");
        await Accessibility.AssertNoViolationsAsync(page, "the call with its recording paused");
        await ConsoleHarness.ScreenshotAsync(page, "agent-console-recording-paused");
        await page.GetByRole(AriaRole.Button, new() { Name = "Resume recording" }).ClickAsync();
        await Expect(recording).ToHaveTextAsync("Recording");
        Assert.That(harness.Twilio.LogEntries.Count(e => e.RequestMessage!.Path.EndsWith($"/Calls/{call.CallSid}/Recordings/Twilio.CURRENT.json", StringComparison.Ordinal)),
            Is.EqualTo(2), "one pause and one resume reached Twilio");

        await page.GetByRole(AriaRole.Button, new() { Name = "End call" }).ClickAsync();
        await Expect(state).ToHaveTextAsync("Wrap-up");
        var wrapUp = page.Locator("#wrap-up");
        await Expect(wrapUp).ToBeVisibleAsync();
        await page.GetByLabel("Disposition").SelectOptionAsync("resolved");
        await page.GetByLabel("Reason family").SelectOptionAsync("cards");
        await page.GetByLabel("Resolved on this call").CheckAsync();
        await page.GetByLabel("Notes").FillAsync("Card limit explained.");
        await Accessibility.AssertNoViolationsAsync(page, "the wrap-up form");
        await ConsoleHarness.ScreenshotAsync(page, "agent-console-wrap-up");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save wrap-up" }).ClickAsync();
        await Expect(page.Locator("#agent-messages")).ToContainTextAsync($"Wrap-up of {call.CallSid} saved.");
        await Expect(wrapUp).ToBeHiddenAsync();
        await Expect(state).ToHaveTextAsync("Available");
        await Expect(agentRow.Locator("[data-col=state]")).ToHaveTextAsync("Available");

        var wrapUpEvent = await SingleEventAsync(harness, call.CallSid, "agent.wrap_up");
        Assert.Multiple(() =>
        {
            Assert.That(wrapUpEvent.GetProperty("agent").GetString(), Is.EqualTo(agent));
            Assert.That(wrapUpEvent.GetProperty("disposition").GetString(), Is.EqualTo("resolved"));
            Assert.That(wrapUpEvent.GetProperty("reasonFamily").GetString(), Is.EqualTo("cards"));
            Assert.That(wrapUpEvent.GetProperty("resolved").GetBoolean(), Is.True);
        });

        // The supervisor puts the agent on a break; the agent's console follows live.
        await agentRow.GetByLabel($"Break reason for {agent}").FillAsync("coaching");
        // The push can overtake the HTTP answer; the audit row is written before the answer, so wait for that.
        await supervisor.RunAndWaitForResponseAsync(
            () => agentRow.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("to break$") }).ClickAsync(),
            response => response.Url.Contains($"/api/supervisor/agents/{agent}/state", StringComparison.Ordinal));
        await Expect(state).ToHaveTextAsync("On a break (supervisor: coaching)");
        await Expect(agentRow.Locator("[data-col=state]")).ToHaveTextAsync("Break (supervisor: coaching)");
        await using var scope = harness.Server.Services.CreateAsyncScope();
        var audit = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().OperationLog
            .Where(e => e.Target == agent && e.Action == "agent.force_break").ToListAsync();
        Assert.That(audit.Select(e => (e.Operator, e.Result)), Is.EqualTo(new[] { (supervisorNumber, "succeeded") }));
    }

    [Test]
    public async Task A_stale_offer_accepted_a_second_time_gets_a_conflict_on_the_page_and_changes_nothing()
    {
        await using var harness = new ConsoleHarness();
        var agent = await harness.NewAgentAsync();
        var first = await harness.SignInAsync(agent);
        await first.GetByRole(AriaRole.Button, new() { Name = "Available" }).ClickAsync();
        await Expect(first.Locator("#agent-state")).ToHaveTextAsync("Available");

        // A second window of the same agent that hears nothing new: no live channel, and its timers stand still.
        var stale = await harness.NewPageAsync();
        await stale.Context.Clock.InstallAsync();
        await stale.RouteAsync("**/hubs/agent/**", route => route.AbortAsync());
        await harness.SignInAsync(agent, page: stale);
        await Expect(stale.Locator("#agent-state")).ToHaveTextAsync("Available");

        var call = await harness.QueueCallAsync();
        await Expect(first.Locator("#offer")).ToBeVisibleAsync();
        await stale.ReloadAsync();
        await Expect(stale.Locator("#offer")).ToBeVisibleAsync();

        await first.GetByRole(AriaRole.Button, new() { Name = "Accept call" }).ClickAsync();
        await Expect(first.Locator("#agent-state")).ToHaveTextAsync("On a call");

        // By keyboard: a mouse click's actionability checks wait on animation frames, which this window's stopped clock never runs.
        var staleAccept = stale.GetByRole(AriaRole.Button, new() { Name = "Accept call" });
        await staleAccept.FocusAsync();
        var response = await stale.RunAndWaitForResponseAsync(
            () => stale.Keyboard.PressAsync("Enter"),
            r => r.Url.EndsWith($"/api/agent/offers/{call.CallSid}/accept", StringComparison.Ordinal));
        Assert.That(response.Status, Is.EqualTo(409));
        await Expect(stale.Locator("#agent-messages [role=alert]")).ToContainTextAsync("Not allowed in your current state");
        await Expect(stale.Locator("#agent-messages [role=alert]")).ToContainTextAsync("(HTTP 409)");
        await ConsoleHarness.ScreenshotAsync(stale, "agent-console-stale-offer");

        Assert.That(harness.Twilio.LogEntries.Count(e => e.RequestMessage!.Path.EndsWith($"/Calls/{call.CallSid}.json", StringComparison.Ordinal)),
            Is.EqualTo(1), "the second accept must not redirect the caller again");
        await Expect(first.Locator("#agent-state")).ToHaveTextAsync("On a call");
    }

    private static async Task<JsonElement> SingleEventAsync(ConsoleHarness harness, string callSid, string type)
    {
        await using var scope = harness.Server.Services.CreateAsyncScope();
        var payloads = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().CallEvents
            .Where(e => e.CallSid == callSid && e.Type == type).Select(e => e.Payload).ToListAsync();
        Assert.That(payloads, Has.Count.EqualTo(1), type);
        return JsonDocument.Parse(payloads[0]).RootElement.Clone();
    }
}
