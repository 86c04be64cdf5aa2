using CallCenter.Core.Routing;
using static CallCenter.Core.Tests.Routing.Queues;

namespace CallCenter.Core.Tests.Routing;

/// <summary>An agent placing a call (an outbound project call): on it at once, offered no caller meanwhile, wrapped up after it.</summary>
public sealed class OutboundCallTests
{
    [Test]
    public void An_agent_placing_a_call_is_offered_no_caller_meanwhile_and_wraps_up_after_it()
    {
        var acd = new AcdHarness(General with { WrapUpTime = TimeSpan.FromSeconds(30) });
        acd.Login("alice", ("cards", 1));

        var placed = acd.Engine.StartOutboundCall("alice", "OB1", "general", acd.Now);
        var caller = acd.Call("c1");
        acd.AdvanceSeconds(90);
        var ended = acd.Engine.EndCall("alice", "OB1", acd.Now);
        var afterWrapUp = acd.AdvanceSeconds(30);

        Assert.That(placed.AgentEvents.Select(t => (t.From, t.To, t.CallId)), Is.EqualTo(new[] { (AgentState.Available, AgentState.OnCall, (string?)"OB1") }));
        Assert.That(placed.CallEvents, Is.Empty, "the placed call was never queued, offered or answered: no queue figures");
        Assert.That(caller.Offers, Is.Empty, "the caller waits while the agent is on the placed call");
        Assert.That(ended.AgentEvents.Select(t => t.To), Does.Contain(AgentState.WrapUp));
        Assert.That(acd.Engine.FindCall("OB1"), Is.Null);
        Assert.That(afterWrapUp.Pairs(), Is.EqualTo(new[] { ("c1", "alice") }), "after the wrap-up the waiting caller is offered to her");
        Assert.That(acd.Store.MeanHandleTime(0), Is.Null, "the placed call adds nothing to the queue's handle times");
    }

    [Test]
    public void Only_an_available_agent_places_a_call_and_a_call_id_is_placed_once()
    {
        var acd = new AcdHarness(General);
        acd.Login("alice", ("cards", 1));
        acd.Login("bob", ("cards", 1));
        acd.Engine.StartBreak("bob", "lunch", acd.Now);
        acd.Engine.StartOutboundCall("alice", "OB1", "general", acd.Now);

        Assert.Throws<IllegalTransitionException>(() => acd.Engine.StartOutboundCall("bob", "OB2", "general", acd.Now), "on a break");
        Assert.Throws<IllegalTransitionException>(() => acd.Engine.StartOutboundCall("carol", "OB3", "general", acd.Now), "not logged in");
        Assert.Throws<IllegalTransitionException>(() => acd.Engine.StartOutboundCall("alice", "OB4", "general", acd.Now), "already on a call");
        Assert.Throws<ArgumentException>(() => acd.Engine.StartOutboundCall("bob", "OB5", "nowhere", acd.Now));
        Assert.That(acd.StateOf("bob"), Is.EqualTo(AgentState.Break), "refusals change nothing");
        Assert.That(acd.Engine.FindCall("OB2"), Is.Null);
    }
}
