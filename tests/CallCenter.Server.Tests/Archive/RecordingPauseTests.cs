using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.Tests.Routing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace CallCenter.Server.Tests.Archive;

/// <summary>The agent's pause button: Twilio stops recording while card details are spoken, and the gap is in the call log.</summary>
public sealed class RecordingPauseTests
{
    private static string PausePath(string callSid) => $"/api/agent/calls/{callSid}/recording/pause";
    private static string ResumePath(string callSid) => $"/api/agent/calls/{callSid}/recording/resume";

    [Test]
    public async Task The_agent_on_the_call_pauses_and_resumes_the_recording_and_the_gap_is_in_the_call_log()
    {
        await using var acd = new AcdHarness();
        using var agent = await acd.AvailableAgentAsync(("general", 3));
        var call = await acd.QueueCallAsync();
        using (var accepted = await agent.AcceptAsync(call.CallSid)) accepted.EnsureSuccessStatusCode();

        using var pause = await agent.Http.PostAsJsonAsync(PausePath(call.CallSid), new { reason = "card number" });
        using var pressedAgain = await agent.Http.PostAsJsonAsync(PausePath(call.CallSid), new { reason = "card number" });
        var whilePaused = await agent.Http.GetFromJsonAsync<RecordingStateView>($"/api/agent/calls/{call.CallSid}/recording");
        acd.Clock.Advance(TimeSpan.FromSeconds(40));
        using var resume = await agent.Http.PostAsync(ResumePath(call.CallSid), null);

        Assert.That(pause.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(pressedAgain.StatusCode, Is.EqualTo(HttpStatusCode.OK), "pressing pause twice changes nothing");
        Assert.That(whilePaused!.Paused, Is.True);
        Assert.That(resume.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var updates = RecordingUpdates(acd, call.CallSid);
        Assert.That(updates, Has.Count.EqualTo(2), "one pause and one resume reached Twilio");
        Assert.That(updates[0]["Status"], Is.EqualTo("paused"));
        Assert.That(updates[0]["PauseBehavior"], Is.EqualTo("skip"));
        Assert.That(updates[1]["Status"], Is.EqualTo("in-progress"));
        var gap = (await acd.EventsOfAsync(call.CallSid)).Where(e => e.Type.StartsWith("recording.", StringComparison.Ordinal)).ToList();
        Assert.That(gap.Select(e => e.Type), Is.EqualTo(new[] { "recording.paused", "recording.resumed" }));
        Assert.That(AcdHarness.Payload(gap[0]).GetProperty("reason").GetString(), Is.EqualTo("card number"));
        Assert.That(AcdHarness.Payload(gap[0]).GetProperty("agent").GetString(), Is.EqualTo(agent.WorkNumber));
        Assert.That(AcdHarness.Payload(gap[1]).GetProperty("pausedSeconds").GetDouble(), Is.EqualTo(40));
    }

    [Test]
    public async Task Only_the_agent_connected_to_the_call_controls_its_recording()
    {
        await using var acd = new AcdHarness();
        using var agent = await acd.AvailableAgentAsync(("general", 3));
        using var other = await acd.AvailableAgentAsync(("cards", 3));
        var call = await acd.QueueCallAsync();
        using (var accepted = await agent.AcceptAsync(call.CallSid)) accepted.EnsureSuccessStatusCode();

        using var byOther = await other.Http.PostAsJsonAsync(PausePath(call.CallSid), new { });
        using (var ended = await agent.EndCallAsync(call.CallSid)) ended.EnsureSuccessStatusCode();
        using var afterTheCall = await agent.Http.PostAsJsonAsync(PausePath(call.CallSid), new { });

        Assert.That(byOther.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(afterTheCall.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await afterTheCall.Content.ReadAsStringAsync(), Does.Contain("Not on this call"));
        Assert.That(RecordingUpdates(acd, call.CallSid), Is.Empty);
    }

    [Test]
    public async Task When_Twilio_does_not_pause_the_agent_is_warned_and_nothing_is_logged()
    {
        await using var acd = new AcdHarness();
        acd.Twilio.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher("*/Recordings/Twilio.CURRENT.json")).UsingPost())
            .AtPriority(-1)
            .RespondWith(Response.Create().WithStatusCode(404).WithBodyAsJson(new { code = 20404, message = "Not found", status = 404 }));
        using var agent = await acd.AvailableAgentAsync(("general", 3));
        var call = await acd.QueueCallAsync();
        using (var accepted = await agent.AcceptAsync(call.CallSid)) accepted.EnsureSuccessStatusCode();

        using var pause = await agent.Http.PostAsJsonAsync(PausePath(call.CallSid), new { reason = "PIN" });
        using var tooLong = await agent.Http.PostAsJsonAsync(PausePath(call.CallSid), new { reason = new string('x', 201) });

        Assert.That(pause.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That(await pause.Content.ReadAsStringAsync(), Does.Contain("do not take card details yet"));
        Assert.That(tooLong.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((await acd.EventsOfAsync(call.CallSid)).Select(e => e.Type), Has.None.StartsWith("recording."));
    }

    private static List<System.Collections.Specialized.NameValueCollection> RecordingUpdates(AcdHarness acd, string callSid) =>
        [.. acd.Twilio.LogEntries
            .Where(e => e.RequestMessage?.Method == "POST"
                        && e.RequestMessage.Path.EndsWith($"/Calls/{callSid}/Recordings/Twilio.CURRENT.json", StringComparison.Ordinal))
            .Select(e => System.Web.HttpUtility.ParseQueryString(e.RequestMessage!.Body ?? ""))];

    private sealed record RecordingStateView(bool Paused);
}
