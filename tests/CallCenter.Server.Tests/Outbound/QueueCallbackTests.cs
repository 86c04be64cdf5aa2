using System.Globalization;
using System.Net;
using CallCenter.Server.Data;
using CallCenter.Server.Outbound;
using CallCenter.Server.Tests.Routing;
using CallCenter.Server.Tests.InCall;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace CallCenter.Server.Tests.Outbound;

/// <summary>
/// A caller who waited too long leaves a callback request and keeps their place: the callback is routed at the position
/// they would have had, and the agent who takes it is bridged to the customer by an outbound call over Twilio REST.
/// </summary>
public sealed class QueueCallbackTests
{
    private const string OutboundSid = "CA0000000000000000000000000000cb01";

    [Test]
    public async Task A_queue_callback_is_routed_at_the_callers_position_and_dialled_to_the_agent_who_takes_it()
    {
        // Its own database: the callback worker reads every callback request and voicemail in the call log.
        await using var database = await TestDatabase.CreateAsync("queue_callback");
        await using var h = new AcdHarness(settings: new Dictionary<string, string>
        {
            ["Acd:Queues:0:MaxWait"] = "00:01:00",
            ["Callbacks:RunWorkers"] = "false",
            ["Complaints:RunWorkers"] = "false",
        }, database: database);
        h.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls.json").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBodyAsJson(new { sid = OutboundSid, status = "queued" }));
        var number = "+86137" + Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);
        var a = await h.QueueCallAsync(number);
        h.Clock.Advance(TimeSpan.FromSeconds(20));
        var b = await h.QueueCallAsync();
        h.Clock.Advance(TimeSpan.FromSeconds(20));
        var c = await h.QueueCallAsync();
        h.Clock.Advance(TimeSpan.FromSeconds(20));
        await WaitForAsync(async () => (await h.AcdEventTypesAsync(a.CallSid)).Contains("acd.limit_reached"));
        var twilio = h.CreateTwilioClient();
        using (var recorded = await twilio.PostSignedAsync("/twilio/voice/callback-request", new Dictionary<string, string>
               {
                   ["CallSid"] = a.CallSid, ["AccountSid"] = TwilioForms.AccountSid, ["RecordingSid"] = "RE" + Guid.NewGuid().ToString("N"),
                   ["RecordingUrl"] = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", ["RecordingDuration"] = "9",
               }))
            recorded.EnsureSuccessStatusCode();

        var worker = h.Server.Services.GetRequiredService<CallbackWorker>();
        var run = await worker.RunOnceAsync(CancellationToken.None);
        var again = await worker.RunOnceAsync(CancellationToken.None);
        var callbackId = await OneAsync(h, db => db.Callbacks.Where(x => x.OriginCallSid == a.CallSid).Select(x => x.Id));
        var positions = new[] { callbackId, b.CallSid, c.CallSid }.Select(id => h.Acd.EstimateAsync(id, CancellationToken.None).Result?.Position).ToList();

