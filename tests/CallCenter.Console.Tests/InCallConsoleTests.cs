using System.Text.RegularExpressions;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CallCenter.Console.Tests;

/// <summary>The in-call controls and the supervisor's listen-in in a real browser, against a real server.</summary>
public sealed class InCallConsoleTests
{
    [Test]
    public async Task Agent_holds_and_warm_transfers_a_routed_call_to_a_colleague_while_the_supervisor_listens_in()
    {
        await using var harness = new ConsoleHarness();
        var first = await harness.NewAgentAsync();
        var second = await harness.NewAgentAsync();
        var supervisorNumber = await harness.Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        var supervisor = await harness.SignInAsync(supervisorNumber);
        var firstRow = supervisor.Locator($"#agents tr[data-agent='{first}']");
        var secondRow = supervisor.Locator($"#agents tr[data-agent='{second}']");

        var page = await harness.SignInAsync(first);
        await page.GetByRole(AriaRole.Button, new() { Name = "Available", Exact = true }).ClickAsync();
        await Expect(page.Locator("#agent-state")).ToHaveTextAsync("Available");
        var call = await harness.QueueCallAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Accept call" })).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#agent-state")).ToHaveTextAsync("On a call");
        var status = page.Locator("#in-call-status");
        await Expect(status).ToHaveTextAsync("Talking with the caller");

        // The colleague becomes available only now, so the routed call went to the first agent.
        var colleague = await harness.SignInAsync(second);
        await colleague.GetByRole(AriaRole.Button, new() { Name = "Available", Exact = true }).ClickAsync();
        await Expect(colleague.Locator("#agent-state")).ToHaveTextAsync("Available");

        // The supervisor listens in on the call from the agent board.
        await Expect(firstRow.Locator("[data-col=state]")).ToHaveTextAsync("OnCall");
        await firstRow.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Listen to") }).ClickAsync();
        await Expect(supervisor.Locator("#supervisor-messages")).ToContainTextAsync($"Listen to: Test Agent ({first})'s call ({call.CallSid}).");
        await Accessibility.AssertNoViolationsAsync(supervisor, "the supervisor console with monitor buttons");
        await ConsoleHarness.ScreenshotAsync(supervisor, "supervisor-console-listening");

        // Hold and resume, by keyboard.
        await page.Locator("#hold-toggle").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(status).ToHaveTextAsync("Caller on hold");
        await Expect(page.Locator("#hold-toggle")).ToHaveAttributeAsync("aria-pressed", "true");
        await page.Keyboard.PressAsync("Enter");
        await Expect(status).ToHaveTextAsync("Talking with the caller");
        await Accessibility.AssertNoViolationsAsync(page, "the agent console with in-call controls");
        await ConsoleHarness.ScreenshotAsync(page, "agent-console-in-call");

        // A refused transfer shows the server's problem on the page.
        await page.GetByLabel("Transfer to").SelectOptionAsync("Number");
        await page.GetByLabel("Target", new() { Exact = true }).FillAsync("+862100000001");
        await page.GetByRole(AriaRole.Button, new() { Name = "Transfer", Exact = true }).ClickAsync();
        await Expect(page.Locator("#agent-messages [role=alert]")).ToContainTextAsync("Above your permission level");
        await Expect(page.Locator("#agent-messages [role=alert]")).ToContainTextAsync("(HTTP 403)");

        // Warm transfer to the colleague: typed and sent from the keyboard.
        await page.GetByLabel("Mode").SelectOptionAsync("Warm");
        await page.GetByLabel("Transfer to").SelectOptionAsync("Agent");
        await page.GetByLabel("Target", new() { Exact = true }).FillAsync(second);
        await page.GetByLabel("Reason (optional)").FillAsync("mortgage question");
        await page.Keyboard.PressAsync("Enter");
        await Expect(status).ToHaveTextAsync($"Consulting the transfer target (caller on hold) · with {second}");
        await Expect(colleague.Locator("#agent-state")).ToHaveTextAsync("On a call");
        await Expect(secondRow.Locator("[data-col=state]")).ToHaveTextAsync("OnCall");
        await ConsoleHarness.ScreenshotAsync(page, "agent-console-consulting");

        await page.GetByRole(AriaRole.Button, new() { Name = "Complete transfer" }).ClickAsync();
        await Expect(page.Locator("#agent-state")).ToHaveTextAsync("Wrap-up");
        await page.GetByLabel("Disposition").SelectOptionAsync("transferred");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save wrap-up" }).ClickAsync();
        await Expect(page.Locator("#agent-state")).ToHaveTextAsync("Available");
        await Expect(firstRow.Locator("[data-col=state]")).ToHaveTextAsync("Available");
        await Expect(colleague.Locator("#in-call-status")).ToHaveTextAsync("Talking with the caller");
        await ConsoleHarness.ScreenshotAsync(supervisor, "supervisor-console-after-transfer");

        // The colleague finishes the call and wraps it up too.
        await colleague.GetByRole(AriaRole.Button, new() { Name = "End call" }).ClickAsync();
        await Expect(colleague.Locator("#agent-state")).ToHaveTextAsync("Wrap-up");
        await colleague.GetByLabel("Disposition").SelectOptionAsync("resolved");
        await colleague.GetByRole(AriaRole.Button, new() { Name = "Save wrap-up" }).ClickAsync();
        await Expect(colleague.Locator("#agent-state")).ToHaveTextAsync("Available");
        await Expect(secondRow.Locator("[data-col=state]")).ToHaveTextAsync("Available");

        await using var scope = harness.Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var types = await db.CallEvents.Where(e => e.CallSid == call.CallSid).OrderBy(e => e.CallSeq).Select(e => e.Type).ToListAsync();
        Assert.That(types, Is.SupersetOf(new[]
        {
            "call.conference", "supervisor.monitor_started", "incall.held", "incall.resumed", "incall.consult_started", "acd.joined",
            "incall.transferred", "acd.left", "acd.completed",
        }));
        Assert.That(types.Count(t => t == "agent.wrap_up"), Is.EqualTo(2), "both agents wrapped up their part");
        var audit = await db.OperationLog.Where(e => e.Target == call.CallSid).Select(e => new { e.Operator, e.Action, e.Result }).ToListAsync();
        Assert.That(audit.Select(a => (a.Operator, a.Action, a.Result)), Is.EqualTo(new[] { (supervisorNumber, "call.monitor.listen", "succeeded") }));
        var listen = harness.Twilio.LogEntries.Single(e => e.RequestMessage!.Path.EndsWith("/Participants.json", StringComparison.Ordinal)
            && e.RequestMessage.Body!.Contains("supervisor-", StringComparison.Ordinal));
        Assert.That(System.Web.HttpUtility.ParseQueryString(listen.RequestMessage!.Body!)["Muted"], Is.EqualTo("true"), "listening is a muted leg");
    }

    [Test]
    public async Task The_agent_whose_softphone_drops_off_the_call_sees_a_warning_and_rejoins_by_keyboard()
    {
        await using var harness = new ConsoleHarness();
        var agent = await harness.NewAgentAsync();
        var page = await harness.SignInAsync(agent);
        await page.GetByRole(AriaRole.Button, new() { Name = "Available", Exact = true }).ClickAsync();
        var call = await harness.QueueCallAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Accept call" }).ClickAsync();
        await Expect(page.Locator("#in-call-status")).ToHaveTextAsync("Talking with the caller");
        var banner = page.Locator("#agent-dropped");
        await Expect(banner).ToBeHiddenAsync();

        // Twilio reports the agent's softphone leg leaving the conference on its own (browser closed, network lost).
        using (var left = await harness.CreateTwilioClient().PostSignedAsync("/twilio/voice/conference-status", new Dictionary<string, string>
               {
                   ["AccountSid"] = TwilioForms.AccountSid, ["ConferenceSid"] = TwilioConferenceStubs.ConferenceSid, ["FriendlyName"] = $"call-{call.CallSid}",
                   ["StatusCallbackEvent"] = "participant-leave", ["CallSid"] = "CA" + Guid.NewGuid().ToString("N"), ["ParticipantLabel"] = $"agent-{agent}",
                   ["ParticipantCallStatus"] = "completed",
               }))
            Assert.That(left.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.NoContent));

        await Expect(banner).ToBeVisibleAsync();
        await Expect(banner).ToContainTextAsync("Your softphone left this call.");
        await Expect(banner).ToContainTextAsync("The caller is on hold and hears music.");
        await Expect(page.Locator("#in-call-status")).ToHaveTextAsync("Caller on hold");
        await Accessibility.AssertNoViolationsAsync(page, "the agent console warning of a dropped softphone");
        await ConsoleHarness.ScreenshotAsync(page, "agent-console-softphone-dropped");
        var dialledBefore = DialledAgain(harness, call.CallSid);

        await page.GetByRole(AriaRole.Button, new() { Name = "Rejoin call" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(banner).ToBeHiddenAsync();
        await Expect(page.Locator("#in-call-status")).ToHaveTextAsync("Caller on hold");
        Assert.That(DialledAgain(harness, call.CallSid) - dialledBefore, Is.EqualTo(1), "the softphone is dialled into the conference again");

        await page.GetByRole(AriaRole.Button, new() { Name = "Resume caller" }).ClickAsync();
        await Expect(page.Locator("#in-call-status")).ToHaveTextAsync("Talking with the caller");
    }

    private static int DialledAgain(ConsoleHarness harness, string callSid) =>
        harness.Twilio.LogEntries.Count(e => e.RequestMessage?.Method == "POST"
            && e.RequestMessage.Path.EndsWith($"/Conferences/call-{callSid}/Participants.json", StringComparison.Ordinal));
}
