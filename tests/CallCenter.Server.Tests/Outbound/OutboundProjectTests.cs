using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Staff;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace CallCenter.Server.Tests.Outbound;

/// <summary>An outbound project is approved before any call; a customer not reached is retried at most three times, never after a refusal, never at night in their zone.</summary>
public sealed class OutboundProjectTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    [Test]
    public async Task Customers_are_called_only_after_approval_at_most_three_times_never_after_a_refusal_and_never_at_22_00_local_time()
    {
        // Friday 27 November 2026, 17:00 in Shanghai.
        await using var h = new AcdHarness(settings: new Dictionary<string, string> { ["Callbacks:RunWorkers"] = "false", ["Complaints:RunWorkers"] = "false" });
        h.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls.json").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBodyAsJson(new { sid = "CA00000000000000000000000000000p01", status = "queued" }));
        var department = await SignInAsync(h, StaffRole.Agent);
        using var created = await department.PostAsJsonAsync("/api/outbound/projects", new
        {
            name = "Card renewal survey", department = "Card Department", script = "您好，这里是银行客服中心……",
            questions = new[] { "Did the new card arrive?" }, retryDelayMinutes = 120,
            contacts = new[] { new { name = "Wang", number = "+8613700000001", timeZone = "Asia/Shanghai" }, new { name = "Li", number = "+8613700000002", timeZone = "Asia/Shanghai" } },
        });
        var projectId = (await created.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options)).GetProperty("id").GetInt64();
        var agent = await SignInAsync(h, StaffRole.Agent);
        using var beforeApproval = await agent.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        var supervisor = await SignInAsync(h, StaffRole.Supervisor);
        using var approved = await supervisor.PostAsync($"/api/outbound/projects/{projectId}/approve", null);

        var log = new List<string>();
        async Task<string?> WorkAsync(string outcome)
        {
            using var next = await agent.PostAsync($"/api/outbound/projects/{projectId}/next", null);
            if (next.StatusCode == HttpStatusCode.NoContent) { log.Add("none"); return null; }
            var contact = await next.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
            var name = contact.GetProperty("name").GetString()!;
            using var result = await agent.PostAsJsonAsync($"/api/outbound/projects/{projectId}/contacts/{contact.GetProperty("contactId").GetInt64()}/result",
                new { outcome, answers = new[] { "yes" } });
            result.EnsureSuccessStatusCode();
            log.Add($"{name}:{outcome}");
            return name;
        }

        await WorkAsync("NoAnswer");                 // 17:00 Wang, 1st attempt
        await WorkAsync("Refused");                  // 17:00 Li refuses
        await WorkAsync("NoAnswer");                 // nobody: Wang waits 2 h, Li never again
        h.Clock.Advance(TimeSpan.FromHours(2));
        await WorkAsync("NoAnswer");                 // 19:00 Wang, 2nd attempt
        h.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 27, 22, 0, 0, Shanghai).ToUniversalTime());
        agent = await SignInAsync(h, StaffRole.Agent);
        await WorkAsync("NoAnswer");                 // 22:00 local: no call
        h.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 28, 9, 0, 0, Shanghai).ToUniversalTime());
        agent = await SignInAsync(h, StaffRole.Agent);
        await WorkAsync("NoAnswer");                 // 09:00 Wang, 3rd and last attempt
        h.Clock.Advance(TimeSpan.FromHours(5));
        await WorkAsync("NoAnswer");                 // the 4th is never dialled
        supervisor = await SignInAsync(h, StaffRole.Supervisor);
        var csv = await supervisor.GetStringAsync($"/api/outbound/projects/{projectId}/export");
        var dialled = h.Twilio.LogEntries.Count(e => e.RequestMessage!.Path.EndsWith("/Calls.json", StringComparison.Ordinal));

        Assert.Multiple(() =>
        {
            Assert.That(beforeApproval.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "nobody is called before approval");
            Assert.That(approved.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(log, Is.EqualTo(new[] { "Wang:NoAnswer", "Li:Refused", "none", "Wang:NoAnswer", "none", "Wang:NoAnswer", "none" }));
            Assert.That(dialled, Is.EqualTo(4), "three attempts for Wang, one for Li, each placed over Twilio REST");
            Assert.That(csv, Does.Contain("\"Wang\",+86137****0001,Exhausted,3,NoAnswer"));
            Assert.That(csv, Does.Contain("\"Li\",+86137****0002,Refused,1,Refused"));
        });
    }

    private static async Task<HttpClient> SignInAsync(AcdHarness h, StaffRole role)
    {
        var client = h.Server.CreateClient();
        using var login = await StaffBuilder.LoginAsync(client, await h.Server.Services.CreateStaffAsync(role));
        login.EnsureSuccessStatusCode();
        return client;
    }
}
