using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Core.Outbound;
using CallCenter.Server.Data;
using CallCenter.Server.Outbound;
using CallCenter.Server.Staff;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace CallCenter.Server.Tests.Outbound;

/// <summary>
/// A dialled callback or project call whose final status never arrives does not keep the agent or the customer forever:
/// the sweep asks Twilio after a while and settles the attempt, or releases it as failed-unknown after a further limit.
/// </summary>
public sealed class UnsettledCallSweepTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    [Test]
    public async Task A_project_call_without_a_status_is_settled_from_Twilios_answer_and_the_agent_is_free_again()
    {
        // Its own database: the sweep looks at every unsettled attempt. Friday 27 November 2026, 10:00 in Shanghai.
        await using var database = await TestDatabase.CreateAsync("sweep_project");
        await using var h = new AcdHarness(settings: new Dictionary<string, string> { ["Complaints:RunWorkers"] = "false" },
            now: new DateTimeOffset(2026, 11, 27, 10, 0, 0, Shanghai).ToUniversalTime(), database: database);
        var sid = $"CA{Guid.NewGuid():N}";
        h.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls.json").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBodyAsJson(new { sid, status = "queued" }));
        h.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls/{sid}.json").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new { sid, status = "no-answer", duration = "0" }));
        using var console = await h.AvailableAgentAsync(("general", 1));
        var agent = console.Http;
        var projectId = await OutboundProjectBuilder.ApprovedAsync(h, "Lost status", "Sun", "+8613700000021");
        using var next = await agent.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        var contact = await next.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
        var contactId = contact.GetProperty("contactId").GetInt64();
        var sweep = h.Server.Services.GetRequiredService<UnsettledCallSweep>();

        h.Clock.Advance(TimeSpan.FromMinutes(14));
        var early = await sweep.RunOnceAsync(CancellationToken.None);
        using var stillLocked = await agent.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        var due = await sweep.RunOnceAsync(CancellationToken.None);
        var again = await sweep.RunOnceAsync(CancellationToken.None);
        using var free = await agent.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        using var late = await h.CreateTwilioClient().PostSignedAsync($"/twilio/voice/project-call-status?project={projectId}&contact={contactId}",
            new Dictionary<string, string> { ["CallSid"] = sid, ["AccountSid"] = TwilioForms.AccountSid, ["CallStatus"] = "busy" });
        var events = (await h.EventsOfAsync(contact.GetProperty("callSid").GetString()!)).Where(e => e.Type.StartsWith("outbound.", StringComparison.Ordinal)).ToList();
        var csv = await (await OutboundProjectBuilder.SignInAsync(h, StaffRole.Supervisor)).GetStringAsync($"/api/outbound/projects/{projectId}/export");

        Assert.Multiple(() =>
        {
            Assert.That(early, Is.EqualTo(new UnsettledCallSweepRun(0, 0, 0)), "14 minutes: the status may still come");
            Assert.That(stillLocked.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(due, Is.EqualTo(new UnsettledCallSweepRun(1, 1, 0)));
            Assert.That(again, Is.EqualTo(new UnsettledCallSweepRun(0, 0, 0)), "settled once");
            Assert.That(free.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), "the agent may take the next customer; this one waits for the retry");
            Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "outbound.attempt_settled" }));
            Assert.That(AcdHarness.Payload(events[0]).GetProperty("settledBy").GetString(), Is.EqualTo("StatusCheck"));
            Assert.That(csv, Does.Contain("\"Sun\",+86137****0021,Open,1,NoAnswer"), "Twilio's no-answer, not the late busy");
        });
    }

    [Test]
    public async Task A_callback_Twilio_still_reports_live_is_released_as_failed_unknown_once_after_the_further_limit()
    {
        await using var database = await TestDatabase.CreateAsync("sweep_callback");
        await using var h = new AcdHarness(settings: new Dictionary<string, string>
        {
            ["Acd:Queues:0:MaxWait"] = "00:01:00",
            ["Complaints:RunWorkers"] = "false",
            ["Callbacks:StatusCheckAfter"] = "00:10:00",
            ["Callbacks:ReleaseUnknownAfter"] = "02:00:00",
        }, database: database);
        var sid = $"CA{Guid.NewGuid():N}";
        h.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls.json").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBodyAsJson(new { sid, status = "queued" }));
        h.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls/{sid}.json").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new { sid, status = "in-progress" }));
        var (callbackId, agent) = await TakenQueueCallbackAsync(h);
        var sweep = h.Server.Services.GetRequiredService<UnsettledCallSweep>();

        h.Clock.Advance(TimeSpan.FromMinutes(11));
        var live = await sweep.RunOnceAsync(CancellationToken.None);
        var onCall = (await agent.MeAsync()).GetProperty("state").GetString();
        h.Clock.Advance(TimeSpan.FromHours(2));
        // Two runs at once (as two instances whose leases overlapped would): the attempt is released once.
        var runs = await Task.WhenAll(sweep.RunOnceAsync(CancellationToken.None), sweep.RunOnceAsync(CancellationToken.None));
        var afterRelease = (await agent.MeAsync()).GetProperty("state").GetString();
        using var late = await h.CreateTwilioClient().PostSignedAsync($"/twilio/voice/callback-status?callback={callbackId}",
            new Dictionary<string, string> { ["CallSid"] = sid, ["AccountSid"] = TwilioForms.AccountSid, ["CallStatus"] = "completed", ["CallDuration"] = "30" });
        var callback = await CallbackAsync(h, callbackId);
        var ended = (await h.EventsOfAsync(callbackId)).Where(e => e.Type == "callback.attempt_ended").ToList();

        Assert.Multiple(() =>
        {
            Assert.That(live, Is.EqualTo(new UnsettledCallSweepRun(1, 0, 0)), "asked, but Twilio says the call is live");
            Assert.That(onCall, Is.EqualTo("OnCall"));
            Assert.That(runs.Sum(r => r.Released), Is.EqualTo(1));
            Assert.That(afterRelease, Is.EqualTo("WrapUp"), "the agent is no longer held on the callback");
            Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(callback.Status, Is.EqualTo(CallbackStatus.Pending), "the late 'completed' changes nothing: the next attempt is due");
            Assert.That(callback.Attempts.Single().Outcome, Is.EqualTo(DialOutcome.Failed));
            Assert.That(ended, Has.Count.EqualTo(1));
            Assert.That(AcdHarness.Payload(ended[0]).GetProperty("callStatus").GetString(), Is.EqualTo("unknown"));
            Assert.That(AcdHarness.Payload(ended[0]).GetProperty("settledBy").GetString(), Is.EqualTo("Released"));
        });
    }

    // One caller waits past the queue's limit, records a callback request, and an agent takes the callback (dialled over REST).
    private static async Task<(string CallbackId, AgentConsole Agent)> TakenQueueCallbackAsync(AcdHarness h)
    {
        var caller = await h.QueueCallAsync("+86137" + Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture));
        h.Clock.Advance(TimeSpan.FromSeconds(61));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(await h.AcdEventTypesAsync(caller.CallSid)).Contains("acd.limit_reached"))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("Timed out waiting for the queue limit.");
            await Task.Delay(50);
        }
        using (var recorded = await h.CreateTwilioClient().PostSignedAsync("/twilio/voice/callback-request", new Dictionary<string, string>
               {
                   ["CallSid"] = caller.CallSid, ["AccountSid"] = TwilioForms.AccountSid, ["RecordingSid"] = "RE" + Guid.NewGuid().ToString("N"),
                   ["RecordingUrl"] = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", ["RecordingDuration"] = "9",
               }))
            recorded.EnsureSuccessStatusCode();
        await h.Server.Services.GetRequiredService<CallbackWorker>().RunOnceAsync(CancellationToken.None);
        await using var scope = h.Server.Services.CreateAsyncScope();
        var callbackId = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().Callbacks
            .Where(c => c.OriginCallSid == caller.CallSid).Select(c => c.Id).SingleAsync();
        var agent = await h.AvailableAgentAsync(("general", 1));
        await agent.OfferAsync();
        using var accepted = await agent.AcceptAsync(callbackId);
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        return (callbackId, agent);
    }

    private static async Task<Callback> CallbackAsync(AcdHarness h, string callbackId)
    {
        await using var scope = h.Server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().Callbacks.AsNoTracking().Include(c => c.Attempts)
            .SingleAsync(c => c.Id == callbackId);
    }
}