        using var agent = await h.AvailableAgentAsync(("general", 1));
        var offer = await agent.OfferAsync();
        using var accepted = await agent.AcceptAsync(callbackId);
        var dialled = h.Twilio.LogEntries.Single(e => e.RequestMessage!.Path.EndsWith("/Calls.json", StringComparison.Ordinal));
        var form = System.Web.HttpUtility.ParseQueryString(dialled.RequestMessage!.Body ?? "");
        // The agent has the in-call controls of a queued call: hold reaches the customer's leg of the callback's conference.
        var beforeHold = h.ConferenceRequests().Count;
        using var hold = await agent.InCallAsync(callbackId, "hold", new { reason = "looking it up" });
        using var toQueue = await agent.InCallAsync(callbackId, "transfer", new { mode = "Cold", targetKind = "Queue", target = "cards" });
        // The recording runs on the customer's call: its pause goes to Twilio's SID of that call, not the callback id.
        using var pause = await agent.Http.PostAsync($"/api/agent/calls/{callbackId}/recording/pause", System.Net.Http.Json.JsonContent.Create(new { reason = "card number" }));
        var paused = h.Twilio.LogEntries.Where(e => e.RequestMessage!.Path.Contains("/Recordings/", StringComparison.Ordinal)).Select(e => e.RequestMessage!.Path).ToList();
        var held = h.ConferenceRequestsSince(beforeHold);
        h.Clock.Advance(TimeSpan.FromSeconds(95));
        using (var ended = await twilio.PostSignedAsync($"/twilio/voice/callback-status?callback={callbackId}", new Dictionary<string, string>
               {
                   ["CallSid"] = OutboundSid, ["AccountSid"] = TwilioForms.AccountSid, ["CallStatus"] = "completed", ["CallDuration"] = "95",
               }))
            Assert.That(ended.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var me = await agent.MeAsync();
        var callback = await OneAsync(h, db => db.Callbacks.Include(x => x.Attempts).Where(x => x.Id == callbackId));
        var types = (await h.EventsOfAsync(callbackId)).Select(e => e.Type).ToList();

        Assert.Multiple(() =>
        {
            Assert.That((run.Requested, run.Queued, again.Requested, again.Queued), Is.EqualTo((1, 1, 0, 0)), "one callback per request");
            Assert.That(callback.EnteredAt, Is.EqualTo(CallCenterServerFactory.DefaultNow).Within(TimeSpan.FromMilliseconds(1)), "the caller's original entry");
            Assert.That(positions, Is.EqualTo(new int?[] { 1, 2, 3 }), "ahead of the two callers who came after them, as if they had stayed");
            Assert.That(offer?.GetProperty("callSid").GetString(), Is.EqualTo(callbackId), "the first free agent gets the callback");
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(form["To"], Is.EqualTo(number));
            Assert.That(form["From"], Is.EqualTo(TwilioForms.BankHotline));
            Assert.That(form["Twiml"], Does.Contain($">call-{callbackId}</Conference>").And.Contain("endConferenceOnExit=\"true\""),
                "the customer joins the callback's own conference");
            Assert.That((form["Record"], form["RecordingChannels"]), Is.EqualTo(("true", "dual")), "recorded from the answer like an inbound call");
            Assert.That(h.DialledInto(callbackId), Is.EqualTo(new[] { $"client:agent-{agent.WorkNumber}" }), "the agent who took it is dialled in");
            Assert.That(hold.StatusCode, Is.EqualTo(HttpStatusCode.OK), "in-call controls work on a callback");
            Assert.That(held.Select(r => (r.Path, r.Form["Hold"])), Is.EqualTo(new[] { ($"{InCall.InCallHarness.Conference}/Participants/{OutboundSid}.json", "true") }));
            Assert.That(toQueue.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "a called customer is not put in a queue (it would dial them again)");
            Assert.That(pause.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(paused, Is.EqualTo(new[] { $"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls/{OutboundSid}/Recordings/Twilio.CURRENT.json" }),
                "the customer's leg's recording is paused");
            Assert.That(form["StatusCallback"], Does.EndWith($"/twilio/voice/callback-status?callback={callbackId}"));
            Assert.That(me.GetProperty("state").GetString(), Is.EqualTo("WrapUp"));
            Assert.That(callback.Status, Is.EqualTo(CallbackStatus.Done));
            Assert.That(callback.Attempts.Single().Outcome, Is.EqualTo(Core.Outbound.DialOutcome.Answered));
            Assert.That(types, Is.SupersetOf(new[] { "acd.queued", "acd.offered", "callback.dialled", "acd.answered", "callback.attempt_ended", "acd.completed", "recording.paused" }));
        });
    }

    private static async Task<T> OneAsync<T>(AcdHarness h, Func<CallCenterDbContext, IQueryable<T>> query) where T : class
    {
        await using var scope = h.Server.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CallCenterDbContext>()).AsNoTracking().SingleAsync();
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("Timed out waiting for the ACD.");
            await Task.Delay(50);
        }
    }
}
