using System.Net;
using CallCenter.Core.InCall;
using CallCenter.Core.Ivr;
using CallCenter.Core.Routing;
using CallCenter.Server.Degraded;
using CallCenter.Server.Ivr;
using CallCenter.Server.Routing;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CallCenter.Server.Tests.Degraded;

/// <summary>Redis stops (a redis-server of the test's own, killed): one instance carries on; several send callers to people.</summary>
public sealed class RedisOutageTests
{
    private const string BackupNumber = "+861095588";

    [Test]
    [NonParallelizable] // The retry storm after the kill and the accept's wall-clock REST timeout should not compete with other tests.
    public async Task A_single_instance_carries_on_with_in_process_state_when_redis_dies_mid_call()
    {
        await using var redis = await PrivateRedis.StartAsync();
        await using var h = new AcdHarness(settings: new Dictionary<string, string>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            // The seconds after the kill are the busiest of the run (reconnects, spooling): on a loaded machine the Twilio stand-in's
            // answer to the accept's redirect took over the 4 s default. This test is about Redis, not about a slow Twilio.
            ["Twilio:RestTimeout"] = "00:00:10",
        });
        using var agent = await h.AvailableAgentAsync(("general", 1));
        var call = await IvrCall.DialAsync(h.CreateTwilioClient());
        await call.PressAsync("1");
        Assert.That(call.Gather, Is.Not.Null, call.RawTwiml);

        await redis.StopServerAsync();

        // The caller mid-IVR goes on from where they were, and a new caller is answered by the IVR too.
        await call.PressAsync("0");
        Assert.That(call.QueueName, Is.EqualTo("general"), call.RawTwiml);
        var newcomer = await IvrCall.DialAsync(h.CreateTwilioClient(), from: "+8613900000001");
        Assert.That(newcomer.Gather, Is.Not.Null, newcomer.RawTwiml);
        // A step Twilio retries still gets the stored reply, not a second run.
        Assert.That(await call.ReplayLastAsync(), Is.EqualTo(call.RawTwiml));

        h.Clock.Advance(TimeSpan.FromSeconds(5));
        var offer = await agent.OfferAsync();
        Assert.That(offer?.GetProperty("callSid").GetString(), Is.EqualTo(call.CallSid));
        using (var accepted = await agent.AcceptAsync(call.CallSid)) Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(h.Redirects().Single().Twiml, Does.Contain($">call-{call.CallSid}</Conference></Dial>"), "the caller enters the call's conference");
        Assert.That(h.DialledInto(call.CallSid), Is.EqualTo(new[] { $"client:agent-{agent.WorkNumber}" }), "and the agent's softphone is dialled into it");

