using System.Net;
using System.Xml.Linq;
using CallCenter.Server.Channels;
using CallCenter.Server.Tests.InCall;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Tests.Channels;

/// <summary>
/// The IVR survey after the agent leg: the agent ends the call, the caller still on the line is redirected to the flow's
/// survey node, and the keypad rating lands in the satisfaction figures (channel "voice") per queue and agent.
/// </summary>
public sealed class CallSurveyTests
{
    private static readonly Dictionary<string, string> SurveysOn = new() { ["Channels:Surveys:AfterCalls"] = "true" };

    private static string NewCaller() => "+86136" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<(AgentConsole Agent, IvrCall Call)> ConnectedAsync(ChannelHarness h, string caller)
    {
        var agent = await h.Acd.AvailableAgentAsync(("general", 3));
        var call = await h.Acd.QueueCallAsync(caller);
        using (var accepted = await agent.AcceptAsync(call.CallSid)) accepted.EnsureSuccessStatusCode();
        return (agent, call);
    }

    // The agent ends the call: the server moves the caller out of the conference to the after-agent webhook (no conference end).
    private static async Task<string> EndAndFollowAsync(ChannelHarness h, AgentConsole agent, IvrCall call)
    {
        var before = h.Acd.ConferenceRequests().Count;
        using (var end = await agent.EndCallAsync(call.CallSid))
            Assert.That(end.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await end.Content.ReadAsStringAsync());
        var redirect = h.Acd.Redirects().Last(r => r.CallSid == call.CallSid).Twiml;
        var url = XDocument.Parse(redirect).Root!.Element("Redirect")!.Value;
        Assert.That(url, Does.EndWith(CallSurveys.Path));
        Assert.That(h.Acd.ConferenceRequests().Skip(before).Where(r => r.Form["Status"] == "completed"), Is.Empty,
            "the caller leaving ends the conference; the server does not hang everyone up");
        await call.FollowRedirectAsync(url);
        return call.RawTwiml;
    }

