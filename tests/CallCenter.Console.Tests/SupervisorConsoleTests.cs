using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CallCenter.Console.Tests;

/// <summary>The supervisor's switches in the browser: refusals show on the page with their status and change nothing.</summary>
public sealed class SupervisorConsoleTests
{
    [Test]
    public async Task Emergency_announcement_needs_every_language_and_is_switched_on_and_off_from_the_console()
    {
        await using var harness = new ConsoleHarness();
        var page = await harness.SignInAsync(await harness.Server.Services.CreateStaffAsync(StaffRole.Supervisor));
        var line = page.Locator("fieldset[data-line='bank-hotline']");
        await line.GetByLabel("Announcement (zh-CN)").FillAsync("系统维护中，请稍后再拨。");

        var refused = await page.RunAndWaitForResponseAsync(() => line.GetByRole(AriaRole.Button, new() { Name = "Switch on" }).ClickAsync(),
            r => r.Url.EndsWith("/emergency-announcement", StringComparison.Ordinal));
        Assert.That(refused.Status, Is.EqualTo(400));
        await Expect(line.GetByRole(AriaRole.Alert)).ToContainTextAsync("text missing for en-US");
        Assert.That(await ActiveAsync(page), Is.False, "a refused switch writes nothing");

        await line.GetByLabel("Announcement (en-US)").FillAsync("Maintenance in progress; please call again later.");
        await line.GetByRole(AriaRole.Button, new() { Name = "Switch on" }).ClickAsync();
        await Expect(page.Locator("fieldset[data-line='bank-hotline'] [role=status]")).ToContainTextAsync("ON since");
        Assert.That(await ActiveAsync(page), Is.True);

        await page.Locator("fieldset[data-line='bank-hotline']").GetByRole(AriaRole.Button, new() { Name = "Switch off" }).ClickAsync();
        await Expect(page.Locator("fieldset[data-line='bank-hotline'] [role=status]")).ToHaveTextAsync("Off");
        Assert.That(await ActiveAsync(page), Is.False);
    }

    [Test]
    public async Task Forcing_an_agent_on_a_call_offline_is_refused_with_409_and_the_call_goes_on()
    {
        await using var harness = new ConsoleHarness();
        var agentNumber = await harness.NewAgentAsync();
        using var agent = await AgentConsole.SignInAsync(harness.CreateClient(), agentNumber);
        (await agent.LoginToAcdAsync()).EnsureSuccessStatusCode();
        var call = await harness.QueueCallAsync();
        (await agent.AcceptAsync(call.CallSid)).EnsureSuccessStatusCode();

        var supervisorNumber = await harness.Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        var page = await harness.SignInAsync(supervisorNumber);
        var row = page.Locator($"#agents tr[data-agent='{agentNumber}']");
        await Expect(row.Locator("[data-col=state]")).ToHaveTextAsync("OnCall");
        var response = await page.RunAndWaitForResponseAsync(
            () => row.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex("offline$") }).ClickAsync(),
            r => r.Url.EndsWith($"/api/supervisor/agents/{agentNumber}/state", StringComparison.Ordinal));

        Assert.That(response.Status, Is.EqualTo(409));
        await Expect(page.Locator("#supervisor-messages [role=alert]")).ToContainTextAsync("Not allowed in the agent's current state");
        await Expect(row.Locator("[data-col=state]")).ToHaveTextAsync("OnCall");
        Assert.That((await agent.MeAsync()).GetProperty("state").GetString(), Is.EqualTo("OnCall"));
        await using var scope = harness.Server.Services.CreateAsyncScope();
        var audit = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().OperationLog
            .Where(e => e.Target == agentNumber && e.Action == "agent.force_offline").Select(e => e.Result).ToListAsync();
        Assert.That(audit, Is.EqualTo(new[] { "refused" }));
    }

    private static async Task<bool> ActiveAsync(IPage page)
    {
        var response = await page.Context.APIRequest.GetAsync("/api/lines/bank-hotline/emergency-announcement");
        var json = await response.JsonAsync();
        return json!.Value.GetProperty("active").GetBoolean();
    }
}
