using System.Net.Http.Json;
using CallCenter.Core.Quality;
using CallCenter.Server.Data;
using CallCenter.Server.Metrics;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Playwright;
using WireMock.Server;
using static Microsoft.Playwright.Assertions;

namespace CallCenter.Console.Tests;

/// <summary>
/// The QA console's review desk end to end: a supervisor draws the month's plan and follows each reviewer's progress, edits a
/// scoring form into a new version, sees two reviewers' variance on one call, closes the month (the reviewer is then refused
/// and the supervisor changes the score with a reason), and reads an agent's scorecard, which the agent sees too.
/// </summary>
public sealed class QaReviewConsoleTests
{
    [Test]
    public async Task A_supervisor_runs_the_month_from_plan_to_closed_scores_and_the_agent_sees_the_scorecard()
    {
        using var azure = WireMockServer.Start();
        var storage = Path.Combine(Path.GetTempPath(), "callcenter-qa-review-" + Guid.NewGuid().ToString("N"));
        await using var harness = new ConsoleHarness(new Dictionary<string, string>
        {
            ["Archive:MasterKeys:k1"] = Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray()),
            ["Archive:ActiveKeyId"] = "k1",
            ["Archive:StorageDirectory"] = storage,
            ["AzureSpeech:Key"] = QaConsoleTests.AzureKey,
            ["Transcription:Endpoint"] = azure.Urls[0] + "/",
            ["Transcription:RunWorker"] = "false",
        });
        try
        {
            var agentA = await harness.NewAgentAsync();
            var agentB = await harness.NewAgentAsync();
            var callA = await QaConsoleTests.ArchivedTranscribedCallAsync(harness, azure, agentA);
            var callB = await QaConsoleTests.ArchivedTranscribedCallAsync(harness, azure, agentB);
            var period = await PeriodOfAsync(harness, callA);
            var supervisor = await harness.Server.Services.CreateStaffAsync(StaffRole.Supervisor);
            var reviewer1 = await harness.Server.Services.CreateStaffAsync(StaffRole.Quality);
            var reviewer2 = await harness.Server.Services.CreateStaffAsync(StaffRole.Quality);
            // The console tests share one database: this test's form, calls and plan are told apart by name and number.
            var formName = "Review desk form " + Guid.NewGuid().ToString("N")[..8];
            long formId;
            using (var api = await AgentConsole.SignInAsync(harness.CreateClient(), supervisor))
            using (var created = await api.Http.PostAsJsonAsync("/api/qa/forms", new
            {
                name = formName,
                criteria = new object[]
                {
                    new { key = "greeting", label = "Greets and names the bank", weight = 1, fatal = false },
                    new { key = "accuracy", label = "Gives correct information", weight = 3, fatal = false },
                    new { key = "verification", label = "Verifies identity before account details", weight = 0, fatal = true },
                },
            }))
                formId = (await created.Content.ReadFromJsonAsync<IdOnly>())!.Id;

            // The supervisor draws the month's plan in the QA console: one call per agent, shared by two reviewers.
            var page = await harness.SignInAsync(supervisor);
            page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "QA console" }).ClickAsync();
            await page.GetByLabel("Review month").FillAsync(period);
            await page.GetByLabel("Calls per agent").FillAsync("1");
            await page.GetByLabel("Seed (optional)").FillAsync("42");
            await page.GetByLabel("Reviewers (work numbers)").FillAsync($"{reviewer1}, {reviewer2}");
            await page.GetByRole(AriaRole.Button, new() { Name = "Draw plan" }).ClickAsync();
            await Expect(page.Locator("#qa-plan-messages")).ToContainTextAsync($"Plan for {period} drawn:");
            await Expect(page.Locator("#qa-plan-messages")).ToContainTextAsync("seed 42.");
            foreach (var (call, agent) in new[] { (callA, agentA), (callB, agentB) })
            {
                await Expect(page.Locator($"#qa-plan-items tr[data-archive-number='{call}']")).ToContainTextAsync(agent);
                await Expect(page.Locator($"#qa-plan-items tr[data-archive-number='{call}']")).ToContainTextAsync("To score");
            }
            await Expect(page.Locator("#qa-plan-progress tbody tr")).ToHaveCountAsync(2);
            await ConsoleHarness.ScreenshotAsync(page, "qa-review-plan-drawn");

            // The supervisor edits the form: a heavier accuracy weight and a new criterion make version 2.
            await page.GetByRole(AriaRole.Button, new() { Name = $"Edit {formName}" }).ClickAsync();
            await page.GetByLabel("Criterion 2 weight").FillAsync("2");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add criterion" }).ClickAsync();
            await page.GetByLabel("Criterion 4 key").FillAsync("closing");
            await page.GetByLabel("Criterion 4 label").FillAsync("Closes the call politely");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save as new version" }).ClickAsync();
            await Expect(page.Locator("#qa-forms-messages")).ToContainTextAsync($"Saved {formName} version 2.");
            await Expect(page.Locator("#qa-forms")).ToContainTextAsync($"{formName} (version 2, 4 criteria, 1 fatal)");
            await ConsoleHarness.ScreenshotAsync(page, "qa-review-form-version-2");

            // Both reviewers score both calls (version 1, as they opened it): the plan's progress and calibration follow.
            var scores = new Dictionary<(string Reviewer, long Call), long>();
            foreach (var (reviewer, greeting, accuracy) in new[] { (reviewer1, 100, 100), (reviewer2, 60, 80) })
            {
                using var api = await AgentConsole.SignInAsync(harness.CreateClient(), reviewer);
                foreach (var call in new[] { callA, callB })
                {
                    using var scored = await api.Http.PostAsJsonAsync("/api/qa/evaluations", new
                    {
                        archiveNumber = call, formId,
                        answers = new object[] { new { key = "greeting", points = greeting }, new { key = "accuracy", points = accuracy }, new { key = "verification", passed = true } },
                    });
                    Assert.That((int)scored.StatusCode, Is.EqualTo(201), await scored.Content.ReadAsStringAsync());
                    scores[(reviewer, call)] = (await scored.Content.ReadFromJsonAsync<IdOnly>())!.Id;
                }
            }
            await page.GetByRole(AriaRole.Button, new() { Name = "Show plan" }).ClickAsync();
            foreach (var call in new[] { callA, callB })
                await Expect(page.Locator($"#qa-plan-items tr[data-archive-number='{call}']")).ToContainTextAsync("Scored (evaluation");
            var scoredPerReviewer = await page.Locator("#qa-plan-progress tbody tr td:nth-child(3)").AllTextContentsAsync();
            Assert.That(scoredPerReviewer.Sum(t => int.Parse(t, System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(2), "each reviewer's progress counts the plan's calls they scored");
            await ConsoleHarness.ScreenshotAsync(page, "qa-review-plan-progress");

            await page.GetByLabel("Recording number").FillAsync(callA.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await page.GetByRole(AriaRole.Button, new() { Name = "Compare reviewers" }).ClickAsync();
            await Expect(page.Locator("#qa-calibration-reviews tbody tr")).ToHaveCountAsync(2);
            await Expect(page.Locator("#qa-calibration-result")).ToContainTextAsync("Mean 87.5, variance 156.25, spread 25 points: outside tolerance");
            await ConsoleHarness.ScreenshotAsync(page, "qa-review-calibration");

            // The month closes; the reviewer's own change is then refused.
            await page.GetByRole(AriaRole.Button, new() { Name = "Close review month" }).ClickAsync();
            await Expect(page.Locator("#qa-period-status")).ToContainTextAsync($"{period} is closed (by {supervisor}");
            var reviewerPage = await harness.SignInAsync(reviewer1);
            await reviewerPage.GetByLabel("Month", new() { Exact = true }).FillAsync(period);
            await reviewerPage.GetByRole(AriaRole.Button, new() { Name = "List evaluations" }).ClickAsync();
            var evaluationId = scores[(reviewer1, callA)];
            await reviewerPage.GetByRole(AriaRole.Button, new() { Name = $"Change score of evaluation {evaluationId}" }).ClickAsync();
            await reviewerPage.GetByLabel("Greets and names the bank").FillAsync("50");
            await reviewerPage.GetByRole(AriaRole.Button, new() { Name = "Save changed score" }).ClickAsync();
            await Expect(reviewerPage.Locator("#qa-evaluations-messages")).ToContainTextAsync("Review period closed");
            await Expect(reviewerPage.Locator("#qa-evaluations-messages")).ToContainTextAsync("HTTP 403");
            await ConsoleHarness.ScreenshotAsync(reviewerPage, "qa-review-closed-month-refuses-reviewer");

            // The supervisor changes it with a reason; the operation log keeps both totals and the reason.
            await page.GetByLabel("Month", new() { Exact = true }).FillAsync(period);
            await page.GetByRole(AriaRole.Button, new() { Name = "List evaluations" }).ClickAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = $"Change score of evaluation {evaluationId}" }).ClickAsync();
            await page.GetByLabel("Greets and names the bank").FillAsync("50");
            await page.GetByLabel("Reason for the change").FillAsync("Calibration: the greeting did not name the bank.");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save changed score" }).ClickAsync();
            await Expect(page.Locator("#qa-evaluations-messages")).ToContainTextAsync($"Evaluation {evaluationId} changed: 100 → 87.5 (Good).");
            await Expect(page.Locator($"#qa-evaluations-table tr[data-evaluation-id='{evaluationId}'] .total")).ToHaveTextAsync("87.5 Good");
            await using (var scope = harness.Server.Services.CreateAsyncScope())
            {
                var change = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().OperationLog
                    .SingleAsync(o => o.Action == "qa.evaluation.change_after_close" && o.Target == $"evaluation {evaluationId}");
                Assert.That((change.Operator, change.Details), Is.EqualTo((supervisor, $"{period}: 100.0 → 87.5; reason: Calibration: the greeting did not name the bank.")));
            }
            await ConsoleHarness.ScreenshotAsync(page, "qa-review-supervisor-changed-closed-score");

            // Agent A's scorecard: the month's two evaluations, 87.5 and 75.
            await page.GetByLabel("Agent work number").FillAsync(agentA);
            await page.GetByRole(AriaRole.Button, new() { Name = "Show scorecard" }).ClickAsync();
            var month = page.Locator($"#qa-scorecard-table tr[data-period='{period}']");
            await Expect(month).ToContainTextAsync("81.3");
            await Expect(month).ToContainTextAsync("Good");
            await Accessibility.AssertNoViolationsAsync(page, "the QA console's review desk");
            await ConsoleHarness.ScreenshotAsync(page, "qa-review-scorecard");

            var agentPage = await harness.SignInAsync(agentA);
            var own = agentPage.Locator($"#my-scorecard-table tr[data-period='{period}']");
            await Expect(own).ToContainTextAsync("81.3");
            await Expect(own.Locator("td").Nth(1)).ToHaveTextAsync("2");
            await ConsoleHarness.ScreenshotAsync(agentPage, "agent-console-my-scorecard");
        }
        finally
        {
            if (Directory.Exists(storage)) Directory.Delete(storage, recursive: true);
        }
    }

    private sealed record IdOnly(long Id);

    private static async Task<string> PeriodOfAsync(ConsoleHarness harness, long archiveNumber)
    {
        await using var scope = harness.Server.Services.CreateAsyncScope();
        var started = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().ArchivedRecordings
            .Where(r => r.ArchiveNumber == archiveNumber).Select(r => r.CallStartedAt).SingleAsync();
        return ReviewPeriod.Of(started, harness.Server.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.Zone).ToString();
    }
}
