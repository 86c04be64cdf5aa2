using System.Text.RegularExpressions;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CallCenter.Console.Tests;

/// <summary>Signing in, expired passwords and role refusals, as the person at the console sees them.</summary>
public sealed class SignInTests
{
    [Test]
    public async Task A_wrong_password_is_refused_with_a_clear_message_and_401()
    {
        await using var harness = new ConsoleHarness();
        var agent = await harness.NewAgentAsync();
        var page = await harness.NewPageAsync();
        await page.GotoAsync("/console/");
        await page.GetByLabel("Work number").FillAsync(agent);
        await page.GetByLabel("Password").FillAsync("Not-the-password-1");
        var response = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync(), r => r.Url.EndsWith("/api/auth/login", StringComparison.Ordinal));

        Assert.That(response.Status, Is.EqualTo(401));
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong work number or password (HTTP 401)");
        await Expect(page.GetByLabel("Work number")).ToBeVisibleAsync();
        var me = await page.Context.APIRequest.GetAsync("/api/auth/me");
        Assert.That(me.Status, Is.EqualTo(401), "no session was opened");
        await Accessibility.AssertNoViolationsAsync(page, "the sign-in form with an error");
        await ConsoleHarness.ScreenshotAsync(page, "sign-in-wrong-password");
    }

    [Test]
    public async Task An_expired_password_must_be_changed_before_the_console_opens()
    {
        await using var harness = new ConsoleHarness();
        var agent = await harness.StaffWithPasswordAgeAsync(StaffRole.Agent, TimeSpan.FromDays(91));
        var page = await harness.SignInAsync(agent);

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Choose a new password" })).ToBeVisibleAsync();
        var refused = await page.Context.APIRequest.GetAsync("/api/agent/me");
        Assert.That(refused.Status, Is.EqualTo(403), "the agent API stays closed until the password is changed");
        await Accessibility.AssertNoViolationsAsync(page, "the password change form");
        await ConsoleHarness.ScreenshotAsync(page, "sign-in-expired-password");

        await page.GetByLabel("Current password").FillAsync("Wrong-current-9");
        await page.GetByLabel("New password", new() { Exact = true }).FillAsync("Brand-new-pass-77");
        await page.GetByLabel("New password again").FillAsync("Brand-new-pass-77");
        var response = await page.RunAndWaitForResponseAsync(
            () => page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync(), r => r.Url.EndsWith("/api/auth/password", StringComparison.Ordinal));
        Assert.That(response.Status, Is.EqualTo(400));
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("current password is wrong");

        await page.GetByLabel("Current password").FillAsync(StaffBuilder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/console/agent$"));
        await Expect(page.Locator("#agent-state")).ToHaveTextAsync("Offline");
    }

    [Test]
    public async Task An_agent_opening_the_supervisor_console_is_refused_by_the_api_with_403()
    {
        await using var harness = new ConsoleHarness();
        var agent = await harness.NewAgentAsync();
        var page = await harness.SignInAsync(agent);
        await Expect(page).ToHaveURLAsync(new Regex("/console/agent$"));
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Supervisor console" })).ToHaveCountAsync(0);

        var response = await page.RunAndWaitForResponseAsync(() => page.GotoAsync("/console/supervisor"),
            r => r.Url.EndsWith("/api/supervisor/agents", StringComparison.Ordinal));
        Assert.That(response.Status, Is.EqualTo(403));
        await Expect(page.Locator("#supervisor-messages [role=alert]")).ToContainTextAsync("Not allowed for your role");
        await Expect(page.Locator("#supervisor-messages [role=alert]")).ToContainTextAsync("(HTTP 403)");
        var forced = await page.Context.APIRequest.PostAsync($"/api/supervisor/agents/{agent}/state",
            new() { DataObject = new { state = "Offline" } });
        Assert.That(forced.Status, Is.EqualTo(403));
    }
}
