using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.Tests.Routing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using static CallCenter.Server.Tests.InCall.InCallHarness;

namespace CallCenter.Server.Tests.InCall;

/// <summary>
/// The agent's in-call controls against a real server, PostgreSQL and Redis, with WireMock as Twilio's REST API: the exact
/// conference requests sent, the call-log events written, and refusals that change nothing.
/// </summary>
public sealed class InCallControlTests
{
    [Test]
    public async Task Accepting_a_call_bridges_caller_and_agent_in_a_recorded_conference()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;

        var redirect = acd.Redirects().Single();
        Assert.That(redirect.Twiml, Does.Contain("<Conference beep=\"false\" startConferenceOnEnter=\"false\" endConferenceOnExit=\"true\"")
            .And.Contain($">call-{call.CallSid}</Conference>"));
        var added = acd.ConferenceRequests().Single();
        Assert.That(added.Path, Is.EqualTo($"call-{call.CallSid}/Participants.json"));
        Assert.That(added.Form["To"], Is.EqualTo($"client:agent-{agent.WorkNumber}"));
        Assert.That(added.Form["Label"], Is.EqualTo($"agent-{agent.WorkNumber}"));
        Assert.That(added.Form["EndConferenceOnExit"], Is.EqualTo("false"));
        var recording = acd.Twilio.LogEntries.Single(e => e.RequestMessage!.Path.EndsWith($"/Calls/{call.CallSid}/Recordings.json", StringComparison.Ordinal));
        var form = System.Web.HttpUtility.ParseQueryString(recording.RequestMessage!.Body!);
        Assert.That(form["RecordingChannels"], Is.EqualTo("dual"));
        Assert.That(form["RecordingStatusCallback"], Does.EndWith("/twilio/voice/recording"));
        var conference = (await acd.EventsOfAsync(call.CallSid)).Single(e => e.Type == "call.conference");
        Assert.That(AcdHarness.Payload(conference).GetProperty("conferenceSid").GetString(), Is.EqualTo(Conference));
    }

    [Test]
    public async Task Hold_and_resume_update_the_callers_participant_and_the_call_log_says_who_and_why()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;
        var before = acd.ConferenceRequests().Count;

        using var hold = await agent.InCallAsync(call.CallSid, "hold", new { reason = "checking the account" });
        using var again = await agent.InCallAsync(call.CallSid, "hold", new { reason = "checking the account" });
        var held = await agent.Http.GetFromJsonAsync<InCallView>($"/api/agent/calls/{call.CallSid}");
        using var resume = await agent.InCallAsync(call.CallSid, "resume");

        Assert.That(hold.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK), "pressing hold twice changes nothing");
        Assert.That(held!.Phase, Is.EqualTo("Held"));
        Assert.That(resume.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var sent = acd.ConferenceRequestsSince(before);
        Assert.That(sent.Select(r => (r.Method, r.Path, r.Form["Hold"])), Is.EqualTo(new[]
        {
            ("POST", $"{Conference}/Participants/{call.CallSid}.json", "true"),
            ("POST", $"{Conference}/Participants/{call.CallSid}.json", "false"),
        }));
        var events = await acd.InCallEventsAsync(call.CallSid);
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "incall.held", "incall.resumed" }));
        Assert.That(events[0].Payload.GetProperty("agent").GetString(), Is.EqualTo(agent.WorkNumber));
        Assert.That(events[0].Payload.GetProperty("reason").GetString(), Is.EqualTo("checking the account"));
    }

    [Test]
    public async Task Mute_and_unmute_change_only_the_agents_own_participant()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;
        var before = acd.ConferenceRequests().Count;

        using var mute = await agent.InCallAsync(call.CallSid, "mute");
        var muted = await mute.Content.ReadFromJsonAsync<InCallView>();
        using var unmute = await agent.InCallAsync(call.CallSid, "unmute");

        Assert.That(muted!.Muted, Is.True);
        Assert.That(acd.ConferenceRequestsSince(before).Select(r => (r.Path, r.Form["Muted"])), Is.EqualTo(new[]
        {
            ($"{Conference}/Participants/agent-{agent.WorkNumber}.json", "true"),
            ($"{Conference}/Participants/agent-{agent.WorkNumber}.json", "false"),
        }));
        Assert.That((await acd.InCallEventsAsync(call.CallSid)).Select(e => e.Type), Is.EqualTo(new[] { "incall.muted", "incall.unmuted" }));
    }

    [Test]
    public async Task A_cold_transfer_to_a_queue_puts_the_caller_back_in_the_acd_with_the_original_entry_time()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;
        acd.Clock.Advance(TimeSpan.FromSeconds(90));

        using var transfer = await agent.InCallAsync(call.CallSid, "transfer", new { mode = "Cold", targetKind = "Queue", target = "cards", reason = "card dispute" });
        using var cardsAgent = await acd.AvailableAgentAsync(("cards", 2));
        var offer = await cardsAgent.OfferAsync();

        Assert.That(transfer.StatusCode, Is.EqualTo(HttpStatusCode.OK), await transfer.Content.ReadAsStringAsync());
        Assert.That(acd.Redirects()[^1].Twiml, Does.Contain("<Enqueue").And.Contain(">cards</Enqueue>").And.Contain("/twilio/voice/queue-wait?lang="));
        Assert.That(await agent.StateOfAsync(), Is.EqualTo("WrapUp"));
        Assert.That(offer?.GetProperty("callSid").GetString(), Is.EqualTo(call.CallSid), "the call is not lost: the next cards agent is offered it");
        Assert.That(offer!.Value.GetProperty("waitedSeconds").GetDouble(), Is.GreaterThanOrEqualTo(90), "the wait counts from the caller's first entry");
        var types = await acd.AcdEventTypesAsync(call.CallSid);
        Assert.That(types, Is.SupersetOf(new[] { "acd.completed", "acd.offered" }));
        var queued = (await acd.EventsOfAsync(call.CallSid)).Where(e => e.Type == "acd.queued").Select(e => AcdHarness.Payload(e).GetProperty("queue").GetString());
        Assert.That(queued, Is.EqualTo(new[] { "general", "cards" }), "each entry is its own event: the second one was not swallowed as a replay");
        var transferred = (await acd.InCallEventsAsync(call.CallSid)).Single();
        Assert.That(transferred.Type, Is.EqualTo("incall.transferred"));
        Assert.That(transferred.Payload.GetProperty("target").GetString(), Is.EqualTo("cards"));
        Assert.That(transferred.Payload.GetProperty("reason").GetString(), Is.EqualTo("card dispute"));
        using var wrapUp = await agent.WrapUpAsync(call.CallSid, "transferred");
        Assert.That(wrapUp.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task A_warm_transfer_to_an_agent_holds_the_caller_while_consulting_and_then_hands_the_call_over()
    {
        await using var acd = new AcdHarness();
        var (first, call) = await acd.ConnectedAsync();
        using var _ = first;
        using var second = await acd.AvailableAgentAsync(("general", 3));
        var before = acd.ConferenceRequests().Count;

        using var consult = await first.InCallAsync(call.CallSid, "transfer", new { mode = "Warm", targetKind = "Agent", target = second.WorkNumber });
        var consulting = await consult.Content.ReadFromJsonAsync<InCallView>();
        var secondWhileConsulting = await second.StateOfAsync();
        using var complete = await first.InCallAsync(call.CallSid, "transfer/complete");
        using var wrapBeforeEnd = await second.WrapUpAsync(call.CallSid, "resolved");
        using var end = await second.EndCallAsync(call.CallSid);
        using var firstWrap = await first.WrapUpAsync(call.CallSid, "transferred");
        using var secondWrap = await second.WrapUpAsync(call.CallSid, "resolved");

        Assert.That(consult.StatusCode, Is.EqualTo(HttpStatusCode.OK), await consult.Content.ReadAsStringAsync());
        Assert.That(consulting!.Phase, Is.EqualTo("Consulting"));
        Assert.That(secondWhileConsulting, Is.EqualTo("OnCall"), "the target is busy on this call while consulting");
        Assert.That(complete.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await first.StateOfAsync(), Is.EqualTo("WrapUp").Or.EqualTo("Available"));
        Assert.That(wrapBeforeEnd.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "the new owner is still on the call");
        Assert.That(end.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(firstWrap.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(secondWrap.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), "both agents wrap up their part");
        var sent = acd.ConferenceRequestsSince(before);
        Assert.That(sent.Select(r => (r.Method, r.Path)), Is.EqualTo(new[]
        {
            ("POST", $"{Conference}/Participants/{call.CallSid}.json"),
            ("POST", $"call-{call.CallSid}/Participants.json"),
            ("POST", $"{Conference}/Participants/{call.CallSid}.json"),
            ("DELETE", $"{Conference}/Participants/agent-{first.WorkNumber}.json"),
            ("POST", $"{Conference}.json"),
        }));
        Assert.That(sent[0].Form["Hold"], Is.EqualTo("true"));
        Assert.That(sent[1].Form["To"], Is.EqualTo($"client:agent-{second.WorkNumber}"));
        Assert.That(sent[2].Form["Hold"], Is.EqualTo("false"));
        Assert.That(sent[4].Form["Status"], Is.EqualTo("completed"), "the new owner's end call ends the conference");
        Assert.That((await acd.InCallEventsAsync(call.CallSid)).Select(e => e.Type), Is.EqualTo(new[] { "incall.consult_started", "incall.transferred", "incall.ended" }));
        Assert.That(await acd.AcdEventTypesAsync(call.CallSid), Is.SupersetOf(new[] { "acd.joined", "acd.left", "acd.completed" }));
    }

    [Test]
    public async Task A_cancelled_warm_transfer_gives_the_caller_back_and_frees_the_target()
    {
        await using var acd = new AcdHarness();
        var (first, call) = await acd.ConnectedAsync();
        using var _ = first;
        using var second = await acd.AvailableAgentAsync(("general", 3));
        using (var consult = await first.InCallAsync(call.CallSid, "transfer", new { mode = "Warm", targetKind = "Agent", target = second.WorkNumber }))
            consult.EnsureSuccessStatusCode();

        using var cancel = await first.InCallAsync(call.CallSid, "transfer/cancel");
        var view = await cancel.Content.ReadFromJsonAsync<InCallView>();

        Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(view!.Phase, Is.EqualTo("Talking"));
        Assert.That(await first.StateOfAsync(), Is.EqualTo("OnCall"));
        Assert.That(await second.StateOfAsync(), Is.Not.EqualTo("OnCall"));
        Assert.That(acd.ConferenceRequests().Any(r => r.Method == "DELETE" && r.Path == $"{Conference}/Participants/agent-{second.WorkNumber}.json"));
    }

    [Test]
    public async Task A_cold_transfer_to_an_outside_number_needs_level_two_and_dials_it_from_the_hotline_number()
    {
        await using var acd = new AcdHarness();
        var (junior, call) = await acd.ConnectedAsync(permissionLevel: 1);
        using var _ = junior;
        using var refused = await junior.InCallAsync(call.CallSid, "transfer", new { mode = "Cold", targetKind = "Number", target = "+862100000001" });
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("permission level 2"));
        Assert.That(acd.Redirects(), Has.Count.EqualTo(1), "only the accept reached Twilio");

        await using var acd2 = new AcdHarness();
        var (senior, call2) = await acd2.ConnectedAsync(permissionLevel: 2);
        using var __ = senior;
        using var transfer = await senior.InCallAsync(call2.CallSid, "transfer", new { mode = "Cold", targetKind = "Number", target = "+862100000001" });

        Assert.That(transfer.StatusCode, Is.EqualTo(HttpStatusCode.OK), await transfer.Content.ReadAsStringAsync());
        Assert.That(acd2.Redirects()[^1].Twiml, Does.Contain("<Dial callerId=\"+862100000000\">+862100000001</Dial>"));
        Assert.That(await senior.StateOfAsync(), Is.EqualTo("WrapUp"));
        var transferred = (await acd2.InCallEventsAsync(call2.CallSid)).Single();
        Assert.That(transferred.Payload.GetProperty("target").GetString(), Does.Not.Contain("00000001"), "the outside number is masked in the call log");
    }

    [Test]
    public async Task A_three_way_call_with_an_outside_ivr_takes_digits_from_the_pad()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync(permissionLevel: 2);
        using var _ = agent;
        using var noParty = await agent.InCallAsync(call.CallSid, "digits", new { digits = "1" });
        var before = acd.ConferenceRequests().Count;

        using var add = await agent.InCallAsync(call.CallSid, "parties", new { targetKind = "Number", target = "+862100000002" });
        using var digits = await agent.InCallAsync(call.CallSid, "digits", new { digits = "12#" });
        using var badDigits = await agent.InCallAsync(call.CallSid, "digits", new { digits = "12x" });
        using var remove = await agent.Http.DeleteAsync($"/api/agent/calls/{call.CallSid}/parties/party-1");
        using var removeAgain = await agent.Http.DeleteAsync($"/api/agent/calls/{call.CallSid}/parties/party-1");

        Assert.That(noParty.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(add.StatusCode, Is.EqualTo(HttpStatusCode.OK), await add.Content.ReadAsStringAsync());
        Assert.That(digits.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(badDigits.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(remove.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(removeAgain.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var sent = acd.ConferenceRequestsSince(before);
        Assert.That(sent.Select(r => (r.Method, r.Path)), Is.EqualTo(new[]
        {
            ("POST", $"call-{call.CallSid}/Participants.json"),
            ("POST", $"{Conference}/Participants/party-1.json"),
            ("DELETE", $"{Conference}/Participants/party-1.json"),
        }));
        Assert.That(sent[0].Form["To"], Is.EqualTo("+862100000002"));
        Assert.That(sent[0].Form["From"], Is.EqualTo("+862100000000"), "called from the hotline number");
        Assert.That(sent[1].Form["AnnounceUrl"], Does.EndWith("/twilio/voice/digits?d=12%23"));
        var events = await acd.InCallEventsAsync(call.CallSid);
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "incall.party_added", "incall.digits_sent", "incall.party_removed" }));
        Assert.That(events[1].Payload.GetProperty("count").GetInt32(), Is.EqualTo(3), "how many digits, never which");

        using var twiml = await acd.CreateTwilioClient().PostSignedAsync("/twilio/voice/digits?d=12%23", new Dictionary<string, string> { ["CallSid"] = "CA1" });
        using var unsigned = await acd.CreateTwilioClient().PostAsync("/twilio/voice/digits?d=12%23", new Dictionary<string, string> { ["CallSid"] = "CA1" }, null);
        Assert.That(unsigned.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await twiml.Content.ReadAsStringAsync(), Does.Contain("<Play digits=\"12#\""));
    }

    [Test]
    public async Task Refused_commands_reach_neither_twilio_nor_the_call_log()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;
        using var other = await acd.AvailableAgentAsync(("general", 3));
        using var busy = await acd.NewAgentAsync(("general", 3));
        var before = acd.ConferenceRequests().Count;

        using var badMode = await agent.InCallAsync(call.CallSid, "transfer", new { mode = "Sideways", targetKind = "Queue", target = "cards" });
        using var warmQueue = await agent.InCallAsync(call.CallSid, "transfer", new { mode = "Warm", targetKind = "Queue", target = "cards" });
        using var unknownQueue = await agent.InCallAsync(call.CallSid, "transfer", new { mode = "Cold", targetKind = "Queue", target = "nowhere" });
        using var badNumber = await agent.InCallAsync(call.CallSid, "transfer", new { mode = "Cold", targetKind = "Number", target = "12345" });
        using var offline = await agent.InCallAsync(call.CallSid, "transfer", new { mode = "Warm", targetKind = "Agent", target = busy.WorkNumber });
        using var notOnCall = await other.InCallAsync(call.CallSid, "hold");
        using var noCall = await agent.InCallAsync("CA0000000000000000000000000000none", "hold");
        using var completeNothing = await agent.InCallAsync(call.CallSid, "transfer/complete");
        using var tooLong = await agent.InCallAsync(call.CallSid, "hold", new { reason = new string('x', 201) });

        Assert.That(badMode.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(warmQueue.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(unknownQueue.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(badNumber.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(offline.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await offline.Content.ReadAsStringAsync(), Does.Contain("Agent not available"));
        Assert.That(notOnCall.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(noCall.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(completeNothing.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(tooLong.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await badMode.Content.ReadAsStringAsync(), Does.Contain("\"title\""), "a problem-details body");
        Assert.That(acd.ConferenceRequestsSince(before), Is.Empty);
        Assert.That(await acd.InCallEventsAsync(call.CallSid), Is.Empty);
        Assert.That(await agent.StateOfAsync(), Is.EqualTo("OnCall"));
        Assert.That(await other.StateOfAsync(), Is.EqualTo("Available"));
    }

    [Test]
    public async Task When_twilio_fails_the_agent_gets_502_and_nothing_is_logged_as_done()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;
        using var second = await acd.AvailableAgentAsync(("general", 3));
        acd.Twilio.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher("*/Conferences/*")).UsingAnyMethod())
            .AtPriority(-1)
            .RespondWith(Response.Create().WithStatusCode(500).WithBodyAsJson(new { code = 20500, message = "Internal Server Error", status = 500 }));

        using var hold = await agent.InCallAsync(call.CallSid, "hold");
        using var transfer = await agent.InCallAsync(call.CallSid, "transfer", new { mode = "Warm", targetKind = "Agent", target = second.WorkNumber });
        using var end = await agent.EndCallAsync(call.CallSid);

        Assert.That(hold.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That(await hold.Content.ReadAsStringAsync(), Does.Contain("they can still hear you"));
        Assert.That(transfer.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That(end.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That(await acd.InCallEventsAsync(call.CallSid), Is.Empty);
        Assert.That(await agent.StateOfAsync(), Is.EqualTo("OnCall"));
        Assert.That(await second.StateOfAsync(), Is.EqualTo("Available"));
    }

    private sealed record InCallView(string Phase, string Owner, bool CallerHeld, bool Muted);
}
