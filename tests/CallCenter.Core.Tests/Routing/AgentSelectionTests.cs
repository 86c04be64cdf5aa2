using CallCenter.Core.Routing;
using static CallCenter.Core.Tests.Routing.Queues;

namespace CallCenter.Core.Tests.Routing;

public sealed class AgentSelectionTests
{
    [Test]
    public void Routes_to_longest_idle_agent_with_required_skill()
    {
        var acd = new AcdHarness(General);
        acd.Login("no-skill", ("loans", 5));
        acd.AdvanceSeconds(1);
        acd.Login("first", ("cards", 1));
        acd.AdvanceSeconds(1);
        acd.Login("second", ("cards", 3));

        var decisions = acd.Call("c1");

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("c1", "first") }));
    }

    [Test]
    public void Agent_below_minimum_proficiency_is_not_offered_the_call()
    {
        var acd = new AcdHarness(Queue("fraud", ("fraud", 4)));
        acd.Login("junior", ("fraud", 3));

        var decisions = acd.Call("c1", "fraud");

        Assert.That(decisions.Offers, Is.Empty);
        Assert.That(acd.Engine.FindCall("c1")?.State, Is.EqualTo(CallState.Waiting));
    }

    [Test]
    public void Every_required_skill_must_be_held()
    {
        var acd = new AcdHarness(Queue("mortgage-en", ("mortgage", 2), ("english", 3)));
        acd.Login("only-mortgage", ("mortgage", 5));
        acd.AdvanceSeconds(1);
        acd.Login("both", ("mortgage", 2), ("english", 3));

        var decisions = acd.Call("c1", "mortgage-en");

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("c1", "both") }));
    }

    [Test]
    public void Most_skilled_policy_prefers_the_higher_proficiency_over_the_longer_idle()
    {
        var acd = new AcdHarness(Queue("general", ("cards", 1)) with { AgentSelection = AgentSelectionPolicy.MostSkilled });
        acd.Login("idle-longest", ("cards", 2));
        acd.AdvanceSeconds(5);
        acd.Login("expert", ("cards", 5));

        var decisions = acd.Call("c1");

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("c1", "expert") }));
    }

    [Test]
    public void Least_calls_today_policy_prefers_the_agent_with_fewer_calls()
    {
        var acd = new AcdHarness(Queue("general", ("cards", 1)) with { AgentSelection = AgentSelectionPolicy.LeastCallsToday, WrapUpTime = TimeSpan.Zero });
        acd.Login("busy", ("cards", 1));
        acd.Call("warm-up");
        acd.Handle("busy", "warm-up", TimeSpan.FromMinutes(1));
        acd.AdvanceSeconds(1);
        acd.Login("fresh", ("cards", 1));
        acd.AdvanceSeconds(1);

        // "busy" has been idle longer but already took a call today.
        var decisions = acd.Call("c1");

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("c1", "fresh") }));
    }

    [Test]
    public void Agent_becoming_available_takes_the_best_waiting_call_across_the_queues_it_serves()
    {
        var acd = new AcdHarness(Queue("cards", ("cards", 1)), Queue("loans", ("loans", 1)));
        acd.Call("loan-early", "loans");
        acd.AdvanceSeconds(10);
        acd.Call("card-late", "cards");
        acd.AdvanceSeconds(10);

        var decisions = acd.Login("both", ("cards", 1), ("loans", 1));

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("loan-early", "both") }));
    }

    [Test]
    public void Agent_becoming_available_looks_only_at_queues_it_can_serve()
    {
        var queues = Enumerable.Range(0, 200).Select(i => Queue($"other-{i}", ($"skill-{i}", 1))).Append(Queue("cards", ("cards", 1))).ToArray();
        var acd = new AcdHarness(queues);
        for (var i = 0; i < 200; i++)
            acd.Call($"c{i}", $"other-{i}");
        var before = acd.Engine.Counters.TiersPeeked;

        var decisions = acd.Login("cards-only", ("cards", 5));

        Assert.That(decisions.Offers, Is.Empty);
        Assert.That(acd.Engine.Counters.TiersPeeked - before, Is.EqualTo(1));
    }

    [Test]
    public void Arriving_call_looks_only_at_idle_agents_holding_its_rarest_skill()
    {
        var acd = new AcdHarness(Queue("fraud-fr", ("fraud", 1), ("french", 1)));
        for (var i = 0; i < 100; i++)
            acd.Login($"fraud-{i}", ("fraud", 3));
        acd.Login("french-fraud", ("fraud", 3), ("french", 2));
        var before = acd.Engine.Counters.AgentsExamined;

        var decisions = acd.Call("c1", "fraud-fr");

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("c1", "french-fraud") }));
        Assert.That(acd.Engine.Counters.AgentsExamined - before, Is.EqualTo(1));
    }

    [Test]
    public void Agent_on_break_or_offline_is_never_offered_a_call()
    {
        var acd = new AcdHarness(General);
        acd.Login("on-break", ("cards", 5));
        acd.Engine.StartBreak("on-break", "lunch", acd.Now);
        acd.Login("gone", ("cards", 5));
        acd.Engine.Logout("gone", acd.Now);

        var decisions = acd.Call("c1");

        Assert.That(decisions.Offers, Is.Empty);
    }

    [Test]
    public void Repeat_caller_goes_to_the_last_agent_within_the_window()
    {
        var acd = new AcdHarness(Queue("general", ("cards", 1)) with { LastAgentWindow = TimeSpan.FromHours(4), WrapUpTime = TimeSpan.Zero });
        acd.Login("alice", ("cards", 1));
        acd.Call("first-call", customer: "cust-1");
        acd.Handle("alice", "first-call", TimeSpan.FromMinutes(3));
        acd.Login("bob", ("cards", 1));
        acd.Advance(TimeSpan.FromHours(1));
        acd.Engine.StartBreak("alice", "coffee", acd.Now);
        acd.Engine.EndBreak("alice", acd.Now);
        // bob has now been idle longer than alice.

        var decisions = acd.Call("second-call", customer: "cust-1");

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("second-call", "alice") }));
    }

    [Test]
    public void Repeat_caller_outside_the_window_goes_to_the_longest_idle_agent()
    {
        var acd = new AcdHarness(Queue("general", ("cards", 1)) with { LastAgentWindow = TimeSpan.FromHours(4), WrapUpTime = TimeSpan.Zero });
        acd.Login("alice", ("cards", 1));
        acd.Call("first-call", customer: "cust-1");
        acd.Handle("alice", "first-call", TimeSpan.FromMinutes(3));
        acd.Login("bob", ("cards", 1));
        acd.Advance(TimeSpan.FromHours(5));
        acd.Engine.StartBreak("alice", "coffee", acd.Now);
        acd.Engine.EndBreak("alice", acd.Now);

        var decisions = acd.Call("second-call", customer: "cust-1");

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("second-call", "bob") }));
    }

    [Test]
    public void Last_agent_preference_does_not_hold_the_call_when_that_agent_is_busy()
    {
        var acd = new AcdHarness(Queue("general", ("cards", 1)) with { LastAgentWindow = TimeSpan.FromHours(4), WrapUpTime = TimeSpan.Zero });
        acd.Login("alice", ("cards", 1));
        acd.Call("first-call", customer: "cust-1");
        acd.Handle("alice", "first-call", TimeSpan.FromMinutes(3));
        acd.Engine.StartBreak("alice", "coffee", acd.Now);
        acd.Login("bob", ("cards", 1));

        var decisions = acd.Call("second-call", customer: "cust-1");

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("second-call", "bob") }));
    }
}