        using var health = await h.Server.CreateClient().GetAsync("/health/ready");
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await health.Content.ReadAsStringAsync(), Is.EqualTo("Degraded"));
    }

    [Test]
    public async Task A_caller_the_acd_has_taken_hears_enqueue_even_when_redis_does_not_take_their_ivr_state()
    {
        await using var redis = await PrivateRedis.StartAsync();
        await using var h = new AcdHarness(settings: new Dictionary<string, string>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Acd:Store"] = "Redis",
            ["Acd:RedisKeyPrefix"] = "acd-" + Guid.NewGuid().ToString("N"),
            ["Twilio:FallbackNumber"] = BackupNumber,
        });
        await using var server = h.Server.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IvrSessionStore, SaveTimesOut>()));
        var saves = (SaveTimesOut)server.Services.GetRequiredService<IvrSessionStore>();
        var menuCaller = await IvrCall.DialAsync(server.CreateTwilioClient());
        var queuedCaller = await IvrCall.DialAsync(server.CreateTwilioClient(), from: "+8613900000002");
        await queuedCaller.PressAsync("1");

        saves.Failing = true;
        // A menu step whose state cannot be kept: the caller goes to people on the backup number, and nothing holds the call.
        await menuCaller.PressAsync("1");
        Assert.That(menuCaller.Twiml.Root?.Element("Dial")?.Value, Is.EqualTo(BackupNumber), menuCaller.RawTwiml);
        // The step that queued the caller: they are in the ACD, so they must wait in <Enqueue> for the agent who takes the call.
        await queuedCaller.PressAsync("0");
        Assert.That(queuedCaller.QueueName, Is.EqualTo("general"), queuedCaller.RawTwiml);

        var general = (await server.Services.GetRequiredService<AcdHost>().QueuesAsync(CancellationToken.None)).Single(q => q.Queue == "general");
        Assert.That(general.Waiting, Is.EqualTo(1), "only the caller who heard <Enqueue> waits in the ACD");
    }

    /// <summary>The IVR state store with Redis timing out on saves while <see cref="Failing"/>.</summary>
    private sealed class SaveTimesOut(IConnectionMultiplexer redis, IOptions<IvrHostOptions> options, IOptions<AcdStoreOptions> store,
        DegradedState degraded, ILogger<IvrSessionStore> logger) : IvrSessionStore(redis, options, store, degraded, logger)
    {
        public bool Failing { get; set; }

        public override Task SaveAsync(string callSid, IvrCallState state, string replyField, string reply) => Failing
            ? throw new RedisTimeoutException(CommandFlags.None, "Timeout performing EVAL (1000ms)", CommandStatus.Sent)
            : base.SaveAsync(callSid, state, replyField, reply);
    }

    [TestCase(true, TestName = "A_caller_whose_enqueue_redis_ran_without_answering_hears_enqueue_and_waits_once")]
    [TestCase(false, TestName = "A_caller_whose_enqueue_redis_took_without_running_hears_enqueue_and_waits_once")]
    public async Task A_caller_whose_enqueue_got_no_answer_from_redis_hears_enqueue_once_the_acd_has_them(bool commitRan)
    {
        await using var redis = await PrivateRedis.StartAsync();
        var prefix = "acd-" + Guid.NewGuid().ToString("N");
        await using var h = new AcdHarness(settings: new Dictionary<string, string>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Acd:Store"] = "Redis",
            ["Acd:RedisKeyPrefix"] = prefix,
            ["Twilio:FallbackNumber"] = BackupNumber,
        });
        CommitAnswerLost? store = null;
        await using var server = h.Server.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton(sp => ActivatorUtilities.CreateInstance<AcdHost>(
            sp, store = new CommitAnswerLost(sp.GetRequiredService<IConnectionMultiplexer>(), prefix, commitRan)))));
        var caller = await IvrCall.DialAsync(server.CreateTwilioClient());
        await caller.PressAsync("1");

        await caller.PressAsync("0");

        // Not the backup number: the ACD is asked again, and either finds the caller or takes them now.
        Assert.That(caller.QueueName, Is.EqualTo("general"), caller.RawTwiml);
        Assert.That(store?.AnswersLost, Is.EqualTo(1), "the enqueue's commit went unanswered once");
        var acd = server.Services.GetRequiredService<AcdHost>();
        Assert.That(await acd.EstimateAsync(caller.CallSid, CancellationToken.None), Is.Not.Null, "the caller waits in the ACD");
        var general = (await acd.QueuesAsync(CancellationToken.None)).Single(q => q.Queue == "general");
        Assert.That(general.Waiting, Is.EqualTo(1), "once");
    }

    /// <summary>The Redis ACD store whose first enqueue commit gets no answer: Redis ran it (or not), and the reply and its receipt were lost.</summary>
    private sealed class CommitAnswerLost(IConnectionMultiplexer redis, string prefix, bool commitRan) : RedisAcdStateStore(redis, prefix, 50)
    {
        public int AnswersLost { get; private set; }

        public override bool Commit(IReadOnlyList<(string CallId, string Type)> events, out IReadOnlyList<long> numbers)
        {
            if (AnswersLost > 0 || !events.Any(e => e.Type == "acd.queued")) return base.Commit(events, out numbers);
            AnswersLost++;
            if (commitRan) base.Commit(events, out _);
            else Discard();
            throw new RedisTimeoutException(CommandFlags.None, "Timeout performing EVALSHA (5000ms)", CommandStatus.Sent);
        }
    }

    [TestCase(true, TestName = "An_accept_whose_redis_commit_ran_without_answering_is_recorded_and_connected_once")]
    [TestCase(false, TestName = "An_accept_whose_redis_commit_was_lost_before_running_runs_again_and_connects_once")]
    public async Task An_accept_whose_commit_got_no_answer_from_redis_is_settled_by_its_receipt(bool commitRan)
    {
        await using var redis = await PrivateRedis.StartAsync();
        var prefix = "acd-" + Guid.NewGuid().ToString("N");
        AnswerLostAtRedis? store = null;
        await using var h = new AcdHarness(
            settings: new Dictionary<string, string>
            {
                ["ConnectionStrings:Redis"] = redis.ConnectionString,
                ["Acd:Store"] = "Redis",
                ["Acd:RedisKeyPrefix"] = prefix,
            },
            services: s => s.AddSingleton(sp => ActivatorUtilities.CreateInstance<AcdHost>(
                sp, store = new AnswerLostAtRedis(sp.GetRequiredService<IConnectionMultiplexer>(), prefix, "acd.answered", commitRan))));
        using var agent = await h.AvailableAgentAsync(("general", 1));
        var call = await h.QueueCallAsync();
        Assert.That((await agent.OfferAsync())?.GetProperty("callSid").GetString(), Is.EqualTo(call.CallSid));

        // Twilio has moved the caller when the accept's commit goes to Redis: losing its answer must not lose the answered call.
        using (var accepted = await agent.AcceptAsync(call.CallSid)) Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));

        Assert.That(store?.AnswersLost, Is.EqualTo(1), "the accept's commit went unanswered once");
        Assert.That(await h.AcdEventTypesAsync(call.CallSid), Is.EqualTo(new[] { "acd.queued", "acd.offered", "acd.answered" }));
        Assert.That(h.Redirects().Single().Twiml, Does.Contain($">call-{call.CallSid}</Conference></Dial>"), "one redirect into the call's conference");
        Assert.That((await h.EventsOfAsync(call.CallSid)).Count(e => e.Type == InCallSession.ConferenceEvent), Is.EqualTo(1),
            "the in-call controls can find the agent's leg");
        Assert.That((await h.Acd.AgentAsync(agent.WorkNumber, CancellationToken.None)).State, Is.EqualTo(AgentState.OnCall));
    }

    /// <summary>The Redis ACD store whose first commit numbering an event of <paramref name="eventType"/> gets no answer: Redis ran it (or never got to).</summary>
    private sealed class AnswerLostAtRedis(IConnectionMultiplexer redis, string prefix, string eventType, bool commitRan) : RedisAcdStateStore(redis, prefix)
    {
        public int AnswersLost { get; private set; }

        protected override RedisResult[] EvaluateCommit(RedisValue[] args)
        {
            if (AnswersLost > 0 || !args.Contains(eventType)) return base.EvaluateCommit(args);
            AnswersLost++;
            if (commitRan) base.EvaluateCommit(args);
            throw new RedisTimeoutException(CommandFlags.None, "Timeout performing EVALSHA (5000ms)", CommandStatus.Sent);
        }
    }

    [Test]
    public async Task Instances_sharing_redis_send_callers_to_the_backup_number_when_it_dies()
    {
        await using var redis = await PrivateRedis.StartAsync();
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString,
            ["Acd:Store"] = "Redis",
            ["Acd:RedisKeyPrefix"] = "acd-" + Guid.NewGuid().ToString("N"),
            ["Twilio:FallbackNumber"] = BackupNumber,
        };
        await using var first = new AcdHarness(settings: settings);
        await using var second = new AcdHarness(settings: settings);
        var call = await IvrCall.DialAsync(first.CreateTwilioClient());
        Assert.That(call.Gather, Is.Not.Null, call.RawTwiml);

        await redis.StopServerAsync();

        // Mid-IVR: the caller is dialled through to the backup number instead of an error.
        await call.PressAsync("1");
        Assert.That(call.LastStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(call.Twiml.Root?.Element("Dial")?.Value, Is.EqualTo(BackupNumber), call.RawTwiml);

        // A new call: the voice URL answers 503, so Twilio asks the fallback URL, which needs neither Redis nor PostgreSQL.
        var twilio = second.CreateTwilioClient();
        var callSid = TwilioForms.NewCallSid();
        using var incoming = await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(callSid));
        Assert.That(incoming.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        using var fallback = await twilio.PostSignedAsync("/twilio/voice/fallback", TwilioForms.Incoming(callSid));
        Assert.That(fallback.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await fallback.Content.ReadAsStringAsync(), Does.Contain($"<Dial timeout=\"60\">{BackupNumber}</Dial>"));

        using var health = await second.Server.CreateClient().GetAsync("/health/ready");
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
    }
}
