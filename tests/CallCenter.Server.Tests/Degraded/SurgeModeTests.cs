using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.Data;
using CallCenter.Server.Metrics;
using CallCenter.Server.Outbound;
using CallCenter.Server.Staff;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Degraded;

/// <summary>Call surge: callers about to hold hear the surge announcement and are offered a callback first.</summary>
public sealed class SurgeModeTests
{
    private const string Line = "bank-hotline";
    private const string Announcement = "当前来电较多，等候时间较长。";

    [Test]
    public async Task When_the_estimated_wait_passes_the_threshold_the_caller_hears_the_surge_announcement_and_can_choose_a_callback()
    {
        await using var h = new AcdHarness(settings: new Dictionary<string, string> { ["Surge:EstimatedWaitThreshold"] = "00:01:00" });
        using var agent = await h.AvailableAgentAsync(("general", 1));

        // A first call handled for two minutes gives the queue its handle time; it met no wait, so no surge.
        var first = await h.QueueCallAsync();
        Assert.That(first.SpokenText, Does.Not.Contain(Announcement));
        using (await agent.AcceptAsync(first.CallSid)) { }
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        using (await agent.EndCallAsync(first.CallSid)) { }
        using (var wrapped = await agent.WrapUpAsync(first.CallSid)) Assert.That(wrapped.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var second = await h.QueueCallAsync("+8613800000002");
        using (var accepted = await agent.AcceptAsync(second.CallSid)) Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));

        // The only agent is busy: the next caller would wait about two minutes, over the one-minute threshold.
        var third = await h.QueueCallAsync("+8613800000003");
        Assert.That(third.SpokenText, Does.Contain(Announcement).And.Contain("如需我们回电，请按1"));
        Assert.That(third.NextAction, Does.StartWith("/twilio/voice/surge-callback?queue=general"));
        Assert.That(await h.Acd.EstimateAsync(third.CallSid, CancellationToken.None), Is.Not.Null, "the caller keeps their place while deciding");
        var offered = (await h.EventsOfAsync(third.CallSid)).Single(e => e.Type == "ivr.surge_offered");
        Assert.That(AcdHarness.Payload(offered).GetProperty("trigger").GetString(), Is.EqualTo("estimated_wait"));

        await third.PressAsync("1");

