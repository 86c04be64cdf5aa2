using CallCenter.Core.Routing;
using static CallCenter.Core.Tests.Routing.Queues;

namespace CallCenter.Core.Tests.Routing;

/// <summary>Agents joining and leaving a connected call: warm and cold transfers between agents, and conference parties.</summary>
public sealed class TransferTests
{
    private static AcdHarness Connected(out string owner, out string target)
    {
        var acd = new AcdHarness(General with { WrapUpTime = TimeSpan.FromSeconds(30) });
        (owner, target) = ("alice", "bob");
        acd.Login(owner, ("cards", 1));
        acd.Call("c1");
        acd.Engine.Accept(owner, "c1", acd.Now);
        acd.Login(target, ("cards", 1));
        return acd;
    }

    [Test]
    public void A_transfer_target_joins_the_call_and_takes_it_over_when_the_first_agent_leaves()
    {
        var acd = Connected(out var alice, out var bob);
        acd.AdvanceSeconds(60);

        var joined = acd.Engine.JoinCall(bob, "c1", acd.Now);
        acd.AdvanceSeconds(20);
        var left = acd.Engine.LeaveCall(alice, "c1", handTo: bob, acd.Now);

        Assert.That(joined.Single(CallEventKind.Joined).AgentId, Is.EqualTo(bob));
        Assert.That(left.Single(CallEventKind.Left), Has.Property(nameof(CallEvent.AgentId)).EqualTo(alice).And.Property(nameof(CallEvent.TargetAgentId)).EqualTo(bob));
        Assert.That(acd.StateOf(alice), Is.EqualTo(AgentState.WrapUp));
        Assert.That(acd.StateOf(bob), Is.EqualTo(AgentState.OnCall));
        Assert.That(acd.Engine.FindCall("c1"), Has.Property(nameof(AcdCall.AgentId)).EqualTo(bob).And.Property(nameof(AcdCall.Guests)).Empty);
        Assert.That(acd.Engine.FindAgent(bob)!.AnsweredAt, Is.EqualTo(AcdHarness.T0 + TimeSpan.FromSeconds(60)), "the new agent's talk time starts when they joined");
    }

    [Test]
    public void The_caller_hanging_up_ends_the_call_for_every_agent_on_it()
    {
        var acd = Connected(out var alice, out var bob);
        acd.Engine.JoinCall(bob, "c1", acd.Now);

        var ended = acd.Engine.EndCall(alice, "c1", acd.Now);

        Assert.That(ended.AgentEvents.Select(t => (t.AgentId, t.To)), Is.EquivalentTo(new[] { (alice, AgentState.WrapUp), (bob, AgentState.WrapUp) }));
        Assert.That(acd.Engine.FindCall("c1"), Is.Null);
    }

    [Test]
    public void A_busy_agent_cannot_join_and_the_only_agent_cannot_leave_without_handing_over()
    {
        var acd = Connected(out var alice, out var bob);
        acd.Engine.StartBreak(bob, "lunch", acd.Now);

        Assert.Throws<IllegalTransitionException>(() => acd.Engine.JoinCall(bob, "c1", acd.Now));
        Assert.Throws<IllegalTransitionException>(() => acd.Engine.LeaveCall(alice, "c1", handTo: null, acd.Now));
        Assert.Throws<IllegalTransitionException>(() => acd.Engine.LeaveCall(alice, "c1", handTo: bob, acd.Now), "bob is not on the call");
        Assert.That(acd.StateOf(alice), Is.EqualTo(AgentState.OnCall), "refusals change nothing");
        Assert.That(acd.StateOf(bob), Is.EqualTo(AgentState.Break));
    }

    [Test]
    public void A_conference_party_leaves_and_the_owner_keeps_the_call()
    {
        var acd = Connected(out var alice, out var bob);
        acd.Engine.JoinCall(bob, "c1", acd.Now);

        acd.Engine.LeaveCall(bob, "c1", handTo: null, acd.Now);

        Assert.That(acd.StateOf(bob), Is.EqualTo(AgentState.WrapUp));
        Assert.That(acd.Engine.FindCall("c1"), Has.Property(nameof(AcdCall.AgentId)).EqualTo(alice).And.Property(nameof(AcdCall.Guests)).Empty);
    }

    [Test]
    public void A_call_transferred_to_a_queue_keeps_its_original_entry_time_and_is_served_before_later_callers()
    {
        var acd = new AcdHarness(General, Queue("loans", ("loans", 1)));
        acd.Login("alice", ("cards", 1));
        acd.Call("c1");
        acd.Engine.Accept("alice", "c1", acd.Now);
        acd.AdvanceSeconds(30);
        acd.Call("later", "loans");
        acd.AdvanceSeconds(30);
        var entered = acd.Engine.FindCall("c1")!.EnteredAt;

        acd.Engine.EndCall("alice", "c1", acd.Now);
        acd.Engine.Enqueue(new CallRequest("c1", "loans") { EnteredAt = entered }, acd.Now);
        var offered = acd.Login("carol", ("loans", 1));

        Assert.That(offered.Pairs(), Is.EqualTo(new[] { ("c1", "carol") }), "the transferred caller is ahead of the one who called later");
        Assert.That(offered.Single(CallEventKind.Offered).Waited, Is.EqualTo(TimeSpan.FromSeconds(60)), "the wait counts from the first entry");
    }
}
