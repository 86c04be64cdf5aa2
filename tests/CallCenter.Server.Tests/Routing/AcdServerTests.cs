using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Routing;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Routing;

/// <summary>The ACD inside the real server: IVR → queue → agent console → Twilio REST (WireMock) → call log.</summary>
public sealed class AcdServerTests
{
    private static async Task<string> OfferedCallSidAsync(AgentConsole agent) =>
        (await agent.OfferAsync())?.GetProperty("callSid").GetString() ?? throw new AssertionException($"No offer for {agent.WorkNumber}.");

    [Test]
    public async Task A_queued_call_is_offered_to_the_skilled_agent_and_accepting_redirects_the_caller_to_the_agents_softphone()
    {
        await using var h = new AcdHarness();
        using var cardsOnly = await h.AvailableAgentAsync(("cards", 5));
        using var agent = await h.AvailableAgentAsync(("general", 3));

        var call = await h.QueueCallAsync(from: "+8613812345678");
        var offer = await agent.OfferAsync();

        Assert.That(await cardsOnly.OfferAsync(), Is.Null, "an agent without the queue's skill is never offered the call");
        Assert.That(offer, Is.Not.Null);
        Assert.That(offer!.Value.GetProperty("callSid").GetString(), Is.EqualTo(call.CallSid));
        Assert.That(offer.Value.GetProperty("caller").GetString(), Is.EqualTo("+86138****5678"));
        Assert.That(offer.Value.GetProperty("queue").GetString(), Is.EqualTo("general"));

        using var accept = await agent.AcceptAsync(call.CallSid);

        Assert.That(accept.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await accept.Content.ReadAsStringAsync());
        var redirect = h.Redirects().Single();
        Assert.That(redirect.CallSid, Is.EqualTo(call.CallSid));
        Assert.That(redirect.Twiml, Does.Contain($">call-{call.CallSid}</Conference></Dial>"), "the caller enters the call's conference");
        Assert.That(h.DialledInto(call.CallSid), Is.EqualTo(new[] { $"client:agent-{agent.WorkNumber}" }), "and the agent's softphone is dialled into it");
        Assert.That((await agent.MeAsync()).GetProperty("state").GetString(), Is.EqualTo("OnCall"));
        Assert.That(await h.AcdEventTypesAsync(call.CallSid), Is.EqualTo(new[] { "acd.queued", "acd.offered", "acd.answered" }));
        var answered = (await h.EventsOfAsync(call.CallSid)).Single(e => e.Type == "acd.answered");
        Assert.That(AcdHarness.Payload(answered).GetProperty("agent").GetString(), Is.EqualTo(agent.WorkNumber));
    }

