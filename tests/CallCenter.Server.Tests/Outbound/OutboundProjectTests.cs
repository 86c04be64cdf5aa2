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
        var department = await OutboundProjectBuilder.SignInAsync(h, StaffRole.Agent);
        using var created = await department.PostAsJsonAsync("/api/outbound/projects", new
        {
            name = "Card renewal survey", department = "Card Department", script = "您好，这里是银行客服中心……",
            questions = new[] { "Did the new card arrive?" }, retryDelayMinutes = 120,
            contacts = new[] { new { name = "Wang", number = "+8613700000001", timeZone = "Asia/Shanghai" }, new { name = "Li", number = "+8613700000002", timeZone = "Asia/Shanghai" } },
        });
        var projectId = (await created.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options)).GetProperty("id").GetInt64();
        // Project calls go to an agent who is available in the ACD, like any call.
        var agent = await AvailableAgentAsync(h);
        using var beforeApproval = await agent.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        var supervisor = await OutboundProjectBuilder.SignInAsync(h, StaffRole.Supervisor);
        using var approved = await supervisor.PostAsync($"/api/outbound/projects/{projectId}/approve", null);

        var log = new List<string>();
        async Task<string?> WorkAsync(string outcome)
        {
            using var next = await agent.PostAsync($"/api/outbound/projects/{projectId}/next", null);
            if (next.StatusCode == HttpStatusCode.NoContent) { log.Add("none"); return null; }
            var contact = await next.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
            var name = contact.GetProperty("name").GetString()!;
            // The result is recorded once the call is over (here the agent hangs up).
            using (var ended = await agent.PostAsync($"/api/agent/calls/{contact.GetProperty("callSid").GetString()}/end", null)) ended.EnsureSuccessStatusCode();
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
        agent = await AvailableAgentAsync(h);
        await WorkAsync("NoAnswer");                 // 22:00 local: no call
        h.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 28, 9, 0, 0, Shanghai).ToUniversalTime());
        agent = await AvailableAgentAsync(h);
        await WorkAsync("NoAnswer");                 // 09:00 Wang, 3rd and last attempt
        h.Clock.Advance(TimeSpan.FromHours(5));
        await WorkAsync("NoAnswer");                 // the 4th is never dialled
        supervisor = await OutboundProjectBuilder.SignInAsync(h, StaffRole.Supervisor);
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

    [Test]
    public async Task Twilio_final_statuses_record_each_attempt_once_schedule_the_retry_and_the_fourth_attempt_is_never_dialled()
    {
        // Friday 27 November 2026, 10:00 in Shanghai.
        await using var h = new AcdHarness(settings: new Dictionary<string, string> { ["Callbacks:RunWorkers"] = "false", ["Complaints:RunWorkers"] = "false" },
            now: new DateTimeOffset(2026, 11, 27, 10, 0, 0, Shanghai).ToUniversalTime());
        var sids = Enumerable.Range(1, 4).Select(i => $"CA{Guid.NewGuid():N}"[..32] + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)).ToList();
        var calls = 0;
        h.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls.json").UsingPost())
            .RespondWith(Response.Create().WithCallback(_ => new WireMock.ResponseMessage
            {
                StatusCode = 201,
                Headers = new Dictionary<string, WireMock.Types.WireMockList<string>> { ["Content-Type"] = new("application/json") },
                BodyData = new WireMock.Util.BodyData
                {
                    BodyAsString = JsonSerializer.Serialize(new { sid = sids[Math.Min(Interlocked.Increment(ref calls), 4) - 1], status = "queued" }),
                    DetectedBodyType = WireMock.Types.BodyType.String,
                },
            }));
        var (projectId, agent) = await ApprovedProjectAsync(h, maxAttempts: 3, retryDelayMinutes: 60, "Zhao");
        var twilio = h.CreateTwilioClient();

        async Task<(HttpStatusCode Next, string? Status)> DialAsync(string? finalStatus, bool replay = false)
        {
            using var next = await agent.PostAsync($"/api/outbound/projects/{projectId}/next", null);
            if (next.StatusCode != HttpStatusCode.OK || finalStatus is null) return (next.StatusCode, null);
            var contact = await next.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
            var form = new Dictionary<string, string>
            {
                ["CallSid"] = contact.GetProperty("twilioCallSid").GetString()!, ["AccountSid"] = TwilioForms.AccountSid, ["CallStatus"] = finalStatus,
                ["CallDuration"] = "0",
            };
            var url = $"{OutboundStatusPath}?project={projectId}&contact={contact.GetProperty("contactId").GetInt64()}";
            using var status = await twilio.PostSignedAsync(url, form);
            if (replay)
            {
                using var again = await twilio.PostSignedAsync(url, form);
                Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            }
            return (next.StatusCode, status.StatusCode.ToString());
        }

        var first = await DialAsync("no-answer", replay: true);    // 10:00: Twilio says nobody answered (twice: a retried webhook)
        var tooSoon = await DialAsync(null);                        // 10:00: the retry waits an hour
        h.Clock.Advance(TimeSpan.FromHours(1));
        var second = await DialAsync("busy");                       // 11:00
        h.Clock.Advance(TimeSpan.FromHours(1));
        var third = await DialAsync("failed");                      // 12:00: the last attempt
        h.Clock.Advance(TimeSpan.FromHours(5));
        var fourth = await DialAsync(null);                         // 17:00: never a 4th
        var csv = await (await OutboundProjectBuilder.SignInAsync(h, StaffRole.Supervisor)).GetStringAsync($"/api/outbound/projects/{projectId}/export");
        var dialled = h.Twilio.LogEntries.Where(e => e.RequestMessage!.Path.EndsWith("/Calls.json", StringComparison.Ordinal)).ToList();
        var callbackUrl = System.Web.HttpUtility.ParseQueryString(dialled[0].RequestMessage!.Body ?? "")["StatusCallback"];

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo((HttpStatusCode.OK, "NoContent")));
            Assert.That(tooSoon.Next, Is.EqualTo(HttpStatusCode.NoContent), "the agent was freed by Twilio's status, and the customer waits for the retry delay");
            Assert.That(second.Next, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(third.Next, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(fourth.Next, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(dialled, Has.Count.EqualTo(3), "three calls placed over Twilio REST, the 4th never");
            Assert.That(callbackUrl, Does.StartWith($"https://hotline.bank.test{OutboundStatusPath}?project={projectId}&contact="));
            Assert.That(csv, Does.Contain("\"Zhao\",+86137****0011,Exhausted,3,Failed"), "one attempt per call however often Twilio reports it");
        });
    }

    [Test]
    public async Task An_answered_call_waits_for_the_agents_result_a_refusal_stops_the_calls_and_an_unsigned_status_changes_nothing()
    {
        await using var h = new AcdHarness(settings: new Dictionary<string, string> { ["Callbacks:RunWorkers"] = "false", ["Complaints:RunWorkers"] = "false" },
            now: new DateTimeOffset(2026, 11, 27, 10, 0, 0, Shanghai).ToUniversalTime());
        var sid = $"CA{Guid.NewGuid():N}";
        h.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls.json").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBodyAsJson(new { sid, status = "queued" }));
        var (projectId, agent) = await ApprovedProjectAsync(h, maxAttempts: 3, retryDelayMinutes: 1, "Qian");
        var twilio = h.CreateTwilioClient();
        using var next = await agent.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        var contactId = (await next.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options)).GetProperty("contactId").GetInt64();
        var url = $"{OutboundStatusPath}?project={projectId}&contact={contactId}";
        var completed = new Dictionary<string, string> { ["CallSid"] = sid, ["AccountSid"] = TwilioForms.AccountSid, ["CallStatus"] = "completed", ["CallDuration"] = "48" };

        using var unsigned = await h.Server.CreateClient().PostAsync(url, new FormUrlEncodedContent(completed));
        using var stillMine = await agent.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        using var status = await twilio.PostSignedAsync(url, completed);
        using var afterAnswer = await agent.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        using var refused = await agent.PostAsJsonAsync($"/api/outbound/projects/{projectId}/contacts/{contactId}/result", new { outcome = "Refused" });
        using var replay = await twilio.PostSignedAsync(url, completed);
        h.Clock.Advance(TimeSpan.FromHours(2));
        using var never = await agent.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        var csv = await (await OutboundProjectBuilder.SignInAsync(h, StaffRole.Supervisor)).GetStringAsync($"/api/outbound/projects/{projectId}/export");

        Assert.Multiple(() =>
        {
            Assert.That(unsigned.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(stillMine.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "the unsigned status freed nobody");
            Assert.That(status.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(afterAnswer.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "answered: the agent still records what came of it");
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(never.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), "never called again after a refusal");
            Assert.That(csv, Does.Contain("\"Qian\",+86137****0011,Refused,1,Refused"), "the agent's refusal wins over Twilio's completed");
        });
    }

    private const string OutboundStatusPath = "/twilio/voice/project-call-status";

    private static async Task<(long ProjectId, HttpClient Agent)> ApprovedProjectAsync(AcdHarness h, int maxAttempts, int retryDelayMinutes, string name) =>
        (await OutboundProjectBuilder.ApprovedAsync(h, "Fee change notice", name, "+8613700000011", maxAttempts: maxAttempts, retryDelayMinutes: retryDelayMinutes),
            await AvailableAgentAsync(h));

    // The agent's console stays open for the test's length, as an agent's would.
    private static async Task<HttpClient> AvailableAgentAsync(AcdHarness h) => (await h.AvailableAgentAsync(("general", 1))).Http;
}
