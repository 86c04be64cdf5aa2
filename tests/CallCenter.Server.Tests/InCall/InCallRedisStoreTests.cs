using System.Net;
using CallCenter.Core.Routing;
using CallCenter.Server.Routing;
using CallCenter.Server.Tests.Routing;
using static CallCenter.Server.Tests.InCall.InCallHarness;

namespace CallCenter.Server.Tests.InCall;

/// <summary>
/// Agents joining and leaving a call with the ACD on the Redis store (<c>Acd:Store=Redis</c>, as with several instances): the
/// same in-call story as on one node, and Redis holds each step.
/// </summary>
public sealed class InCallRedisStoreTests
{
    private static AcdHarness RedisHarness(string prefix) =>
        new(settings: new Dictionary<string, string> { ["Acd:Store"] = "Redis", ["Acd:RedisKeyPrefix"] = prefix });

    [Test]
    public async Task Accept_hold_warm_transfer_end_and_wrap_up_run_on_the_redis_store()
    {
        var prefix = RedisForTests.UniquePrefix();
        await using var acd = RedisHarness(prefix);
        var redis = new RedisAcdStateStore(RedisForTests.Connection, prefix);
        var (first, call) = await acd.ConnectedAsync();
        using var _ = first;
        using var second = await acd.AvailableAgentAsync(("general", 3));
        Assert.That(redis.FindAgent(first.WorkNumber)?.State, Is.EqualTo(AgentState.OnCall), "accepted in Redis");
        Assert.That(redis.FindCall(call.CallSid)?.AgentId, Is.EqualTo(first.WorkNumber));

        using var hold = await first.InCallAsync(call.CallSid, "hold", new { reason = "one moment" });
        using var resume = await first.InCallAsync(call.CallSid, "resume");
        using var consult = await first.InCallAsync(call.CallSid, "transfer", new { mode = "Warm", targetKind = "Agent", target = second.WorkNumber });
        var whileConsulting = (redis.FindAgent(second.WorkNumber)?.State, redis.FindCall(call.CallSid)?.Guests.Contains(second.WorkNumber));
        using var complete = await first.InCallAsync(call.CallSid, "transfer/complete");
        var afterHandOver = (redis.FindCall(call.CallSid)?.AgentId, redis.FindAgent(first.WorkNumber)?.State);
        using var firstWrap = await first.WrapUpAsync(call.CallSid, "transferred");
        using var end = await second.EndCallAsync(call.CallSid);
        using var secondWrap = await second.WrapUpAsync(call.CallSid, "resolved");

        Assert.That(new[] { hold.StatusCode, resume.StatusCode, consult.StatusCode, complete.StatusCode }, Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(whileConsulting, Is.EqualTo((AgentState.OnCall, (bool?)true)), "the consulted agent joined the call in Redis");
        Assert.That(afterHandOver, Is.EqualTo((second.WorkNumber, AgentState.WrapUp)), "the call changed hands in Redis");
        Assert.That(end.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(new[] { firstWrap.StatusCode, secondWrap.StatusCode }, Is.All.EqualTo(HttpStatusCode.NoContent));
        Assert.That(redis.FindCall(call.CallSid), Is.Null, "the call left the ACD");
        Assert.That(redis.FindAgent(second.WorkNumber)?.State, Is.EqualTo(AgentState.Available));
        Assert.That((await acd.InCallEventsAsync(call.CallSid)).Select(e => e.Type),
            Is.EqualTo(new[] { "incall.held", "incall.resumed", "incall.consult_started", "incall.transferred", "incall.ended" }));
        Assert.That(await acd.AcdEventTypesAsync(call.CallSid), Is.SupersetOf(new[] { "acd.joined", "acd.left", "acd.completed" }));
    }

    [Test]
    public async Task A_party_joining_and_the_caller_hanging_up_free_every_agent_on_the_redis_store()
    {
        var prefix = RedisForTests.UniquePrefix();
        await using var acd = RedisHarness(prefix);
        var redis = new RedisAcdStateStore(RedisForTests.Connection, prefix);
        var (owner, call) = await acd.ConnectedAsync();
        using var _ = owner;
        using var colleague = await acd.AvailableAgentAsync(("general", 3));

        using var add = await owner.InCallAsync(call.CallSid, "parties", new { targetKind = "Agent", target = colleague.WorkNumber });
        var joined = redis.FindAgent(colleague.WorkNumber)?.State;
        using var hangUp = await acd.CreateTwilioClient().PostSignedAsync("/twilio/voice/conference-status", new Dictionary<string, string>
        {
            ["AccountSid"] = AcdHarness.AccountSid, ["ConferenceSid"] = Conference, ["FriendlyName"] = $"call-{call.CallSid}",
            ["StatusCallbackEvent"] = "participant-leave", ["CallSid"] = call.CallSid, ["ParticipantCallStatus"] = "completed",
        });

        Assert.That(add.StatusCode, Is.EqualTo(HttpStatusCode.OK), await add.Content.ReadAsStringAsync());
        Assert.That(joined, Is.EqualTo(AgentState.OnCall));
        Assert.That(hangUp.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(redis.FindCall(call.CallSid), Is.Null);
        Assert.That(redis.FindAgent(owner.WorkNumber)?.State, Is.EqualTo(AgentState.WrapUp));
        Assert.That(redis.FindAgent(colleague.WorkNumber)?.State, Is.EqualTo(AgentState.WrapUp));
        using var view = await owner.Http.GetAsync($"/api/agent/calls/{call.CallSid}");
        Assert.That(view.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "nobody controls a call that is over");
    }
}