    [Test]
    public async Task Ending_and_wrapping_up_a_call_logs_the_disposition_and_makes_the_agent_available_again()
    {
        await using var h = new AcdHarness();
        using var agent = await h.AvailableAgentAsync(("general", 1));
        var call = await h.QueueCallAsync();
        using (await agent.AcceptAsync(await OfferedCallSidAsync(agent))) { }

        using var early = await agent.WrapUpAsync(call.CallSid);
        using var end = await agent.EndCallAsync(call.CallSid);
        var wrapping = await agent.MeAsync();
        using var noDisposition = await agent.WrapUpAsync(call.CallSid, disposition: " ");
        using var wrap = await agent.WrapUpAsync(call.CallSid);
        using var again = await agent.WrapUpAsync(call.CallSid);
        // Twilio's final status for the connected call arrives after the agent ended it: nothing changes.
        using var status = await h.CreateTwilioClient().PostSignedAsync("/twilio/voice/status", TwilioForms.Status(call.CallSid, "completed", 60));

        Assert.That(early.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(end.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(wrapping.GetProperty("state").GetString(), Is.EqualTo("WrapUp"));
        Assert.That(noDisposition.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await noDisposition.Content.ReadAsStringAsync(), Does.Contain("disposition"));
        Assert.That(wrap.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(status.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await agent.MeAsync()).GetProperty("state").GetString(), Is.EqualTo("Available"));
        var events = await h.EventsOfAsync(call.CallSid);
        Assert.That(events.Count(e => e.Type == "acd.completed"), Is.EqualTo(1));
        var wrapUp = AcdHarness.Payload(events.Single(e => e.Type == "agent.wrap_up"));
        Assert.That(wrapUp.GetProperty("disposition").GetString(), Is.EqualTo("resolved"));
        Assert.That(wrapUp.GetProperty("resolved").GetBoolean(), Is.True);
        var agentStream = (await h.EventsOfAsync(AcdHost.AgentStream(agent.WorkNumber))).Select(e => AcdHarness.Payload(e).GetProperty("to").GetString());
        Assert.That(agentStream, Is.EqualTo(new[] { "Available", "Reserved", "OnCall", "WrapUp", "Available" }));
    }

    [Test]
    public async Task A_caller_the_ivr_cannot_serve_still_reaches_an_agent_through_the_first_queue()
    {
        await using var h = new AcdHarness();
        using var agent = await h.AvailableAgentAsync(("general", 1));

        var call = await IvrCall.DialAsync(h.CreateTwilioClient(), to: "+861099999999");

        Assert.That(call.IsQueued, Is.True, call.RawTwiml);
        Assert.That(await OfferedCallSidAsync(agent), Is.EqualTo(call.CallSid));
    }

    [Test]
    public async Task A_waiting_caller_hears_position_and_a_wait_estimated_from_recent_handle_times()
    {
        await using var h = new AcdHarness();
        using var agent = await h.AvailableAgentAsync(("general", 1));
        var first = await h.QueueCallAsync();
        using (await agent.AcceptAsync(await OfferedCallSidAsync(agent))) { }
        h.Clock.Advance(TimeSpan.FromSeconds(120));
        // The caller hangs up: Twilio's final status ends the connected call and the agent wraps up 30 s later.
        using (await h.CreateTwilioClient().PostSignedAsync("/twilio/voice/status", TwilioForms.Status(first.CallSid, "completed", 120))) { }
        var wrapping = await agent.MeAsync();
        h.Clock.Advance(TimeSpan.FromSeconds(30));
        using (await agent.WrapUpAsync(first.CallSid)) { }
        var second = await h.QueueCallAsync();
        using (await agent.AcceptAsync(await OfferedCallSidAsync(agent))) { }
        var third = await h.QueueCallAsync();

        using var hold = await h.CreateTwilioClient().PostSignedAsync("/twilio/voice/queue-wait?lang=en-US",
            new Dictionary<string, string> { ["CallSid"] = third.CallSid, ["QueuePosition"] = "1", ["QueueTime"] = "5" });

        Assert.That(wrapping.GetProperty("state").GetString(), Is.EqualTo("WrapUp"));
        Assert.That(await h.AcdEventTypesAsync(first.CallSid), Does.Contain("acd.completed"));
        Assert.That(second.IsQueued, Is.True);
        // One agent, 150 s mean handle time (talk + wrap-up), first in line: about 2.5 minutes, said as 3.
        Assert.That(await hold.Content.ReadAsStringAsync(),
            Does.Contain("You are number 1 in the queue. The estimated wait is about 3 minutes."));
    }

    [Test]
    public async Task The_agent_and_supervisor_apis_are_in_the_openapi_document()
    {
        await using var h = new AcdHarness();
        using var client = h.Server.CreateClient();

        var doc = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();

        Assert.That(paths, Is.SupersetOf(new[]
        {
            "/api/agent/login", "/api/agent/logout", "/api/agent/state", "/api/agent/me", "/api/agent/offer",
            "/api/agent/offers/{callSid}/accept", "/api/agent/offers/{callSid}/decline", "/api/agent/calls/{callSid}/end",
            "/api/agent/calls/{callSid}/wrap-up", "/api/acd/queues", "/api/calls/{callSid}/estimate", "/api/agents/{workNumber}/skills",
        }));
    }

    [Test]
    public async Task A_ring_timeout_puts_the_agent_on_break_missed_and_the_call_back_at_the_head_of_its_queue()
    {
        await using var h = new AcdHarness();
        using var first = await h.AvailableAgentAsync(("general", 2));
        var call = await h.QueueCallAsync();
        var later = await h.QueueCallAsync(from: "+8613900001111");
        Assert.That(await OfferedCallSidAsync(first), Is.EqualTo(call.CallSid));

        h.Clock.Advance(TimeSpan.FromSeconds(21));
        await h.Acd.TickAsync(CancellationToken.None);

        var me = await first.MeAsync();
        Assert.That(me.GetProperty("state").GetString(), Is.EqualTo("Break"));
        Assert.That(me.GetProperty("breakReason").GetString(), Is.EqualTo("missed"));
        Assert.That(await first.OfferAsync(), Is.Null);
        Assert.That(await h.AcdEventTypesAsync(call.CallSid), Is.EqualTo(new[] { "acd.queued", "acd.offered", "acd.ring_no_answer" }));
        using var supervisor = await h.SupervisorAsync();
        var general = (await supervisor.GetFromJsonAsync<JsonElement[]>("/api/acd/queues", TestJson.Options))!
            .Single(q => q.GetProperty("queue").GetString() == "general");
        Assert.That(general.GetProperty("waiting").GetInt32(), Is.EqualTo(2));
        Assert.That(general.GetProperty("staffed").GetInt32(), Is.EqualTo(0));
        Assert.That(general.GetProperty("oldestWaitSeconds").GetDouble(), Is.EqualTo(21));
        var estimate = await supervisor.GetFromJsonAsync<JsonElement>($"/api/calls/{call.CallSid}/estimate", TestJson.Options);
        Assert.That(estimate.GetProperty("position").GetInt32(), Is.EqualTo(1));

        using var second = await h.AvailableAgentAsync(("general", 1));
        Assert.That(await OfferedCallSidAsync(second), Is.EqualTo(call.CallSid), "the returned call is served before the later one");
        Assert.That(h.Redirects(), Is.Empty, "nothing reaches Twilio until an agent accepts");
        Assert.That(later.IsQueued, Is.True);
    }

    [Test]
    public async Task A_call_waiting_past_an_escalation_moves_queue_and_reaches_an_agent_of_the_new_queue()
    {
        // Queue 0 of appsettings.json is "general"; here it sends its callers to "cards" after 30 s.
        await using var h = new AcdHarness(settings: new Dictionary<string, string>
        {
            ["Acd:Queues:0:Escalations:0:After"] = "00:00:30",
            ["Acd:Queues:0:Escalations:0:Action"] = "MoveToQueue",
            ["Acd:Queues:0:Escalations:0:TargetQueue"] = "cards",
        });
        using var cardsAgent = await h.AvailableAgentAsync(("cards", 1));
        var call = await h.QueueCallAsync();
        Assert.That(await cardsAgent.OfferAsync(), Is.Null);

        h.Clock.Advance(TimeSpan.FromSeconds(30));
        await h.Acd.TickAsync(CancellationToken.None);

        var offer = await cardsAgent.OfferAsync();
        Assert.That(offer?.GetProperty("callSid").GetString(), Is.EqualTo(call.CallSid));
        Assert.That(offer?.GetProperty("queue").GetString(), Is.EqualTo("cards"));
        var events = await h.EventsOfAsync(call.CallSid);
        Assert.That(events.Where(e => e.Type.StartsWith("acd.", StringComparison.Ordinal)).Select(e => e.StepKey),
            Is.EqualTo(new[] { "acd.queued#1", "acd.overflowed#1", "acd.queued#2", "acd.offered#1" }));
        var overflow = AcdHarness.Payload(events.Single(e => e.Type == "acd.overflowed"));
        Assert.That(overflow.GetProperty("target").GetString(), Is.EqualTo("cards"));
        Assert.That(overflow.GetProperty("waitedSeconds").GetDouble(), Is.EqualTo(30));
    }

    [Test]
    public async Task A_caller_hanging_up_while_queued_is_abandoned_with_the_wait_time_and_never_offered()
    {
        await using var h = new AcdHarness();
        var call = await h.QueueCallAsync();
        var twilio = h.CreateTwilioClient();
        using var hold = await twilio.PostSignedAsync("/twilio/voice/queue-wait?lang=zh-CN",
            new Dictionary<string, string> { ["CallSid"] = call.CallSid, ["QueuePosition"] = "1", ["QueueTime"] = "0" });
        var holdTwiml = await hold.Content.ReadAsStringAsync();

        h.Clock.Advance(TimeSpan.FromSeconds(42.5));
        using var hangUp = await twilio.PostSignedAsync("/twilio/voice/status", TwilioForms.Status(call.CallSid, "completed", 50));
        using var retried = await twilio.PostSignedAsync("/twilio/voice/status", TwilioForms.Status(call.CallSid, "completed", 50));
        using var agent = await h.AvailableAgentAsync(("general", 5));

        Assert.That(holdTwiml, Does.Contain("您目前排在第1位。"), "position, and silence about a wait nobody can estimate yet");
        Assert.That(holdTwiml, Does.Not.Contain("预计"));
        Assert.That(hangUp.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(retried.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var abandoned = (await h.EventsOfAsync(call.CallSid)).Where(e => e.Type == "acd.abandoned").ToList();
        Assert.That(abandoned, Has.Count.EqualTo(1));
        Assert.That(AcdHarness.Payload(abandoned[0]).GetProperty("waitedSeconds").GetDouble(), Is.EqualTo(42.5));
        Assert.That(await agent.OfferAsync(), Is.Null);
        Assert.That(await h.AcdEventTypesAsync(call.CallSid), Does.Not.Contain("acd.offered"));
    }

    [Test]
    public async Task Illegal_transitions_are_409_problems_and_bad_input_is_a_400_validation_problem()
    {
        await using var h = new AcdHarness();
        using var noProfile = await h.NewAgentAsync();
        using var agent = await h.NewAgentAsync(("general", 1));

        using var loginWithoutProfile = await noProfile.LoginToAcdAsync();
        using var acceptWhileOffline = await agent.AcceptAsync(TwilioForms.NewCallSid());
        using var logoutWhileOffline = await agent.LogoutFromAcdAsync();
        using var login = await agent.LoginToAcdAsync();
        using var loginTwice = await agent.LoginToAcdAsync();
        using var breakWithoutReason = await agent.SetStateAsync("Break");
        using var unknownState = await agent.SetStateAsync("Sleeping");
        using var endWhileAvailable = await agent.EndCallAsync(TwilioForms.NewCallSid());
        using var lunch = await agent.SetStateAsync("Break", "lunch");
        var onBreak = await agent.MeAsync();

        Assert.That(loginWithoutProfile.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(acceptWhileOffline.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(acceptWhileOffline.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(logoutWhileOffline.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(loginTwice.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(breakWithoutReason.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(unknownState.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(endWhileAvailable.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(lunch.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(onBreak.GetProperty("breakReason").GetString(), Is.EqualTo("lunch"));
    }

    [Test]
    public async Task Skills_outside_one_to_five_are_refused()
    {
        await using var h = new AcdHarness();
        using var admin = await AgentConsole.SignInAsync(h.Server.CreateClient(),
            await h.Server.Services.CreateStaffAsync(CallCenter.Server.Staff.StaffRole.Admin));
        using var agent = await h.NewAgentAsync();

        using var tooHigh = await admin.PutSkillsAsync(agent.WorkNumber, ("general", 9));
        using var asAgent = await agent.PutSkillsAsync(agent.WorkNumber, ("general", 5));

        Assert.That(tooHigh.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(asAgent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task A_double_click_on_accept_sends_twilio_one_redirect()
    {
        // Twilio answers slowly, so the second click arrives while the first redirect is in flight.
        await using var h = new AcdHarness(twilioDelay: TimeSpan.FromMilliseconds(300));
        using var agent = await h.AvailableAgentAsync(("general", 1));
        var call = await h.QueueCallAsync();
        var callSid = await OfferedCallSidAsync(agent);

        var clicks = await Task.WhenAll(agent.AcceptAsync(callSid), agent.AcceptAsync(callSid));

        Assert.That(clicks.Select(c => c.StatusCode), Is.EquivalentTo(new[] { HttpStatusCode.NoContent, HttpStatusCode.Conflict }));
        Assert.That(h.Redirects().Select(r => r.CallSid), Is.EqualTo(new[] { call.CallSid }));
        Assert.That((await h.AcdEventTypesAsync(call.CallSid)).Count(t => t == "acd.answered"), Is.EqualTo(1));
        foreach (var click in clicks) click.Dispose();
    }

    [Test]
    public async Task When_twilio_cannot_redirect_the_caller_the_call_goes_back_to_the_head_of_its_queue()
    {
        await using var h = new AcdHarness(twilioFails: true);
        using var agent = await h.AvailableAgentAsync(("general", 1));
        var call = await h.QueueCallAsync();

        using var accept = await agent.AcceptAsync(await OfferedCallSidAsync(agent));

        Assert.That(accept.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That(accept.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(h.Redirects(), Has.Count.EqualTo(1), "a redirect POST is never retried blindly");
        Assert.That((await agent.MeAsync()).GetProperty("state").GetString(), Is.EqualTo("Break"));
        Assert.That(await h.AcdEventTypesAsync(call.CallSid), Is.EqualTo(new[] { "acd.queued", "acd.offered", "acd.connect_failed", "acd.ring_no_answer" }));
        var estimate = await h.Acd.EstimateAsync(call.CallSid, CancellationToken.None);
        Assert.That(estimate?.Position, Is.EqualTo(1));
    }

    [Test]
    public async Task Two_agents_racing_for_many_calls_never_share_a_call_and_every_call_is_answered_once()
    {
        const int calls = 8;
        await using var h = new AcdHarness();
        var agents = new[] { await h.NewAgentAsync(("general", 1)), await h.NewAgentAsync(("general", 1)) };
        // Calls arrive while both agents log in.
        var queued = Task.WhenAll(Enumerable.Range(0, calls).Select(i => h.QueueCallAsync(from: $"+861380000{i:D4}")));
        foreach (var login in await Task.WhenAll(agents.Select(a => a.LoginToAcdAsync()))) using (login) login.EnsureSuccessStatusCode();
        var callSids = (await queued).Select(c => c.CallSid).ToHashSet();
        try
        {
            var answeredBy = new Dictionary<string, string>();
            for (var round = 0; answeredBy.Count < calls && round < calls; round++)
            {
                var offers = await Task.WhenAll(agents.Select(OfferedCallSidAsync));
                Assert.That(offers.Distinct().Count(), Is.EqualTo(agents.Length), "no call offered to two agents");
                // Every agent grabs every offered call at once: only the agent it was offered to may win.
                var attempts = agents.SelectMany(a => offers.Select(sid => (Agent: a, CallSid: sid))).ToList();
                var responses = await Task.WhenAll(attempts.Select(x => x.Agent.AcceptAsync(x.CallSid)));
                for (var i = 0; i < attempts.Count; i++)
                {
                    using var response = responses[i];
                    if (response.StatusCode == HttpStatusCode.NoContent)
                        answeredBy.Add(attempts[i].CallSid, attempts[i].Agent.WorkNumber);
                    else
                        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
                }
                await Task.WhenAll(agents.Select(async a =>
                {
                    var sid = (await a.MeAsync()).GetProperty("callSid").GetString()!;
                    using var end = await a.EndCallAsync(sid);
                    using var wrap = await a.WrapUpAsync(sid);
                    Assert.That(wrap.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
                }));
            }

            Assert.That(answeredBy.Keys, Is.EquivalentTo(callSids));
            var redirects = h.Redirects();
            Assert.That(redirects.Select(r => r.CallSid), Is.EquivalentTo(callSids), "exactly one Twilio redirect per call");
            foreach (var (callSid, twiml) in redirects)
            {
                Assert.That(twiml, Does.Contain($">call-{callSid}</Conference>"));
                Assert.That(h.DialledInto(callSid), Is.EqualTo(new[] { $"client:agent-{answeredBy[callSid]}" }));
            }
            foreach (var sid in callSids)
                Assert.That((await h.AcdEventTypesAsync(sid)).Count(t => t == "acd.answered"), Is.EqualTo(1));
        }
        finally
        {
            foreach (var a in agents) a.Dispose();
        }
    }

    [Test]
    public async Task A_caller_over_the_queue_limit_is_moved_out_of_the_hold_loop_to_leave_a_callback_request()
    {
        await using var h = new AcdHarness(settings: new Dictionary<string, string>
        {
            ["Acd:Queues:0:MaxQueueSize"] = "1",
            ["Acd:Queues:0:MaxQueueSizeOutcome"] = "Voicemail",
        });
        var first = await h.QueueCallAsync();
        var second = await h.QueueCallAsync();

        IReadOnlyList<(string CallSid, string Twiml)> redirects = [];
        for (var i = 0; i < 100 && redirects.Count == 0; i++)
        {
            await Task.Delay(50);
            redirects = h.Redirects();
        }
        using var recorded = await h.CreateTwilioClient().PostSignedAsync("/twilio/voice/callback-request", new Dictionary<string, string>
        {
            ["CallSid"] = second.CallSid,
            ["RecordingSid"] = "RE0123456789abcdef0123456789abcdef",
            ["RecordingUrl"] = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE0123456789abcdef0123456789abcdef",
            ["RecordingDuration"] = "14",
        });

        Assert.That(redirects.Select(r => r.CallSid), Is.EqualTo(new[] { second.CallSid }), "only the caller over the limit is moved");
        Assert.That(redirects[0].Twiml, Does.Contain("<Record").And.Contain("https://hotline.bank.test/twilio/voice/callback-request"));
        Assert.That(recorded.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await h.AcdEventTypesAsync(second.CallSid), Does.Contain("acd.limit_reached"));
        Assert.That((await h.EventsOfAsync(second.CallSid)).Select(e => e.Type), Does.Contain("acd.callback_requested"));
        Assert.That(await h.AcdEventTypesAsync(first.CallSid), Does.Not.Contain("acd.limit_reached"));
    }
}
