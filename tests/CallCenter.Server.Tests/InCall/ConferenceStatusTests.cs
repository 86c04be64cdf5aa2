using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using static CallCenter.Server.Tests.InCall.InCallHarness;

namespace CallCenter.Server.Tests.InCall;

/// <summary>
/// Twilio's conference status callbacks, signed, against a real server with WireMock as Twilio: a caller hanging up, an agent's
/// softphone dropping and a party hanging up are noticed and acted on once; leaves our own commands caused change nothing.
/// </summary>
public sealed class ConferenceStatusTests
{
    private const string Path = "/twilio/voice/conference-status";

    [Test]
    public async Task The_conference_reports_leaves_to_the_signed_webhook_from_the_callers_twiml_and_every_added_participant()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;

        Assert.That(acd.Redirects().Single().Twiml, Does.Contain("statusCallbackEvent=\"end leave\"")
            .And.Contain($"statusCallback=\"{CallCenterServerFactory.PublicBaseUrl.ToString().TrimEnd('/')}{Path}\"")
            .And.Contain("statusCallbackMethod=\"POST\""));
        var added = acd.ConferenceRequests().Single().Form;
        Assert.That(added["ConferenceStatusCallback"], Does.EndWith(Path));
        Assert.That(added.GetValues("ConferenceStatusCallbackEvent"), Is.EqualTo(new[] { "end", "leave" }));
    }

    [Test]
    public async Task A_caller_hanging_up_ends_the_call_once_and_the_agent_goes_to_wrap_up()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;
        var twilio = acd.CreateTwilioClient();
        var callerLeft = Leave(call.CallSid, call.CallSid, label: null, reason: "participant_hung_up");
        acd.Clock.Advance(TimeSpan.FromSeconds(42));

        using var first = await twilio.PostSignedAsync(Path, callerLeft);
        using var retry = await twilio.PostSignedAsync(Path, callerLeft);
        using var ended = await twilio.PostSignedAsync(Path, Ended(call.CallSid, "participant-with-end-conference-on-exit-left", endedBy: call.CallSid));
        using var agentKicked = await twilio.PostSignedAsync(Path, Leave(call.CallSid, TwilioConferenceStubs.ParticipantCallSid, $"agent-{agent.WorkNumber}",
            "participant_with_end_conference_on_exit_left"));

        Assert.That(new[] { first.StatusCode, retry.StatusCode, ended.StatusCode, agentKicked.StatusCode }, Is.All.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await agent.StateOfAsync(), Is.EqualTo("WrapUp"));
        var events = await acd.InCallEventsAsync(call.CallSid);
        var left = events.Where(e => e.Type == "incall.participant_left").ToList();
        Assert.That(left, Has.Count.EqualTo(2), "the caller's leave once, despite Twilio's retry, and the agent's");
        Assert.That(left[0].Payload.GetProperty("who").GetString(), Is.EqualTo("Caller"));
        Assert.That(left[0].Payload.GetProperty("label").GetString(), Is.EqualTo("caller"));
        Assert.That(left[0].Payload.GetProperty("unexpected").GetBoolean(), Is.True);
        Assert.That(left[1].Payload.GetProperty("who").GetString(), Is.EqualTo("Owner"));
        Assert.That(left[1].Payload.GetProperty("unexpected").GetBoolean(), Is.False, "the agent was taken off because the call ended");
        Assert.That(events.Count(e => e.Type == "incall.conference_ended"), Is.EqualTo(1));
        Assert.That(events.Single(e => e.Type == "incall.conference_ended").Payload.GetProperty("endedBy").GetString(), Is.EqualTo("caller"));
        var leftAt = (await acd.EventsOfAsync(call.CallSid)).First(e => e.Type == "incall.participant_left").OccurredAt;
        Assert.That(leftAt, Is.EqualTo(acd.Clock.GetUtcNow()), "when the caller left");
        Assert.That((await acd.AcdEventTypesAsync(call.CallSid)).Count(t => t == "acd.completed"), Is.EqualTo(1));
        Assert.That(acd.ConferenceRequests(), Has.Count.EqualTo(1), "only the agent's leg was ever added: nothing was asked of Twilio since");
        using var wrapUp = await agent.WrapUpAsync(call.CallSid, "caller hung up");
        Assert.That(wrapUp.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task The_agents_softphone_dropping_is_noticed_and_the_caller_hears_hold_music()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;
        var before = acd.ConferenceRequests().Count;

        using var dropped = await acd.CreateTwilioClient().PostSignedAsync(Path,
            Leave(call.CallSid, TwilioConferenceStubs.ParticipantCallSid, $"agent-{agent.WorkNumber}", "participant_hung_up"));
        var view = await agent.Http.GetFromJsonAsync<DroppedView>($"/api/agent/calls/{call.CallSid}");

        Assert.That(dropped.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(acd.ConferenceRequestsSince(before).Select(r => (r.Path, r.Form["Hold"])),
            Is.EqualTo(new[] { ($"{Conference}/Participants/{call.CallSid}.json", "true") }));
        Assert.That(view!.Phase, Is.EqualTo("Held"));
        Assert.That(view.AgentDropped, Is.True);
        var events = await acd.InCallEventsAsync(call.CallSid);
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "incall.participant_left", "incall.held" }));
        Assert.That(events[0].Payload.GetProperty("who").GetString(), Is.EqualTo("Owner"));
        Assert.That(events[1].Payload.GetProperty("reason").GetString(), Is.EqualTo("agent_disconnected"));
        Assert.That(await agent.StateOfAsync(), Is.EqualTo("OnCall"), "the agent can still end the call from a reopened console");
        using var end = await agent.EndCallAsync(call.CallSid);
        Assert.That(end.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task A_party_hanging_up_leaves_the_call_and_the_owner_keeps_it()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;
        using var colleague = await acd.AvailableAgentAsync(("general", 3));
        using var add = await agent.InCallAsync(call.CallSid, "parties", new { targetKind = "Agent", target = colleague.WorkNumber });
        Assert.That(add.StatusCode, Is.EqualTo(HttpStatusCode.OK), await add.Content.ReadAsStringAsync());

        using var left = await acd.CreateTwilioClient().PostSignedAsync(Path,
            Leave(call.CallSid, "CA00000000000000000000000000000leg2", $"agent-{colleague.WorkNumber}", "participant_hung_up"));
        var view = await agent.Http.GetFromJsonAsync<DroppedView>($"/api/agent/calls/{call.CallSid}");

        Assert.That(left.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(view!.Phase, Is.EqualTo("Talking"));
        Assert.That(await colleague.StateOfAsync(), Is.EqualTo("WrapUp").Or.EqualTo("Available"));
        Assert.That(await agent.StateOfAsync(), Is.EqualTo("OnCall"));
        var party = (await acd.InCallEventsAsync(call.CallSid)).Single(e => e.Type == "incall.participant_left");
        Assert.That(party.Payload.GetProperty("who").GetString(), Is.EqualTo("Agent"));
        Assert.That(party.Payload.GetProperty("agent").GetString(), Is.EqualTo(colleague.WorkNumber));
    }

    [Test]
    public async Task Leaves_that_follow_the_agents_own_end_call_change_nothing_more()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;
        using var end = await agent.EndCallAsync(call.CallSid);
        using var wrapUp = await agent.WrapUpAsync(call.CallSid, "resolved");
        var before = acd.Twilio.LogEntries.Count;
        var twilio = acd.CreateTwilioClient();

        using var agentLeft = await twilio.PostSignedAsync(Path, Leave(call.CallSid, TwilioConferenceStubs.ParticipantCallSid, $"agent-{agent.WorkNumber}", null));
        using var callerLeft = await twilio.PostSignedAsync(Path, Leave(call.CallSid, call.CallSid, null, "conference_ended_via_api"));

        Assert.That(end.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await agent.StateOfAsync(), Is.EqualTo("Available"), "the wrap-up is not disturbed");
        Assert.That(acd.Twilio.LogEntries.Count, Is.EqualTo(before), "no hold for an agent who ended the call");
        var left = (await acd.InCallEventsAsync(call.CallSid)).Where(e => e.Type == "incall.participant_left").ToList();
        Assert.That(left.Select(e => e.Payload.GetProperty("unexpected").GetBoolean()), Is.EqualTo(new[] { false, false }));
    }

    [Test]
    public async Task An_unsigned_conference_callback_is_refused_and_changes_nothing()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;

        using var forged = await acd.CreateTwilioClient().PostAsync(Path, Leave(call.CallSid, call.CallSid, null, null), signature: "forged");
        using var malformed = await acd.CreateTwilioClient().PostSignedAsync(Path, new Dictionary<string, string> { ["StatusCallbackEvent"] = "participant-leave" });

        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(malformed.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await agent.StateOfAsync(), Is.EqualTo("OnCall"));
        Assert.That(await acd.InCallEventsAsync(call.CallSid), Is.Empty);
    }

    private static Dictionary<string, string> Leave(string callSid, string leg, string? label, string? reason)
    {
        var form = Base(callSid, "participant-leave");
        form["CallSid"] = leg;
        if (label is not null) form["ParticipantLabel"] = label;
        if (reason is not null) form["ReasonParticipantLeft"] = reason;
        form["ParticipantCallStatus"] = "completed";
        return form;
    }

    private static Dictionary<string, string> Ended(string callSid, string reason, string endedBy)
    {
        var form = Base(callSid, "conference-end");
        form["ReasonConferenceEnded"] = reason;
        form["CallSidEndingConference"] = endedBy;
        return form;
    }

    private static Dictionary<string, string> Base(string callSid, string kind) => new()
    {
        ["AccountSid"] = AcdHarness.AccountSid,
        ["ConferenceSid"] = Conference,
        ["FriendlyName"] = $"call-{callSid}",
        ["StatusCallbackEvent"] = kind,
        ["Timestamp"] = "Sat, 28 Nov 2026 14:00:00 +0000",
    };

    private sealed record DroppedView(string Phase, bool AgentDropped);
}