    [Test]
    public async Task A_caller_held_after_the_agents_softphone_dropped_gets_the_survey_when_the_agent_ends_the_call()
    {
        await using var h = ChannelHarness.At(2026, 10, 14, 11, 0, SurveysOn);
        var (agent, call) = await ConnectedAsync(h, NewCaller());
        using var _ = agent;
        using (var dropped = await h.Acd.CreateTwilioClient().PostSignedAsync("/twilio/voice/conference-status", new Dictionary<string, string>
               {
                   ["AccountSid"] = TwilioForms.AccountSid, ["ConferenceSid"] = InCallHarness.Conference, ["FriendlyName"] = $"call-{call.CallSid}",
                   ["StatusCallbackEvent"] = "participant-leave", ["CallSid"] = TwilioConferenceStubs.ParticipantCallSid,
                   ["ParticipantLabel"] = $"agent-{agent.WorkNumber}", ["ParticipantCallStatus"] = "completed",
               }))
            Assert.That(dropped.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var state = await agent.Http.GetStringAsync($"/api/agent/calls/{call.CallSid}");

        await EndAndFollowAsync(h, agent, call);

        Assert.That(state, Does.Contain("\"agentDropped\":true").And.Contain("\"callerHeld\":true"), "the caller waited on hold");
        Assert.That(call.SpokenText, Does.Contain("请对本次服务进行评价"), "the end-call button after the drop offers the survey like any end");
    }

    [Test]
    public async Task A_caller_staying_on_after_the_agent_ends_the_call_rates_it_and_the_rating_counts_for_queue_agent_and_voice()
    {
        await using var h = ChannelHarness.At(2026, 10, 14, 10, 0, SurveysOn);
        var start = h.Acd.Clock.GetUtcNow();
        var (agent, call) = await ConnectedAsync(h, NewCaller());
        using var _ = agent;

        await EndAndFollowAsync(h, agent, call);
        var surveyPrompt = call.SpokenText;
        var stored = await h.DbAsync(db => db.Surveys.AsNoTracking().SingleAsync(s => s.Subject == call.CallSid));
        await call.PressAsync("4");
        var thanks = call.SpokenText;
        var replay = await call.ReplayLastAsync();
        var answered = await h.DbAsync(db => db.Surveys.AsNoTracking().SingleAsync(s => s.Subject == call.CallSid));
        var report = await h.ReportAsync(start.AddMinutes(-1), start.AddHours(1));

        Assert.That(surveyPrompt, Does.Contain("请对本次服务进行评价"));
        Assert.That(call.Twiml.Root!.Element("Hangup"), Is.Not.Null);
        Assert.That(thanks, Does.Contain("感谢您的评价"));
        Assert.That(replay, Does.Contain("感谢您的评价"), "a retried answer gets the same reply");
        Assert.That((stored.Channel, stored.Queue, stored.Agent, stored.Rating), Is.EqualTo((CallSurveys.Channel, "general", agent.WorkNumber, (int?)null)));
        Assert.That(answered.Rating, Is.EqualTo(4));
        var satisfaction = report.GetProperty("satisfaction");
        foreach (var (rows, key) in new[] { ("byChannel", "voice"), ("byQueue", "general"), ("byAgent", agent.WorkNumber) })
        {
            var row = ChannelHarness.Row(satisfaction.GetProperty(rows), key);
            Assert.That((row.GetProperty("surveyed").GetInt32(), row.GetProperty("satisfied").GetInt32()), Is.EqualTo((1, 1)), $"{rows} {key}");
        }
        var types = (await h.Acd.EventsOfAsync(call.CallSid)).Select(e => e.Type).ToList();
        Assert.That(types, Is.SupersetOf(new[] { "survey.sent", "ivr.survey_answer", "survey.answered" }));
        Assert.That(types.Count(t => t == "survey.answered"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_caller_surveyed_within_the_period_or_opted_out_is_hung_up_without_a_survey()
    {
        await using var h = ChannelHarness.At(2026, 10, 15, 10, 0, SurveysOn);
        var caller = NewCaller();
        var (first, firstCall) = await ConnectedAsync(h, caller);
        using var _ = first;
        await EndAndFollowAsync(h, first, firstCall);
        await firstCall.PressAsync("5");
        using (await first.SetStateAsync("Available")) { }

        var secondCall = await h.Acd.QueueCallAsync(caller);
        using (var accepted = await first.AcceptAsync(secondCall.CallSid)) accepted.EnsureSuccessStatusCode();
        var second = await EndAndFollowAsync(h, first, secondCall);

        var optedOut = NewCaller();
        await h.DbAsync(db => db.Database.ExecuteSqlAsync($"INSERT INTO survey_opt_outs (customer_key, at, source) VALUES ({optedOut}, now(), 'test')"));
        using (await first.SetStateAsync("Available")) { }
        var thirdCall = await h.Acd.QueueCallAsync(optedOut);
        using (var accepted = await first.AcceptAsync(thirdCall.CallSid)) accepted.EnsureSuccessStatusCode();
        var third = await EndAndFollowAsync(h, first, thirdCall);

        foreach (var reply in new[] { second, third })
        {
            var twiml = XDocument.Parse(reply).Root!;
            Assert.That(twiml.Element("Gather"), Is.Null, reply);
            Assert.That(twiml.Element("Hangup"), Is.Not.Null, reply);
        }
        var surveyed = await h.DbAsync(db => db.Surveys.AsNoTracking().Where(s => s.CustomerKey == caller || s.CustomerKey == optedOut).CountAsync());
        Assert.That(surveyed, Is.EqualTo(1), "one survey per customer per period, none for an opted-out one");
        Assert.That((await h.Acd.EventsOfAsync(thirdCall.CallSid)).Select(e => e.Type), Does.Contain("survey.skipped"));
    }

    [Test]
    public async Task An_unsigned_after_agent_request_is_refused_and_changes_nothing()
    {
        await using var h = ChannelHarness.At(2026, 10, 16, 10, 0, SurveysOn);
        var callSid = TwilioForms.NewCallSid();

        using var response = await h.Acd.CreateTwilioClient().PostAsync(CallSurveys.Path,
            new Dictionary<string, string> { ["CallSid"] = callSid, ["From"] = NewCaller(), ["AccountSid"] = TwilioForms.AccountSid }, signature: null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await h.DbAsync(db => db.Surveys.AnyAsync(s => s.Subject == callSid)), Is.False);
    }
}