        Assert.That(third.IsRecording, Is.True, third.RawTwiml);
        Assert.That(third.Twiml.Root?.Element("Record")?.Attribute("action")?.Value, Is.EqualTo("/twilio/voice/callback-request"));
        Assert.That(await h.Acd.EstimateAsync(third.CallSid, CancellationToken.None), Is.Null, "a caller leaving a message is no longer offered to agents");
        Assert.That((await h.EventsOfAsync(third.CallSid)).Select(e => e.Type), Does.Contain("ivr.surge_callback_chosen"));
    }

    [Test]
    public async Task A_caller_who_chooses_the_surge_callback_leaves_the_queue_as_a_callback_and_the_reports_count_no_abandon()
    {
        // A database of its own: the metrics and callback workers read the whole call log, and the surge switch is per line.
        await using var database = await TestDatabase.CreateAsync("surge_callback");
        await using var h = new AcdHarness(settings: new Dictionary<string, string> { ["Complaints:RunWorkers"] = "false" }, database: database);
        using var supervisor = await AgentConsole.SignInAsync(h.Server.CreateClient(), await h.Server.Services.CreateStaffAsync(StaffRole.Supervisor));
        using (var on = await supervisor.Http.PutAsync($"/api/lines/{Line}/surge-mode", null)) Assert.That(on.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var recorded = await h.QueueCallAsync("+8613800000011");
        h.Clock.Advance(TimeSpan.FromSeconds(20));
        await recorded.PressAsync("1");
        await recorded.FinishRecordingAsync();
        var hungUp = await h.QueueCallAsync("+8613800000012");
        h.Clock.Advance(TimeSpan.FromSeconds(5));
        await hungUp.PressAsync("1");   // and hangs up before the tone
        var callbacks = await h.Server.Services.GetRequiredService<CallbackWorker>().RunOnceAsync(CancellationToken.None);
        await h.Server.Services.GetRequiredService<MetricsWorker>().RunOnceAsync(CancellationToken.None);
        var from = CallCenterServerFactory.DefaultNow.AddHours(-1);
        var rows = await supervisor.Http.GetFromJsonAsync<List<QueueIntervalRollup>>(
            $"/api/metrics/queues?from={Uri.EscapeDataString(from.ToString("o"))}&to={Uri.EscapeDataString(from.AddHours(2).ToString("o"))}&queue=general");
        var types = (await h.EventsOfAsync(recorded.CallSid)).Select(e => e.Type).ToList();
        await using var scope = h.Server.Services.CreateAsyncScope();
        var callback = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().Callbacks.AsNoTracking()
            .SingleAsync(c => c.OriginCallSid == recorded.CallSid);

        Assert.Multiple(() =>
        {
            Assert.That(types, Does.Contain("acd.limit_reached").And.Not.Contain("acd.abandoned"), "left as the queue-callback path leaves");
            Assert.That(rows!.Sum(r => r.Offered), Is.EqualTo(2));
            Assert.That(rows!.Sum(r => r.Abandoned), Is.Zero, "a chosen callback is not an abandon");
            Assert.That(rows!.Sum(r => r.CallbacksRequested), Is.EqualTo(2), "both chose a callback, with or without the message");
            Assert.That(callbacks.Requested, Is.EqualTo(1), "the caller who left a message gets a callback");
            Assert.That(callback.EnteredAt, Is.EqualTo(CallCenterServerFactory.DefaultNow).Within(TimeSpan.FromMilliseconds(1)), "keeping their place");
        });
    }

    [Test]
    public async Task A_supervisor_switches_a_line_to_surge_mode_by_hand_and_back_and_both_are_in_the_operation_log()
    {
        // A database of its own: the switch is per line, and other tests' servers read the same line from the shared one.
        await using var database = await TestDatabase.CreateAsync("surge");
        await using var h = new AcdHarness(settings: new Dictionary<string, string> { ["ConnectionStrings:Postgres"] = database.ConnectionString });
        using var agent = await h.AvailableAgentAsync(("general", 1));
        var supervisorNumber = await h.Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var supervisor = await AgentConsole.SignInAsync(h.Server.CreateClient(), supervisorNumber);

        using (var on = await supervisor.Http.PutAsync($"/api/lines/{Line}/surge-mode", null)) Assert.That(on.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var during = await h.QueueCallAsync();
        Assert.That(during.SpokenText, Does.Contain(Announcement), "agents are free, but the line is in surge by hand");
        var offered = (await h.EventsOfAsync(during.CallSid)).Single(e => e.Type == "ivr.surge_offered");
        Assert.That(AcdHarness.Payload(offered).GetProperty("trigger").GetString(), Is.EqualTo("manual"));
        await during.PressAsync("2");
        Assert.That(during.QueueName, Is.EqualTo("general"), "any other key holds as usual");

        using (var off = await supervisor.Http.DeleteAsync($"/api/lines/{Line}/surge-mode")) Assert.That(off.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var after = await h.QueueCallAsync("+8613800000009");
        Assert.That(after.SpokenText, Does.Not.Contain(Announcement));

        using var agentTries = await agent.Http.PutAsync($"/api/lines/{Line}/surge-mode", null);
        Assert.That(agentTries.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        await using var scope = h.Server.Services.CreateAsyncScope();
        var audit = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().OperationLog.AsNoTracking()
            .Where(o => o.Target == Line && o.Operator == supervisorNumber).OrderBy(o => o.Id).Select(o => o.Action).ToListAsync();
        Assert.That(audit, Is.EqualTo(new[] { "line.surge_mode.on", "line.surge_mode.off" }));
    }
}
