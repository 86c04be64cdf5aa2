using System.Text.RegularExpressions;
using CallCenter.Core.Security;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CallCenter.Console.Tests;

/// <summary>The second factor as a supervisor meets it: enrolment at the first sign-in, then a code at every sign-in.</summary>
public sealed class TotpSignInTests
{
    [Test]
    public async Task A_supervisor_enrols_an_authenticator_at_first_sign_in_then_signs_in_with_a_code()
    {
        await using var harness = new ConsoleHarness();
        var supervisor = await harness.Server.Services.CreateStaffAsync(StaffRole.Supervisor, secondFactor: false);
        var page = await harness.SignInAsync(supervisor);

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Set up your authenticator app" })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Img, new() { Name = $"QR code for account {supervisor}" })).ToBeVisibleAsync();
        var refused = await page.Context.APIRequest.GetAsync("/api/metrics/wallboard");
        Assert.That(refused.Status, Is.EqualTo(403), "nothing opens before the authenticator is enrolled");
        await Accessibility.AssertNoViolationsAsync(page, "the authenticator enrolment");
        await ConsoleHarness.ScreenshotAsync(page, "totp-enrolment");

        var secret = Base32.Decode(await page.Locator("#totp-secret").InnerTextAsync());
        var step = Totp.StepAt(harness.Clock.GetUtcNow());
        await page.GetByLabel("One-time code").FillAsync(Totp.Code(secret, step));
        await page.GetByRole(AriaRole.Button, new() { Name = "Confirm" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Your recovery codes" })).ToBeVisibleAsync();
        await Expect(page.Locator("#recovery-codes li")).ToHaveCountAsync(10);
        await ConsoleHarness.ScreenshotAsync(page, "totp-recovery-codes");
        await page.GetByRole(AriaRole.Button, new() { Name = "I have stored these codes" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/console/supervisor$"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.GetByLabel("Work number").FillAsync(supervisor);
        await page.GetByLabel("Password").FillAsync(StaffBuilder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("6-digit code");
        await Accessibility.AssertNoViolationsAsync(page, "the one-time code step");
        var wrong = Totp.Code(secret, step + 1) == "000000" ? "111111" : "000000";
        await page.GetByLabel("One-time code").FillAsync(wrong);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Wrong one-time code (HTTP 401)");
        await page.GetByLabel("One-time code").FillAsync(Totp.Code(secret, step + 1));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/console/supervisor$"));
    }
}
