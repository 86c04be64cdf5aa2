using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Metrics;
using CallCenter.Server.Tests.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.EndToEnd;

/// <summary>One call through every part that exists: IVR, ACD, agent, Twilio REST, call log, metrics.</summary>
public sealed class FirstAnsweredCallTests
{
    [Test]
    public async Task A_caller_asking_for_an_agent_is_answered_wrapped_up_and_counted_in_the_interval_figures()
    {
        await using var h = new AcdHarness();
        using var agent = await h.AvailableAgentAsync(("general", 1));

        var call = await h.QueueCallAsync();
        h.Clock.Advance(TimeSpan.FromSeconds(12));
        var offer = await agent.Http.GetFromJsonAsync<JsonElement>("/api/agent/offer");
        using var accepted = await agent.AcceptAsync(offer.GetProperty("callSid").GetString()!);
        h.Clock.Advance(TimeSpan.FromSeconds(95));
        using var ended = await agent.EndCallAsync(call.CallSid);
        using var wrapped = await agent.WrapUpAsync(call.CallSid);
        await h.Server.Services.GetRequiredService<MetricsWorker>().RunOnceAsync(CancellationToken.None);

        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(h.Redirects().Single().Twiml, Does.Contain($">call-{call.CallSid}</Conference>"));
        Assert.That(h.DialledInto(call.CallSid), Is.EqualTo(new[] { $"client:agent-{agent.WorkNumber}" }));
        var types = (await h.EventsOfAsync(call.CallSid)).Select(e => e.Type).ToList();
        Assert.That(types, Is.SupersetOf(new[] { "call.incoming", "ivr.queued", "acd.queued", "acd.offered", "acd.answered", "acd.completed", "agent.wrap_up" }));

        await using var scope = h.Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var queued = await db.CallEvents.AsNoTracking().SingleAsync(e => e.CallSid == call.CallSid && e.Type == "acd.queued");
        var interval = new DateTimeOffset(queued.OccurredAt.UtcTicks - queued.OccurredAt.UtcTicks % TimeSpan.FromMinutes(15).Ticks, TimeSpan.Zero);
        var queueRow = await db.QueueIntervalRollups.AsNoTracking().SingleAsync(r => r.Queue == "general" && r.IntervalStart == interval && r.PolicyVersion == 1);
        var agentRow = await db.AgentIntervalRollups.AsNoTracking().SingleAsync(r => r.Agent == agent.WorkNumber);
        Assert.That(queueRow.Answered, Is.GreaterThanOrEqualTo(1));
        Assert.That(agentRow.Answered, Is.EqualTo(1));
        Assert.That(agentRow.TalkSeconds, Is.EqualTo(95).Within(0.001));
        Assert.That(agentRow.MarkedResolved, Is.EqualTo(1));
        var chain = await CallEventChainAudit.VerifyAsync(scope.ServiceProvider.GetRequiredService<Npgsql.NpgsqlDataSource>(), CancellationToken.None);
        Assert.That(chain.FirstViolation, Is.Null);
    }
}
