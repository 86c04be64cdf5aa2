using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Ivr;

/// <summary>Signed Twilio conversations with the shipped bank flow, end to end through the real server.</summary>
public sealed class IvrConversationTests
{
    // 2026-11-27 09:00 UTC is Friday 17:00 in Shanghai: the line is open.
    private static CallCenterServerFactory Server => AssemblySetUp.Server;

    private static async Task<List<CallEventRecord>> EventsOfAsync(IServiceProvider services, string callSid)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().CallEvents
            .Where(e => e.CallSid == callSid).OrderBy(e => e.CallSeq).ToListAsync();
    }

    [Test]
    public async Task Pressing_zero_in_the_main_menu_reaches_the_agent_queue_in_chinese()
    {
        var call = await IvrCall.DialAsync(Server.CreateTwilioClient());
        await call.PressAsync("1");
        Assert.That(call.SpokenText, Does.Contain("账户和银行卡服务请按1"));

        await call.PressAsync("0");

        Assert.That(call.IsQueued, Is.True, call.RawTwiml);
        Assert.That(call.QueueName, Is.EqualTo("general"));
        Assert.That(call.Spoken.Select(s => s.Language), Is.All.EqualTo("zh-CN"));
        var types = (await EventsOfAsync(Server.Services, call.CallSid)).Select(e => e.Type).ToList();
        Assert.That(types[0], Is.EqualTo("call.incoming"));
        Assert.That(types, Does.Contain("ivr.language_chosen").And.Contain("ivr.queued"));
    }

    [Test]
    public async Task An_english_caller_saying_agent_reaches_the_agent_queue_in_english()
    {
        var call = await IvrCall.DialAsync(Server.CreateTwilioClient());
        await call.PressAsync("2");
        Assert.That(call.Spoken.Select(s => s.Language), Is.All.EqualTo("en-US"));
        Assert.That(call.Gather?.Attribute("language")?.Value, Is.EqualTo("en-US"));

        await call.SayAsync("I want to talk to an agent please");

        Assert.That(call.IsQueued, Is.True, call.RawTwiml);
        Assert.That(call.SpokenText, Does.Contain("Connecting you to an agent"));
    }

    [Test]
    public async Task Chinese_speech_is_recognised_with_the_mandarin_recognition_language_and_low_confidence_is_asked_again()
    {
        var call = await IvrCall.DialAsync(Server.CreateTwilioClient());
        await call.PressAsync("1");
        Assert.That(call.Gather?.Attribute("language")?.Value, Is.EqualTo("cmn-Hans-CN"));

        await call.SayAsync("转人工", confidence: 0.2);
        Assert.That(call.IsQueued, Is.False);
        Assert.That(call.SpokenText, Does.Contain("没有听清"));

        await call.SayAsync("转人工", confidence: 0.8);
        Assert.That(call.IsQueued, Is.True, call.RawTwiml);
    }

    [Test]
    public async Task Three_silences_in_the_main_menu_reach_an_agent()
    {
        var call = await IvrCall.DialAsync(Server.CreateTwilioClient());
        await call.PressAsync("1");

        for (var i = 0; i < 3; i++) await call.StaySilentAsync();

        Assert.That(call.IsQueued, Is.True, call.RawTwiml);
        Assert.That((await EventsOfAsync(Server.Services, call.CallSid)).Count(e => e.Type == "ivr.no_input"), Is.EqualTo(3));
    }

    [Test]
    public async Task A_gather_twilio_retries_gets_the_same_twiml_and_logs_nothing_twice()
    {
        var call = await IvrCall.DialAsync(Server.CreateTwilioClient());
        await call.PressAsync("1");
        await call.PressAsync("1");
        var first = call.RawTwiml;
        var eventsBefore = (await EventsOfAsync(Server.Services, call.CallSid)).Count;

        var replay = await call.ReplayLastAsync();

        Assert.That(replay, Is.EqualTo(first));
        Assert.That((await EventsOfAsync(Server.Services, call.CallSid)).Count, Is.EqualTo(eventsBefore));
    }

    [Test]
    public async Task A_step_for_a_call_the_ivr_never_saw_is_404_and_a_step_already_passed_is_409()
    {
        var twilio = Server.CreateTwilioClient();
        using var unknown = await twilio.PostSignedAsync("/twilio/voice/ivr?step=3",
            new Dictionary<string, string> { ["CallSid"] = TwilioForms.NewCallSid(), ["Digits"] = "1" });
        var call = await IvrCall.DialAsync(twilio);
        var firstAction = call.NextAction!;
        await call.PressAsync("1");
        await call.PressAsync("1");
        using var stale = await twilio.PostSignedAsync(firstAction.Replace("step=", "step=9", StringComparison.Ordinal),
            new Dictionary<string, string> { ["CallSid"] = call.CallSid, ["Digits"] = "2" });

        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(stale.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
    }

    [Test]
    public async Task Only_the_last_steps_reply_is_kept_so_a_step_repeated_after_the_call_moved_on_is_409_and_logs_nothing_twice()
    {
        var twilio = Server.CreateTwilioClient();
        var call = await IvrCall.DialAsync(twilio);
        var languageStep = call.NextAction!;
        await call.PressAsync("1");
        await call.PressAsync("1");
        var eventsBefore = (await EventsOfAsync(Server.Services, call.CallSid)).Count;

        using var late = await twilio.PostSignedAsync(languageStep, new Dictionary<string, string> { ["CallSid"] = call.CallSid, ["Digits"] = "1" });

        Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await call.ReplayLastAsync(), Is.EqualTo(call.RawTwiml), "the last step's retry still gets its reply");
        Assert.That((await EventsOfAsync(Server.Services, call.CallSid)).Count, Is.EqualTo(eventsBefore));
    }

    [Test]
    public async Task An_incoming_webhook_repeated_after_the_call_moved_on_is_409_and_does_not_restart_the_callers_ivr()
    {
        var twilio = Server.CreateTwilioClient();
        var call = await IvrCall.DialAsync(twilio);
        await call.PressAsync("1");
        var mainMenu = call.RawTwiml;

        using var late = await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(call.CallSid, "+8613812345678"));

        Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await call.ReplayLastAsync(), Is.EqualTo(mainMenu), "the caller is still where they were");
        await call.PressAsync("0");
        Assert.That(call.IsQueued, Is.True, call.RawTwiml);
    }

    [Test]
    public async Task A_webhook_after_the_final_status_still_finds_the_calls_ivr_state_for_a_while()
    {
        var twilio = Server.CreateTwilioClient();
        var call = await IvrCall.DialAsync(twilio);
        await call.PressAsync("1");

        using (var status = await twilio.PostSignedAsync("/twilio/voice/status", TwilioForms.Status(call.CallSid, "completed", 20)))
            Assert.That(status.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        // As a <Record>'s action after the caller hung up: the state is still there (Ivr:EndedSessionTtl, a minute by default).
        await call.PressAsync("0");

        Assert.That(call.LastStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(call.IsQueued, Is.True, call.RawTwiml);
    }

    [Test]
    public async Task A_status_callback_for_a_call_in_the_ivr_is_known_from_its_session_without_reading_the_calls_table()
    {
        var twilio = Server.CreateTwilioClient();
        var call = await IvrCall.DialAsync(twilio);
        await call.PressAsync("1");
        // Gone from the table, the call could only be known through its IVR session, which only the incoming webhook creates.
        await using (var scope = Server.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().Calls.Where(c => c.CallSid == call.CallSid).ExecuteDeleteAsync();

        using var status = await twilio.PostSignedAsync("/twilio/voice/status", TwilioForms.Status(call.CallSid, "completed", 20));

        Assert.That(status.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await EventsOfAsync(Server.Services, call.CallSid)).Select(e => e.StepKey), Does.Contain("status:completed"));
    }

    [Test]
    public async Task An_ended_calls_ivr_state_is_dropped_from_memory_and_redis_once_the_ended_session_ttl_is_over()
    {
        await using var server = Server.WithWebHostBuilder(b => b.UseSetting("Ivr:EndedSessionTtl", "00:00:00.100"));
        var twilio = server.CreateTwilioClient();
        var call = await IvrCall.DialAsync(twilio);
        await call.PressAsync("1");
        var redis = server.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase();
        Assert.That(await redis.KeyTimeToLiveAsync("ivr:" + call.CallSid), Is.GreaterThan(TimeSpan.FromHours(1)), "a live call keeps Ivr:SessionTtl");

        using (var status = await twilio.PostSignedAsync("/twilio/voice/status", TwilioForms.Status(call.CallSid, "completed", 20)))
            Assert.That(status.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        await Task.Delay(TimeSpan.FromMilliseconds(400));

        Assert.That(await redis.KeyExistsAsync("ivr:" + call.CallSid), Is.False);
        using var late = await twilio.PostSignedAsync(call.NextAction!, new Dictionary<string, string> { ["CallSid"] = call.CallSid, ["Digits"] = "0" });
        Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "no IVR state left in this process either");
    }

    [Test]
    public async Task A_call_to_a_number_no_flow_answers_still_reaches_a_person()
    {
        var call = await IvrCall.DialAsync(Server.CreateTwilioClient(), to: "+861099999999");

        Assert.That(call.IsQueued, Is.True, call.RawTwiml);
        Assert.That(call.QueueName, Is.EqualTo("general"));
        Assert.That(call.Twiml.Root?.Element("Enqueue")?.Attribute("waitUrl")?.Value, Does.StartWith("/twilio/voice/queue-wait"));
    }

    [Test]
    [NonParallelizable] // Switches the shared line's announcement on and off; other conversations must not hear it.
    public async Task The_emergency_announcement_plays_before_the_main_menu_only_while_it_is_on()
    {
        var supervisor = await Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var staff = Server.CreateClient();
        using var _ = await StaffBuilder.LoginAsync(staff, supervisor);
        using var on = await staff.PutAsJsonAsync("/api/lines/bank-hotline/emergency-announcement", new
        {
            texts = new Dictionary<string, string> { ["zh-CN"] = "因系统升级，部分自助服务暂停。", ["en-US"] = "Some self-service is paused for a system upgrade." },
        });
        Assert.That(on.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        var during = await IvrCall.DialAsync(Server.CreateTwilioClient());
        await during.PressAsync("1");
        using var off = await staff.DeleteAsync("/api/lines/bank-hotline/emergency-announcement");
        var after = await IvrCall.DialAsync(Server.CreateTwilioClient());
        await after.PressAsync("1");

        Assert.That(during.SpokenText, Does.Contain("因系统升级，部分自助服务暂停。"));
        Assert.That(during.SpokenText.IndexOf("因系统升级", StringComparison.Ordinal), Is.LessThan(during.SpokenText.IndexOf("账户和银行卡服务请按1", StringComparison.Ordinal)));
        Assert.That(off.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(after.SpokenText, Does.Not.Contain("因系统升级"));
        await using var scope = Server.Services.CreateAsyncScope();
        var audit = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().OperationLog
            .Where(e => e.Operator == supervisor).OrderBy(e => e.Id).Select(e => e.Action).ToListAsync();
        Assert.That(audit, Is.EqualTo(new[] { "staff.login", "line.emergency_announcement.on", "line.emergency_announcement.off" }));
    }

    [Test]
    public async Task An_announcement_must_be_given_in_every_language_the_line_offers_and_only_by_a_supervisor()
    {
        var agent = await Server.Services.CreateStaffAsync(StaffRole.Agent);
        var supervisor = await Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var agentClient = Server.CreateClient();
        using var __ = await StaffBuilder.LoginAsync(agentClient, agent);
        using var supervisorClient = Server.CreateClient();
        using var ___ = await StaffBuilder.LoginAsync(supervisorClient, supervisor);
        var chineseOnly = new { texts = new Dictionary<string, string> { ["zh-CN"] = "系统维护中。" } };

        using var byAgent = await agentClient.PutAsJsonAsync("/api/lines/bank-hotline/emergency-announcement", chineseOnly);
        using var incomplete = await supervisorClient.PutAsJsonAsync("/api/lines/bank-hotline/emergency-announcement", chineseOnly);
        using var unknownLine = await supervisorClient.GetAsync("/api/lines/no-such-line/emergency-announcement");

        Assert.That(byAgent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(incomplete.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await incomplete.Content.ReadAsStringAsync(), Does.Contain("text missing for en-US"));
        Assert.That(unknownLine.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
