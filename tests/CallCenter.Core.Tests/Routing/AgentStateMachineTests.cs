using CallCenter.Core.Routing;
using static CallCenter.Core.Tests.Routing.Queues;

namespace CallCenter.Core.Tests.Routing;

public sealed class AgentStateMachineTests
{
    [Test]
    public void Full_call_cycle_records_every_transition_with_who_why_and_when()
    {
        var acd = new AcdHarness(General with { WrapUpTime = TimeSpan.FromSeconds(45) });
        var events = new List<AgentTransition>();
        events.AddRange(acd.Login("alice", ("cards", 1)).AgentEvents);
        events.AddRange(acd.Call("c1").AgentEvents);
        acd.AdvanceSeconds(5);
        events.AddRange(acd.Engine.Accept("alice", "c1", acd.Now).AgentEvents);
        acd.AdvanceSeconds(120);
        events.AddRange(acd.Engine.EndCall("alice", "c1", acd.Now).AgentEvents);
        events.AddRange(acd.AdvanceSeconds(44).AgentEvents);
        events.AddRange(acd.AdvanceSeconds(1).AgentEvents);

        Assert.That(events.Select(e => (e.AgentId, e.From, e.To, e.At - AcdHarness.T0)), Is.EqualTo(new[]
        {
            ("alice", AgentState.Offline, AgentState.Available, TimeSpan.Zero),
            ("alice", AgentState.Available, AgentState.Reserved, TimeSpan.Zero),
            ("alice", AgentState.Reserved, AgentState.OnCall, TimeSpan.FromSeconds(5)),
            ("alice", AgentState.OnCall, AgentState.WrapUp, TimeSpan.FromSeconds(125)),
            ("alice", AgentState.WrapUp, AgentState.Available, TimeSpan.FromSeconds(170)),
        }));
        Assert.That(events.Select(e => e.Reason), Has.None.Empty);
    }

    [Test]
    public void Wrap_up_time_is_taken_from_the_queue_of_the_call()
    {
        var acd = new AcdHarness(Queue("short", ("cards", 1)) with { WrapUpTime = TimeSpan.FromSeconds(10) }, Queue("long", ("loans", 1)) with { WrapUpTime = TimeSpan.FromSeconds(60) });
        acd.Login("alice", ("loans", 1));
        acd.Call("c1", "long");
        acd.Handle("alice", "c1", TimeSpan.FromMinutes(1));

        acd.AdvanceSeconds(59);
        Assert.That(acd.StateOf("alice"), Is.EqualTo(AgentState.WrapUp));
        acd.AdvanceSeconds(1);
        Assert.That(acd.StateOf("alice"), Is.EqualTo(AgentState.Available));
    }

