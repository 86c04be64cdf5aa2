using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Routing;
using CallCenter.Server.Tests.InCall;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace CallCenter.Server.Tests.Outbound;

/// <summary>
/// An outbound project call is bridged through its own conference like a queued caller: the agent is OnCall on it in the ACD (on
/// either store), has the in-call controls, pauses the recording on the customer's leg, and goes to wrap-up when the call ends.
/// </summary>
public sealed class ProjectCallInCallTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);
    private const string OutboundStatusPath = "/twilio/voice/project-call-status";

    [TestCase("InMemory")]
    [TestCase("Redis")]
    public async Task A_project_call_goes_through_its_conference_with_the_in_call_controls_and_the_agent_goes_from_on_call_to_wrap_up(string store)
    {
        var prefix = RedisForTests.UniquePrefix();
        await using var h = Harness(store, prefix);
        var customerSid = $"CA{Guid.NewGuid():N}";
        h.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls.json").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBodyAsJson(new { sid = customerSid, status = "queued" }));
        var projectId = await OutboundProjectBuilder.ApprovedAsync(h, "Card activation", "Zhou", "+8613700000031", ["Activated?"]);
        using var agent = await h.AvailableAgentAsync(("general", 1));

        using var next = await agent.Http.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        var contact = await next.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
        var key = contact.GetProperty("callSid").GetString()!;
        var onCall = await agent.MeAsync();
        var placed = System.Web.HttpUtility.ParseQueryString(h.Twilio.LogEntries
            .Single(e => e.RequestMessage!.Path.EndsWith("/Calls.json", StringComparison.Ordinal)).RequestMessage!.Body ?? "");
        var beforeControls = h.ConferenceRequests().Count;
        using var hold = await agent.InCallAsync(key, "hold", new { reason = "checking the card" });
        using var resume = await agent.InCallAsync(key, "resume");
        var held = h.ConferenceRequestsSince(beforeControls);
        using var pause = await agent.Http.PostAsJsonAsync($"/api/agent/calls/{key}/recording/pause", new { reason = "card number" });
        using var toQueue = await agent.InCallAsync(key, "transfer", new { mode = "Cold", targetKind = "Queue", target = "cards" });
        using var resultTooEarly = await agent.Http.PostAsJsonAsync($"/api/outbound/projects/{projectId}/contacts/{contact.GetProperty("contactId").GetInt64()}/result",
            new { outcome = "Answered" });
        using var nextTooEarly = await agent.Http.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        // The customer hangs up: Twilio's conference callback, then the call's final status.
        var twilio = h.CreateTwilioClient();
        using (var left = await twilio.PostSignedAsync("/twilio/voice/conference-status", new Dictionary<string, string>
               {
                   ["AccountSid"] = TwilioForms.AccountSid, ["ConferenceSid"] = InCallHarness.Conference, ["FriendlyName"] = $"call-{key}",
                   ["StatusCallbackEvent"] = "participant-leave", ["CallSid"] = customerSid, ["ParticipantCallStatus"] = "completed",
               }))
            Assert.That(left.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var afterHangUp = await agent.MeAsync();
        using (var status = await twilio.PostSignedAsync($"{OutboundStatusPath}?project={projectId}&contact={contact.GetProperty("contactId").GetInt64()}",
                   new Dictionary<string, string> { ["CallSid"] = customerSid, ["AccountSid"] = TwilioForms.AccountSid, ["CallStatus"] = "completed", ["CallDuration"] = "61" }))
            Assert.That(status.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        using var result = await agent.Http.PostAsJsonAsync($"/api/outbound/projects/{projectId}/contacts/{contact.GetProperty("contactId").GetInt64()}/result",
            new { outcome = "Answered", answers = new[] { "yes" } });
        using var none = await agent.Http.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        var afterNext = await agent.MeAsync();
        var types = (await h.EventsOfAsync(key)).Select(e => e.Type).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(next.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(key, Does.StartWith("OB"));
            Assert.That(contact.GetProperty("twilioCallSid").GetString(), Is.EqualTo(customerSid));
            Assert.That((onCall.GetProperty("state").GetString(), onCall.GetProperty("callSid").GetString()), Is.EqualTo(("OnCall", key)),
                "OnCall in the ACD before the customer answers, so no caller is offered meanwhile");
            Assert.That(placed["Twiml"], Does.Contain($">call-{key}</Conference>").And.Contain("endConferenceOnExit=\"true\""), "the customer joins the call's conference");
            Assert.That((placed["Record"], placed["RecordingChannels"]), Is.EqualTo(("true", "dual")), "the customer's leg is recorded from the answer");
            Assert.That(h.DialledInto(key), Is.EqualTo(new[] { $"client:agent-{agent.WorkNumber}" }), "the agent's softphone is dialled into it");
            Assert.That((hold.StatusCode, resume.StatusCode), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)), "the in-call controls work on a project call");
            Assert.That(held.Select(r => (r.Path, r.Form["Hold"])), Is.EqualTo(new[]
            {
                ($"{InCallHarness.Conference}/Participants/{customerSid}.json", "true"), ($"{InCallHarness.Conference}/Participants/{customerSid}.json", "false"),
            }), "hold reaches the customer's leg");
            Assert.That(pause.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(RecordingUpdates(h, customerSid).Select(f => f["Status"]), Is.EqualTo(new[] { "paused" }), "the customer's call's recording is paused");
            Assert.That(RecordingUpdates(h, key), Is.Empty, "never the call's key, which Twilio does not know");
            Assert.That(toQueue.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "a called customer is not put in a queue");
            Assert.That(resultTooEarly.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "the result comes after the call");
            Assert.That(nextTooEarly.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "one call at a time");
            Assert.That(afterHangUp.GetProperty("state").GetString(), Is.EqualTo("WrapUp"), "the customer hanging up ends the agent's call");
            Assert.That(result.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), "the list is done");
            Assert.That(afterNext.GetProperty("state").GetString(), Is.EqualTo("Available"), "asking for the next customer ends the wrap-up");
            Assert.That(types, Is.SupersetOf(new[] { "call.conference", "incall.held", "incall.resumed", "recording.paused", "incall.participant_left", "acd.completed" }));
        });
        if (store == "Redis")
            Assert.That(new RedisAcdStateStore(RedisForTests.Connection, prefix).FindCall(key), Is.Null, "the call left the ACD in Redis");
    }

    [Test]
    public async Task An_unanswered_project_call_frees_the_agent_and_ends_the_conference_their_softphone_waits_in_and_an_agent_not_available_calls_nobody()
    {
        await using var h = Harness("InMemory", "");
        var customerSid = $"CA{Guid.NewGuid():N}";
        h.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls.json").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBodyAsJson(new { sid = customerSid, status = "queued" }));
        var projectId = await OutboundProjectBuilder.ApprovedAsync(h, "Card activation", "Wu", "+8613700000031", ["Activated?"]);
        using var notAvailable = await h.NewAgentAsync(("general", 1));
        using var agent = await h.AvailableAgentAsync(("general", 1));

        using var offline = await notAvailable.Http.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        using var next = await agent.Http.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        var contact = await next.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
        var key = contact.GetProperty("callSid").GetString()!;
        var beforeStatus = h.ConferenceRequests().Count;
        using (var status = await h.CreateTwilioClient().PostSignedAsync($"{OutboundStatusPath}?project={projectId}&contact={contact.GetProperty("contactId").GetInt64()}",
                   new Dictionary<string, string> { ["CallSid"] = customerSid, ["AccountSid"] = TwilioForms.AccountSid, ["CallStatus"] = "no-answer", ["CallDuration"] = "0" }))
            Assert.That(status.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var after = await agent.MeAsync();

        Assert.Multiple(() =>
        {
            Assert.That(offline.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "an agent outside the ACD calls nobody");
            Assert.That(h.Twilio.LogEntries.Count(e => e.RequestMessage!.Path.EndsWith("/Calls.json", StringComparison.Ordinal)), Is.EqualTo(1));
            Assert.That(after.GetProperty("state").GetString(), Is.EqualTo("WrapUp"), "Twilio's no-answer ends the agent's call");
            Assert.That(h.ConferenceRequestsSince(beforeStatus).Select(r => (r.Method, r.Path, r.Form["Status"])),
                Is.EqualTo(new[] { ("POST", $"{InCallHarness.Conference}.json", "completed") }), "the softphone waiting alone is taken out");
        });
    }

    [TestCase("ringing", true)]
    [TestCase("queued", true)]
    [TestCase("in-progress", false)]
    public async Task An_agent_ending_a_project_call_before_the_customer_answers_stops_their_phone_ringing(string customerStatus, bool cancelled)
    {
        await using var h = Harness("InMemory", "");
        var customerSid = $"CA{Guid.NewGuid():N}";
        var customerCall = $"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls/{customerSid}.json";
        h.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls.json").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBodyAsJson(new { sid = customerSid, status = "queued" }));
        h.Twilio.Given(Request.Create().WithPath(customerCall).UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new { sid = customerSid, status = customerStatus }));
        var projectId = await OutboundProjectBuilder.ApprovedAsync(h, "Card activation", "Lin", "+8613700000031", ["Activated?"]);
        using var agent = await h.AvailableAgentAsync(("general", 1));

        using var next = await agent.Http.PostAsync($"/api/outbound/projects/{projectId}/next", null);
        var key = (await next.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options)).GetProperty("callSid").GetString()!;
        using var ended = await agent.Http.PostAsync($"/api/agent/calls/{key}/end", null);
        var after = await agent.MeAsync();
        var updates = h.Twilio.LogEntries
            .Where(e => e.RequestMessage?.Method == "POST" && e.RequestMessage.Path == customerCall)
            .Select(e => System.Web.HttpUtility.ParseQueryString(e.RequestMessage!.Body ?? "")["Status"])
            .ToList();

        Assert.Multiple(() =>
        {
            Assert.That(ended.IsSuccessStatusCode, Is.True);
            Assert.That(after.GetProperty("state").GetString(), Is.EqualTo("WrapUp"));
            Assert.That(updates, cancelled ? Is.EqualTo(new[] { "canceled" }) : Is.Empty,
                cancelled ? "the unanswered customer call is cancelled" : "an answered call is left to the conference's end");
        });
    }

    private static AcdHarness Harness(string store, string prefix)
    {
        var settings = new Dictionary<string, string> { ["Callbacks:RunWorkers"] = "false", ["Complaints:RunWorkers"] = "false" };
        if (store == "Redis") (settings["Acd:Store"], settings["Acd:RedisKeyPrefix"]) = ("Redis", prefix);
        // Friday 27 November 2026, 10:00 in Shanghai: within calling hours.
        return new AcdHarness(settings: settings, now: new DateTimeOffset(2026, 11, 27, 10, 0, 0, Shanghai).ToUniversalTime());
    }

    private static List<System.Collections.Specialized.NameValueCollection> RecordingUpdates(AcdHarness h, string callSid) =>
        [.. h.Twilio.LogEntries
            .Where(e => e.RequestMessage?.Method == "POST" && e.RequestMessage.Path.EndsWith($"/Calls/{callSid}/Recordings/Twilio.CURRENT.json", StringComparison.Ordinal))
            .Select(e => System.Web.HttpUtility.ParseQueryString(e.RequestMessage!.Body ?? ""))];
}
