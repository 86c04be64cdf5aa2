using CallCenter.Core.Routing;
using static CallCenter.Core.Tests.Routing.Queues;

namespace CallCenter.Core.Tests.Routing;

public sealed class AbandonTests
{
    [Test]
    public void Abandoned_waiting_call_is_removed_at_once_and_reported_with_its_wait()
    {
        var acd = new AcdHarness(General);
        acd.Call("c1");
        acd.Call("c2");
        acd.AdvanceSeconds(42);

        var decisions = acd.Engine.Abandon("c1", acd.Now);

        var abandoned = decisions.Single(CallEventKind.Abandoned);
        Assert.That((abandoned.CallId, abandoned.Waited), Is.EqualTo(("c1", TimeSpan.FromSeconds(42))));
        Assert.That(acd.Engine.FindCall("c1"), Is.Null);
        Assert.That(acd.Engine.Estimate("c2")!.Position, Is.EqualTo(1));
        Assert.That(acd.Login("alice", ("cards", 1)).Pairs(), Is.EqualTo(new[] { ("c2", "alice") }));
    }

    [Test]
    public void Call_arriving_and_abandoning_in_the_same_tick_is_reported_and_never_offered()
    {
        var acd = new AcdHarness(General with { MaxWait = TimeSpan.FromMinutes(1) });
        acd.Call("c1");

        var abandoned = acd.Engine.Abandon("c1", acd.Now);
        var login = acd.Login("alice", ("cards", 1));
        var later = acd.Advance(TimeSpan.FromMinutes(2));

        Assert.That(abandoned.Single(CallEventKind.Abandoned).Waited, Is.EqualTo(TimeSpan.Zero));
        Assert.That(login.Offers, Is.Empty);
        Assert.That(later.CallEvents, Is.Empty, "its max-wait timer is dead");
    }

    [Test]
    public void Call_abandoned_while_ringing_frees_the_agent_for_the_next_call_without_losing_its_place()
    {
        var acd = new AcdHarness(General);
        acd.Login("alice", ("cards", 1));
        acd.AdvanceSeconds(10);
        acd.Login("bob", ("cards", 1));
        acd.Call("c1");
        acd.Call("c2");
        acd.Call("c3");

        var decisions = acd.Engine.Abandon("c1", acd.Now);

        Assert.That(decisions.AgentEvents[0].To, Is.EqualTo(AgentState.Available));
        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("c3", "alice") }));
        acd.Engine.Accept("alice", "c3", acd.Now);
        Assert.That(acd.AdvanceSeconds(60).AgentEvents.Any(e => e.AgentId == "alice" && e.To == AgentState.Break), Is.False, "the stale ring timer is ignored");
    }

    [Test]
    public void Abandoning_an_unknown_or_already_removed_call_changes_nothing()
    {
        var acd = new AcdHarness(General);
        acd.Call("c1");
        acd.Engine.Abandon("c1", acd.Now);

        var again = acd.Engine.Abandon("c1", acd.Now);

        Assert.That(again.CallEvents, Is.Empty);
    }
}