    [Test]
    public void Agent_finishing_wrap_up_early_gets_the_next_waiting_call()
    {
        var acd = new AcdHarness(General);
        acd.Login("alice", ("cards", 1));
        acd.Call("c1");
        acd.Call("c2");
        acd.Handle("alice", "c1", TimeSpan.FromMinutes(1));

        var decisions = acd.Engine.CompleteWrapUp("alice", acd.Now);

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("c2", "alice") }));
    }

    [Test]
    public void Ring_timeout_returns_the_call_to_the_head_with_its_original_entry_time_and_puts_the_agent_on_missed_break()
    {
        var acd = new AcdHarness(General with { RingTimeout = TimeSpan.FromSeconds(20) });
        acd.Login("alice", ("cards", 1));
        acd.Call("c1");
        acd.AdvanceSeconds(5);
        acd.Call("c2", tier: CustomerTier.PrivateBanking);

        var timeout = acd.AdvanceSeconds(15);

        var transition = timeout.AgentEvents.Single();
        Assert.That((transition.From, transition.To, transition.BreakReason), Is.EqualTo((AgentState.Reserved, AgentState.Break, (string?)"missed")));
        var call = acd.Engine.FindCall("c1")!;
        Assert.That((call.State, call.EnteredAt, call.AtHead), Is.EqualTo((CallState.Waiting, AcdHarness.T0, true)));
        Assert.That(acd.Engine.Estimate("c1")!.Position, Is.EqualTo(1));
        Assert.That(acd.Login("bob", ("cards", 1)).Pairs(), Is.EqualTo(new[] { ("c1", "bob") }), "ahead of the later private-banking call");
    }

    [Test]
    public void Ring_timeout_does_not_fire_before_its_deadline_or_after_an_answer()
    {
        var acd = new AcdHarness(General with { RingTimeout = TimeSpan.FromSeconds(20) });
        acd.Login("alice", ("cards", 1));
        acd.Call("c1");

        Assert.That(acd.AdvanceSeconds(19).AgentEvents, Is.Empty);
        acd.Engine.Accept("alice", "c1", acd.Now);
        Assert.That(acd.AdvanceSeconds(60).AgentEvents, Is.Empty);
        Assert.That(acd.StateOf("alice"), Is.EqualTo(AgentState.OnCall));
    }

    [Test]
    public void Ring_no_answer_reported_by_the_host_offers_the_call_to_the_next_idle_agent()
    {
        var acd = new AcdHarness(General);
        acd.Login("alice", ("cards", 1));
        acd.Call("c1");
        acd.Login("bob", ("cards", 1));

        var decisions = acd.Engine.RingNoAnswer("alice", "c1", acd.Now);

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("c1", "bob") }));
        Assert.That(acd.Engine.FindAgent("alice")!.BreakReason, Is.EqualTo("missed"));
    }

    [Test]
    public void Declined_call_returns_to_the_head_and_the_agent_goes_on_break()
    {
        var acd = new AcdHarness(General);
        acd.Login("alice", ("cards", 1));
        acd.Call("c1");

        acd.Engine.Decline("alice", "c1", acd.Now);

        Assert.That(acd.Engine.FindAgent("alice")!.BreakReason, Is.EqualTo("declined"));
        Assert.That(acd.Engine.FindCall("c1")!.AtHead, Is.True);
    }

    [Test]
    public void Break_is_allowed_from_available_and_straight_after_wrap_up()
    {
        var acd = new AcdHarness(General);
        acd.Login("alice", ("cards", 1));
        acd.Login("bob", ("cards", 1));
        acd.Engine.StartBreak("bob", "training", acd.Now);
        acd.Call("c1");
        acd.Handle("alice", "c1", TimeSpan.FromMinutes(2));

        var decisions = acd.Engine.StartBreak("alice", "lunch", acd.Now);

        var transition = decisions.AgentEvents.Single();
        Assert.That((transition.From, transition.To, transition.BreakReason), Is.EqualTo((AgentState.WrapUp, AgentState.Break, (string?)"lunch")));
        Assert.That(acd.Engine.FindAgent("bob")!.BreakReason, Is.EqualTo("training"));
    }

    [Test]
    public void Illegal_transitions_are_refused_with_a_typed_exception_and_change_nothing()
    {
        var acd = new AcdHarness(General);
        acd.Login("alice", ("cards", 1));
        acd.Call("c1");
        acd.Engine.Accept("alice", "c1", acd.Now);
        var before = acd.Engine.FindAgent("alice");

        Assert.Multiple(() =>
        {
            Assert.That(() => acd.Engine.Logout("alice", acd.Now), Throws.TypeOf<IllegalTransitionException>());
            Assert.That(() => acd.Engine.StartBreak("alice", "lunch", acd.Now), Throws.TypeOf<IllegalTransitionException>());
            Assert.That(() => acd.Engine.Accept("alice", "c1", acd.Now), Throws.TypeOf<IllegalTransitionException>());
            Assert.That(() => acd.Engine.CompleteWrapUp("alice", acd.Now), Throws.TypeOf<IllegalTransitionException>());
            Assert.That(() => acd.Engine.EndBreak("alice", acd.Now), Throws.TypeOf<IllegalTransitionException>());
            Assert.That(() => acd.Login("alice", ("cards", 1)), Throws.TypeOf<IllegalTransitionException>());
            Assert.That(() => acd.Engine.EndCall("alice", "other", acd.Now), Throws.TypeOf<IllegalTransitionException>());
            Assert.That(() => acd.Engine.Accept("nobody", "c1", acd.Now), Throws.TypeOf<IllegalTransitionException>());
            Assert.That(() => acd.Engine.Abandon("c1", acd.Now), Throws.TypeOf<IllegalTransitionException>());
        });
        Assert.That(acd.Engine.FindAgent("alice"), Is.SameAs(before));
    }

    [Test]
    public void Accepting_a_call_offered_to_someone_else_is_refused()
    {
        var acd = new AcdHarness(General);
        acd.Login("alice", ("cards", 1));
        acd.Login("bob", ("cards", 1));
        acd.Call("c1");
        acd.Call("c2");

        var offeredToBob = acd.Engine.FindAgent("bob")!.CallId!;
        var ex = Assert.Throws<IllegalTransitionException>(() => acd.Engine.Accept("alice", offeredToBob, acd.Now));

        Assert.That(ex.SubjectId, Is.EqualTo("alice"));
    }

    [Test]
    public void Logged_out_agent_can_log_in_again_with_new_skills()
    {
        var acd = new AcdHarness(General, Queue("loans", ("loans", 1)));
        acd.Login("alice", ("cards", 1));
        acd.Engine.Logout("alice", acd.Now);
        acd.Call("loan-call", "loans");

        var decisions = acd.Login("alice", ("loans", 2));

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("loan-call", "alice") }));
    }
}
