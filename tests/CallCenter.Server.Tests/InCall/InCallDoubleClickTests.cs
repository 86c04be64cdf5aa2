using System.Net;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using static CallCenter.Server.Tests.InCall.InCallHarness;

namespace CallCenter.Server.Tests.InCall;

/// <summary>A double click on an in-call button: the second command waits for the first and never reaches Twilio again.</summary>
public sealed class InCallDoubleClickTests
{
    [Test]
    public async Task Two_concurrent_identical_holds_make_one_twilio_request_and_one_event()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;
        SlowParticipantUpdates(acd);
        var before = acd.ConferenceRequests().Count;

        var responses = await Task.WhenAll(agent.InCallAsync(call.CallSid, "hold", new { reason = "checking" }),
            agent.InCallAsync(call.CallSid, "hold", new { reason = "checking" }));

        Assert.That(responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.OK), "the second answers with the same result");
        Assert.That(acd.ConferenceRequestsSince(before).Count(r => r.Form["Hold"] == "true"), Is.EqualTo(1));
        Assert.That((await acd.InCallEventsAsync(call.CallSid)).Count(e => e.Type == "incall.held"), Is.EqualTo(1));
        foreach (var r in responses) r.Dispose();
    }

    [Test]
    public async Task Two_concurrent_warm_transfers_dial_the_target_once_and_the_second_is_a_conflict()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;
        using var target = await acd.AvailableAgentAsync(("general", 3));
        SlowParticipantUpdates(acd);
        var transfer = new { mode = "Warm", targetKind = "Agent", target = target.WorkNumber };

        var responses = await Task.WhenAll(agent.InCallAsync(call.CallSid, "transfer", transfer), agent.InCallAsync(call.CallSid, "transfer", transfer));

        Assert.That(responses.Select(r => r.StatusCode), Is.EquivalentTo(new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        Assert.That(acd.DialledInto(call.CallSid).Count(to => to == $"client:agent-{target.WorkNumber}"), Is.EqualTo(1));
        Assert.That((await acd.InCallEventsAsync(call.CallSid)).Count(e => e.Type == "incall.consult_started"), Is.EqualTo(1));
        foreach (var r in responses) r.Dispose();
    }

    [Test]
    public async Task Two_concurrent_end_call_clicks_end_the_conference_once()
    {
        await using var acd = new AcdHarness();
        var (agent, call) = await acd.ConnectedAsync();
        using var _ = agent;
        acd.Twilio.Given(Request.Create().WithPath(new WireMock.Matchers.RegexMatcher($"/Conferences/{Conference}\\.json$")).UsingPost()).AtPriority(-1)
            .RespondWith(Response.Create().WithStatusCode(200).WithDelay(TimeSpan.FromMilliseconds(400))
                .WithBodyAsJson(new { sid = Conference, account_sid = AcdHarness.AccountSid, status = "completed" }));

        var responses = await Task.WhenAll(agent.EndCallAsync(call.CallSid), agent.EndCallAsync(call.CallSid));

        Assert.That(responses.Select(r => r.StatusCode), Is.All.EqualTo(HttpStatusCode.NoContent));
        Assert.That(acd.ConferenceRequests().Count(r => r.Path == $"{Conference}.json"), Is.EqualTo(1));
        Assert.That((await acd.InCallEventsAsync(call.CallSid)).Count(e => e.Type == "incall.ended"), Is.EqualTo(1));
        Assert.That((await acd.AcdEventTypesAsync(call.CallSid)).Count(t => t == "acd.completed"), Is.EqualTo(1));
        foreach (var r in responses) r.Dispose();
    }

    // Twilio taking its time widens the window in which the second click arrives before the first is recorded.
    private static void SlowParticipantUpdates(AcdHarness acd) =>
        acd.Twilio.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher("*/Conferences/*/Participants*")).UsingPost()).AtPriority(-1)
            .RespondWith(Response.Create().WithStatusCode(201).WithDelay(TimeSpan.FromMilliseconds(400))
                .WithBodyAsJson(new { conference_sid = Conference, call_sid = TwilioConferenceStubs.ParticipantCallSid, account_sid = AcdHarness.AccountSid, status = "connected" }));
}
