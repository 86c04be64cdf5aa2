using System.Net.Http.Json;
using CallCenter.Core.Outbound;
using CallCenter.Core.Routing;
using CallCenter.Server.Archive;
using CallCenter.Server.Complaints;
using CallCenter.Server.Data;
using CallCenter.Server.Outbound;
using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using static Microsoft.Playwright.Assertions;

namespace CallCenter.Console.Tests;

/// <summary>The supervisor's complaint panel, callbacks list and outbound projects, and an agent working a project, in the browser.</summary>
public sealed class ComplaintsAndOutboundConsoleTests
{
    [Test]
    public async Task An_overdue_complaint_a_kept_daily_report_and_a_callbacks_attempts_show_on_the_supervisor_console()
    {
        await using var harness = new ConsoleHarness();
        using var desk = await AgentConsole.SignInAsync(harness.CreateClient(), await harness.Server.Services.CreateStaffAsync(StaffRole.Agent));
        using var opened = await desk.Http.PostAsJsonAsync("/api/complaints", new
        {
            channel = "letter", callerName = "张三", contact = "+8613812345678", @event = "ATM 吞卡后三天未退回", request = "退回银行卡",
            category = "Service", grade = "Major",
        });
        opened.EnsureSuccessStatusCode();
        var id = (await opened.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(TestJson.Options)).GetProperty("id").GetInt64();
        var callbackId = await CallbackWithAttemptAsync(harness);
        harness.Clock.Advance(TimeSpan.FromHours(3));   // a major complaint is accepted within 2 hours
        await harness.Server.Services.GetRequiredService<ComplaintReportWorker>().TickAsync(CancellationToken.None);
        var yesterday = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(harness.Clock.GetUtcNow(), TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai")).DateTime)
            .AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var page = await harness.SignInAsync(await harness.Server.Services.CreateStaffAsync(StaffRole.Supervisor));
        var ticket = page.Locator($"#complaints tr[data-complaint-id='{id}']");
        await Expect(ticket).ToContainTextAsync("Overdue");
        await Expect(ticket).ToHaveClassAsync("overdue");
        await Expect(page.Locator($"#complaint-reports tr[data-report='{yesterday}']")).ToContainTextAsync($"CSV of {yesterday}");
        var callback = page.Locator($"#callbacks tr[data-callback='{callbackId}']");
        await Expect(callback).ToContainTextAsync("+86139****0042");
        await Expect(callback.Locator("[data-col=attempts]")).ToContainTextAsync("NoAnswer");
        await Accessibility.AssertNoViolationsAsync(page, "the supervisor's complaints and callbacks");
        await ConsoleHarness.ScreenshotAsync(page, "supervisor-console-complaints-callbacks");

        await page.GetByLabel("Show", new() { Exact = true }).SelectOptionAsync("Done");
        await Expect(callback).ToHaveCountAsync(0);
    }

    [Test]
    public async Task A_department_submits_a_project_a_supervisor_approves_it_by_keyboard_and_an_agent_works_a_customer_with_its_script_and_questions()
    {
        await using var harness = new ConsoleHarness();
        harness.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{ConsoleHarness.AccountSid}/Calls.json").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBodyAsJson(new { sid = "CA00000000000000000000000000c0n501", status = "queued" }));
        var name = "Card renewal " + Guid.NewGuid().ToString("N")[..6];

        var department = await harness.SignInAsync(await harness.NewAgentAsync());
        await department.GetByText("New project").ClickAsync();
        var form = department.Locator("#new-project");
        await form.GetByLabel("Project name").FillAsync(name);
        await form.GetByLabel("Department").FillAsync("Card Department");
        await form.GetByLabel("Script").FillAsync("您好，这里是银行客服中心，关于您的新卡……");
        await form.GetByLabel("Questions, one per line").FillAsync("Did the new card arrive?");
        await form.GetByLabel("Customers, one per line: name, number, time zone").FillAsync("王女士, +8613700000001, Asia/Shanghai");
        await form.GetByRole(AriaRole.Button, new() { Name = "Submit for approval" }).ClickAsync();
        await Expect(department.Locator("#outbound-messages [role=status]")).ToContainTextAsync("a supervisor approves it before any call");
        var row = department.Locator("#projects tr", new() { HasText = name });
        await Expect(row.Locator("[data-col=status]")).ToHaveTextAsync("Awaiting approval");
        await Expect(row.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);

        var supervisor = await harness.SignInAsync(await harness.Server.Services.CreateStaffAsync(StaffRole.Supervisor));
        var approve = supervisor.GetByRole(AriaRole.Button, new() { Name = $"Approve {name}" });
        await approve.FocusAsync();
        await supervisor.Keyboard.PressAsync("Enter");
        var approved = supervisor.Locator("#projects tr", new() { HasText = name });
        await Expect(approved.Locator("[data-col=status]")).ToHaveTextAsync("Approved");
        await Expect(approved.GetByRole(AriaRole.Link, new() { Name = $"Export results of {name}" })).ToBeVisibleAsync();
        await ConsoleHarness.ScreenshotAsync(supervisor, "supervisor-console-outbound-projects");

        var agent = await harness.SignInAsync(await harness.NewAgentAsync());
        // A project call is the agent's call like any other: they are available first, and on it meanwhile.
        await agent.GetByRole(AriaRole.Button, new() { Name = "Available", Exact = true }).ClickAsync();
        await Expect(agent.Locator("#agent-state")).ToHaveTextAsync("Available");
        var next = agent.GetByRole(AriaRole.Button, new() { Name = $"Call the next customer of {name}" });
        await next.FocusAsync();
        await agent.Keyboard.PressAsync("Enter");
        await Expect(agent.Locator("#outbound-customer-title")).ToContainTextAsync("王女士 (+86137****0001)");
        await Expect(agent.Locator("#outbound-script")).ToHaveTextAsync("您好，这里是银行客服中心，关于您的新卡……");
        var customer = agent.Locator("#outbound-current");
        await customer.GetByLabel("Did the new card arrive?").FillAsync("Yes, last week");
        await Accessibility.AssertNoViolationsAsync(agent, "an agent calling a project's customer");
        await Expect(agent.Locator("#agent-state")).ToHaveTextAsync("On a call");
        await Expect(agent.Locator("#in-call-status")).ToHaveTextAsync("Talking with the caller");
        await ConsoleHarness.ScreenshotAsync(agent, "agent-console-outbound-customer");
        // The result comes once the call is over.
        await agent.GetByRole(AriaRole.Button, new() { Name = "End call" }).ClickAsync();
        await Expect(agent.Locator("#agent-state")).ToHaveTextAsync("Wrap-up");
        await customer.GetByLabel("Outcome").SelectOptionAsync("Answered");
        await customer.GetByRole(AriaRole.Button, new() { Name = "Record result" }).ClickAsync();
        await Expect(agent.Locator("#outbound-messages [role=status]")).ToContainTextAsync("Result recorded for 王女士: Reached after 1 attempt(s).");

        var projectId = await approved.GetAttributeAsync("data-project");
        var export = await supervisor.Context.APIRequest.GetAsync($"/api/outbound/projects/{projectId}/export");
        var csv = await export.TextAsync();
        var dialled = harness.Twilio.LogEntries.Count(e => e.RequestMessage!.Path.EndsWith("/Calls.json", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(csv, Does.Contain("\"王女士\",+86137****0001,Reached,1,Answered").And.Contain("\"Yes, last week\""));
            Assert.That(dialled, Is.EqualTo(1), "one call, placed only after approval");
        });
    }

    [Test]
    public async Task The_agent_who_takes_a_voicemail_callback_gets_a_player_for_the_callers_message()
    {
        await using var harness = new ConsoleHarness();
        harness.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{ConsoleHarness.AccountSid}/Calls.json").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBodyAsJson(new { sid = $"CA{Guid.NewGuid():N}", status = "queued" }));
        var agent = await harness.NewAgentAsync();
        var (callbackId, archiveNumber) = await QueuedVoicemailCallbackAsync(harness);

        var page = await harness.SignInAsync(agent);
        await page.GetByRole(AriaRole.Button, new() { Name = "Available" }).ClickAsync();
        await Expect(page.Locator("#offer")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Accept call" }).ClickAsync();
        await Expect(page.Locator("#call")).ToContainTextAsync(callbackId);
        var message = page.Locator("#callback-message");
        await Expect(message.GetByRole(AriaRole.Link)).ToHaveTextAsync($"Caller's message #{archiveNumber}");
        await Expect(message.Locator("audio")).ToHaveAttributeAsync("src", $"/api/archive/recordings/{archiveNumber}/audio");
        await Accessibility.AssertNoViolationsAsync(page, "an agent on a voicemail callback");
        await ConsoleHarness.ScreenshotAsync(page, "agent-console-voicemail-callback");
        // The catalogue row has no file behind it: "missing" (404), not "refused" (403), shows the agent may play it.
        var audio = await page.Context.APIRequest.GetAsync($"/api/archive/recordings/{archiveNumber}/audio");
        Assert.That(audio.Status, Is.EqualTo(404));
    }

    // A voicemail callback whose message is archived, put into the ACD as the callback worker would.
    private static async Task<(string CallbackId, long ArchiveNumber)> QueuedVoicemailCallbackAsync(ConsoleHarness harness)
    {
        await using var scope = harness.Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var now = harness.Clock.GetUtcNow();
        var id = CallbackWorker.NewId();
        var recordingSid = "RE" + Guid.NewGuid().ToString("N");
        var archiveNumber = 900_000_000L + Random.Shared.Next(1, 99_999_999);
        db.Callbacks.Add(new Callback
        {
            Id = id, Kind = CallbackKind.Voicemail, Number = "+8613900000043", LineNumber = TwilioForms.BankHotline, Queue = "general",
            EnteredAt = now.AddMinutes(-10), TimeZone = "Asia/Shanghai", Status = CallbackStatus.Queued, MessageRecordingSid = recordingSid,
            CreatedBy = "system", CreatedAt = now.AddMinutes(-10),
        });
        db.ArchivedRecordings.Add(new ArchivedRecording
        {
            ArchiveNumber = archiveNumber, RecordingSid = recordingSid, CallSid = $"CA{Guid.NewGuid():N}", Category = "Voicemail", CallStartedAt = now.AddMinutes(-10),
            DurationSeconds = 9, Channels = 1, Sha256 = new byte[32], KeyId = "test", RetentionRule = "test", RetainUntil = now.AddYears(5), ArchivedAt = now,
        });
        await db.SaveChangesAsync();
        await scope.ServiceProvider.GetRequiredService<AcdHost>().EnqueueAsync(
            new CallRequest(id, "general") { IsCallback = true, EnteredAt = now.AddMinutes(-10) }, CancellationToken.None);
        return (id, archiveNumber);
    }

    // A voicemail callback that was tried once without an answer, as the supervisor's list shows it.
    private static async Task<string> CallbackWithAttemptAsync(ConsoleHarness harness)
    {
        await using var scope = harness.Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var now = harness.Clock.GetUtcNow();
        var id = CallbackWorker.NewId();
        var callback = new Callback
        {
            Id = id, Kind = CallbackKind.Voicemail, Number = "+8613900000042", LineNumber = TwilioForms.BankHotline, Queue = "general",
            EnteredAt = now.AddMinutes(-30), TimeZone = "Asia/Shanghai", Status = CallbackStatus.Pending, NextAttemptAt = now.AddMinutes(30),
            CreatedBy = "system", CreatedAt = now.AddMinutes(-30),
            Attempts = [new CallbackAttempt { CallbackId = id, Number = 1, At = now.AddMinutes(-5), Agent = "T1", Outcome = DialOutcome.NoAnswer, DurationSeconds = 0 }],
        };
        db.Callbacks.Add(callback);
        await db.SaveChangesAsync();
        return callback.Id;
    }
}
