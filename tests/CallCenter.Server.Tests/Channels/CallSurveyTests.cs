using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using CallCenter.Server.Channels;
using CallCenter.Server.Telephony;
using CallCenter.Server.Tests.InCall;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

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
        Assert.That(call.Twiml.Root!.Element("Record"), Is.Not.Null, "the optional comment follows the rating");
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

    [Test]
    public async Task After_the_rating_the_caller_may_leave_a_comment_archived_like_a_recording_and_listed_with_the_survey_for_qa()
    {
        await using var h = ChannelHarness.At(2026, 10, 17, 10, 0, SurveysOn);
        var start = h.Acd.Clock.GetUtcNow();
        var (agent, call) = await ConnectedAsync(h, NewCaller());
        using var _ = agent;
        await EndAndFollowAsync(h, agent, call);

        await call.PressAsync("2");
        var record = call.Twiml.Root!.Element("Record");
        var prompt = call.SpokenText;
        var recordingSid = "RE" + Guid.NewGuid().ToString("N");
        await call.FinishRecordingAsync(recordingSid);
        var afterComment = call.Twiml;
        await call.ReplayLastAsync();

        Assert.That(record, Is.Not.Null);
        Assert.That((record!.Attribute("finishOnKey")?.Value, record.Attribute("maxLength")?.Value), Is.EqualTo(("#", "60")));
        Assert.That(record.Attribute("recordingStatusCallback")?.Value, Does.EndWith(TwilioCallControl.RecordingCallbackPath),
            "archived by the recordings pipeline");
        Assert.That(prompt, Does.Contain("感谢您的评价").And.Contain("挂机"), "thanks, then how to comment or skip");
        Assert.That(afterComment.Root!.Element("Hangup"), Is.Not.Null);
        var survey = await h.DbAsync(db => db.Surveys.AsNoTracking().SingleAsync(s => s.Subject == call.CallSid));
        Assert.That((survey.Rating, survey.CommentRecordingSid), Is.EqualTo(((int?)2, recordingSid)));
        var types = (await h.Acd.EventsOfAsync(call.CallSid)).Select(e => e.Type).ToList();
        Assert.That(types.Count(t => t == "survey.comment_recorded"), Is.EqualTo(1), "a retried action links it once");

        // Twilio reports the recording; the archive fetches, seals and numbers it like any other.
        var path = $"/2010-04-01/Accounts/{Routing.AcdHarness.AccountSid}/Recordings/{recordingSid}";
        h.Acd.Twilio.Given(Request.Create().WithPath(path + ".wav").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "audio/x-wav").WithBody(Archive.ArchiveHarness.Wav(8_000)));
        h.Acd.Twilio.Given(Request.Create().WithPath(path + ".json").UsingDelete()).RespondWith(Response.Create().WithStatusCode(204));
        var callback = Archive.ArchiveHarness.RecordingCallback(call.CallSid, recordingSid);
        callback["AccountSid"] = Routing.AcdHarness.AccountSid;
        callback["RecordingSource"] = "RecordVerb";
        callback["RecordingChannels"] = "1";
        using (var reported = await h.Acd.CreateTwilioClient().PostSignedAsync(TwilioCallControl.RecordingCallbackPath, callback))
            Assert.That((int)reported.StatusCode, Is.EqualTo(204), await reported.Content.ReadAsStringAsync());
        var archiveNumber = await ArchivedAsync(h, recordingSid);

        var supervisor = await h.Acd.SupervisorAsync();
        var results = await supervisor.GetFromJsonAsync<JsonElement>(
            $"/api/surveys/results?from={Uri.EscapeDataString(start.ToString("O"))}&to={Uri.EscapeDataString(start.AddHours(1).ToString("O"))}", TestJson.Options);
        var row = results.EnumerateArray().Single(r => r.GetProperty("subject").GetString() == call.CallSid);
        Assert.That((row.GetProperty("rating").GetInt32(), row.GetProperty("satisfied").GetBoolean(), row.GetProperty("commentArchiveNumber").GetInt64()),
            Is.EqualTo((2, false, archiveNumber)));
        using (var played = await supervisor.GetAsync($"/api/archive/recordings/{archiveNumber}/audio"))
            Assert.That(played.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await h.DbAsync(db => db.RecordingAccessLog.CountAsync(a => a.ArchiveNumber == archiveNumber && a.Result == "allowed")), Is.EqualTo(1),
            "playing the comment is audited");
        using (var agentLooks = await agent.Http.GetAsync("/api/surveys/results?from=2026-10-17T00:00:00Z&to=2026-10-18T00:00:00Z"))
            Assert.That(agentLooks.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "QA and supervisors only");
    }

    // Other tests' recordings share the ingest queue: work every due job until this one is catalogued.
    private static async Task<long> ArchivedAsync(ChannelHarness h, string recordingSid)
    {
        var ingestor = h.Acd.Server.Services.GetRequiredService<CallCenter.Server.Archive.ArchiveIngestor>();
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(100))
        {
            await ingestor.ProcessDueAsync(CancellationToken.None);
            var number = await h.DbAsync(db => db.ArchivedRecordings.Where(r => r.RecordingSid == recordingSid).Select(r => (long?)r.ArchiveNumber).SingleOrDefaultAsync());
            if (number is { } n) return n;
            if (DateTime.UtcNow > deadline) throw new AssertionException($"Recording {recordingSid} was not archived.");
        }
    }
}
