using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CallCenter.Console.Tests;

/// <summary>The knowledge base in the agent console: pinned incident scripts, search with the change banner, flags, suggestions.</summary>
public sealed class KnowledgeConsoleTests
{
    [Test]
    public async Task An_agent_sees_a_pinned_script_arrive_searches_in_Chinese_sees_the_coming_change_flags_an_article_and_gets_suggestions()
    {
        await using var harness = new ConsoleHarness();
        var product = "信用卡" + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var supervisorNumber = await harness.Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var supervisor = await AgentConsole.SignInAsync(harness.CreateClient(), supervisorNumber);
        var now = harness.Clock.GetUtcNow();
        var articleId = await PublishAsync(supervisor.Http, product, "信用卡年费标准", "白金卡年费**每年100元**。", now.AddDays(-30), null);
        await PublishAsync(supervisor.Http, product, "信用卡年费标准", "白金卡年费调整为**每年200元**。", now.AddDays(3), articleId);
        await PublishAsync(supervisor.Http, product, "新卡激活办法", "新卡可在手机银行激活。", now.AddDays(-1), null);

        var agent = await harness.NewAgentAsync();
        var page = await harness.SignInAsync(agent);
        await Expect(page.Locator("#agent-state")).ToHaveTextAsync("Offline");

        // A supervisor at the console pins a script while the agent is signed in: it arrives over the hub, at the top.
        var desk = await harness.SignInAsync(supervisorNumber);
        await desk.GetByLabel("Script title").FillAsync("核心系统故障应答口径");
        await desk.GetByLabel("What agents say (Markdown)").FillAsync("转账暂停，**预计14:00恢复**。");
        await desk.GetByRole(AriaRole.Button, new() { Name = "Pin script" }).ClickAsync();
        await Expect(page.Locator("#pinned-scripts")).ToContainTextAsync("核心系统故障应答口径");
        await Expect(desk.Locator("#kb-scripts")).ToContainTextAsync("核心系统故障应答口径");
        await Expect(page.Locator("#pinned-scripts strong")).ToHaveTextAsync("预计14:00恢复");

        await page.GetByLabel("Search", new() { Exact = true }).FillAsync("年费");
        await page.GetByLabel("Product").FillAsync(product);
        await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
        var result = page.Locator($"#kb-results li[data-article-id='{articleId}']");
        await Expect(result).ToContainTextAsync("每年100元");
        await Expect(result.Locator(".kb-banner")).ToContainTextAsync("Changes on");
        await Expect(result.Locator(".kb-banner")).ToContainTextAsync("每年200元");
        await Accessibility.AssertNoViolationsAsync(page, "the agent console with knowledge results");
        await ConsoleHarness.ScreenshotAsync(page, "agent-console-knowledge");

        page.Dialog += async (_, dialog) => await dialog.AcceptAsync("年费已经是300元");
        await result.GetByRole(AriaRole.Button, new() { Name = "Flag as wrong" }).ClickAsync();
        await Expect(page.Locator("#kb-messages")).ToContainTextAsync("Flag sent to Card Department");
        await using (var scope = harness.Server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
            var flag = await db.KnowledgeFlags.SingleAsync(f => f.ArticleId == articleId);
            Assert.That((flag.RaisedBy, flag.Comment), Is.EqualTo((agent, "年费已经是300元")));
        }

        // A caller who chose accounts and cards, then card services, then an agent: the offer suggests the activation article.
        await page.GetByRole(AriaRole.Button, new() { Name = "Available" }).ClickAsync();
        await Expect(page.Locator("#agent-state")).ToHaveTextAsync("Available");
        var call = await IvrCall.DialAsync(harness.CreateTwilioClient());
        foreach (var key in new[] { "1", "1", "3", "0" }) await call.PressAsync(key);
        await Expect(page.Locator("#offer")).ToBeVisibleAsync();
        await Expect(page.Locator("#kb-suggestions")).ToContainTextAsync("新卡激活办法");
        await ConsoleHarness.ScreenshotAsync(page, "agent-console-knowledge-suggestions");
    }

    [Test]
    public async Task A_supervisor_enters_a_departments_notice_approves_and_publishes_it_from_the_console()
    {
        await using var harness = new ConsoleHarness();
        var supervisorNumber = await harness.Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        var desk = await harness.SignInAsync(supervisorNumber);
        var product = "网点" + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await desk.GetByRole(AriaRole.Textbox, new() { Name = "Department", Exact = true }).FillAsync("Branch Network");
        await desk.GetByLabel("Kind of change").SelectOptionAsync("BranchMove");
        await desk.GetByLabel("Title", new() { Exact = true }).FillAsync("徐汇支行迁址");
        await desk.GetByLabel("Text (Markdown)").FillAsync("徐汇支行12月1日起迁至**新址**。");
        await desk.GetByLabel("Products (comma-separated)").FillAsync(product);
        await desk.GetByRole(AriaRole.Button, new() { Name = "Submit notice" }).ClickAsync();

        var row = desk.Locator("#kb-notices tr", new() { HasText = product });
        await Expect(row.Locator("[data-col=status]")).ToHaveTextAsync("Submitted");
        await row.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Expect(row.Locator("[data-col=status]")).ToHaveTextAsync("Approved");
        await Accessibility.AssertNoViolationsAsync(desk, "the supervisor's knowledge desk");
        await ConsoleHarness.ScreenshotAsync(desk, "supervisor-console-knowledge");
        await row.GetByRole(AriaRole.Button, new() { Name = "Publish" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);

        using var agent = await AgentConsole.SignInAsync(harness.CreateClient(), await harness.Server.Services.CreateStaffAsync(StaffRole.Agent));
        var found = await agent.Http.GetFromJsonAsync<JsonElement>($"/api/kb/search?q={Uri.EscapeDataString("迁址")}&product={Uri.EscapeDataString(product)}");
        Assert.That(found.GetProperty("results").GetArrayLength(), Is.EqualTo(1));
        Assert.That(found.GetProperty("results")[0].GetProperty("article").GetProperty("owner").GetString(), Is.EqualTo("Branch Network"));
    }

    private static async Task<long> PublishAsync(HttpClient supervisor, string product, string title, string body, DateTimeOffset effectiveFrom, long? articleId)
    {
        using var submit = await supervisor.PostAsJsonAsync("/api/kb/notices", new
        {
            department = "Card Department", kind = "FeeChange", articleId, title, body, language = "zh-CN",
            products = new[] { product }, tags = new[] { "fees" }, effectiveFrom,
        });
        submit.EnsureSuccessStatusCode();
        var id = (await submit.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
        using var approve = await supervisor.PostAsJsonAsync($"/api/kb/notices/{id}/approve", new { });
        approve.EnsureSuccessStatusCode();
        using var publish = await supervisor.PostAsync($"/api/kb/notices/{id}/publish", null);
        publish.EnsureSuccessStatusCode();
        return (await publish.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("articleId").GetInt64();
    }
}
