using CallCenter.Core.Routing;
using static CallCenter.Core.Tests.Routing.Queues;

namespace CallCenter.Core.Tests.Routing;

public sealed class EstimateTests
{
    [Test]
    public void Estimate_is_silent_without_a_staffed_eligible_agent()
    {
        var acd = new AcdHarness(General);
        acd.Login("loans-only", ("loans", 5));
        acd.Call("c1");

        var estimate = acd.Engine.Estimate("c1");

        Assert.That(estimate, Is.EqualTo(new WaitEstimate(1, null, 0)));
    }

    [Test]
    public void Estimate_is_silent_without_handle_time_history()
    {
        var acd = new AcdHarness(General);
        acd.Login("alice", ("cards", 1));
        acd.Call("c1");
        acd.Engine.Accept("alice", "c1", acd.Now);
        acd.Call("c2");

        var estimate = acd.Engine.Estimate("c2");

        Assert.That(estimate, Is.EqualTo(new WaitEstimate(1, null, 1)));
    }

    [Test]
    public void Agents_on_break_do_not_count_as_staffed()
    {
        var acd = new AcdHarness(General);
        acd.Login("alice", ("cards", 1));
        acd.Engine.StartBreak("alice", "lunch", acd.Now);
        acd.Call("c1");

        Assert.That(acd.Engine.Estimate("c1")!.EstimatedWait, Is.Null);
    }

    [Test]
    public void Estimate_uses_position_recent_handle_time_and_staffed_eligible_agents()
    {
        var acd = new AcdHarness(General with { WrapUpTime = TimeSpan.FromSeconds(30) });
        acd.Login("alice", ("cards", 1));
        acd.Login("bob", ("cards", 1));
        acd.Call("h1");
        acd.Call("h2");
        // Handle times: 4 min + 30 s wrap-up, and 2 min + 30 s wrap-up: mean 3.5 min.
        acd.Engine.Accept("alice", "h1", acd.Now);
        acd.Engine.Accept("bob", "h2", acd.Now);
        acd.Advance(TimeSpan.FromMinutes(2));
        acd.Engine.EndCall("bob", "h2", acd.Now);
        acd.Advance(TimeSpan.FromMinutes(2));
        acd.Engine.EndCall("alice", "h1", acd.Now);
        acd.Engine.StartBreak("bob", "coffee", acd.Now);
        acd.AdvanceSeconds(30);
        acd.Login("carol", ("cards", 1));
        acd.Call("busy-1");
        acd.Call("busy-2");
        acd.Engine.Accept("alice", "busy-1", acd.Now);
        acd.Engine.Accept("carol", "busy-2", acd.Now);
        acd.Call("w1");
        acd.Call("w2");
        acd.Call("w3");

        var estimate = acd.Engine.Estimate("w3");

        // Third in line, two staffed agents (bob is on break): 3 × 3.5 min / 2.
        Assert.That(estimate, Is.EqualTo(new WaitEstimate(3, TimeSpan.FromMinutes(5.25), 2)));
    }

    [Test]
    public void Estimate_of_a_call_that_is_not_waiting_is_null()
    {
        var acd = new AcdHarness(General);
        acd.Login("alice", ("cards", 1));
        acd.Call("c1");

        Assert.That(acd.Engine.Estimate("c1"), Is.Null);
        Assert.That(acd.Engine.Estimate("unknown"), Is.Null);
    }
}
