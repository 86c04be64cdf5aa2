using CallCenter.Core.Routing;
using static CallCenter.Core.Tests.Routing.Queues;

namespace CallCenter.Core.Tests.Routing;

/// <summary>An agent holds one call, or up to N text requests (per text queue, else global), never both.</summary>
public sealed class TextCapacityTests
{
    private static QueueOptions Sms(int? capacity = null) => Queue("sms", ("sms", 1)) with { Media = QueueMedia.Text, TextCapacity = capacity, WrapUpTime = TimeSpan.Zero };

    private static QueueOptions Email(int? capacity = null) => Queue("email", ("email", 1)) with { Media = QueueMedia.Text, TextCapacity = capacity, WrapUpTime = TimeSpan.Zero };

    private static AcdHarness Centre(int globalCapacity, params QueueOptions[] queues) =>
        new(new AcdOptions { Queues = queues, TextCapacity = globalCapacity });

    private static string[] TextsOf(AcdHarness acd, string agentId) => [.. acd.Engine.FindAgent(agentId)!.Texts];

    [Test]
    public void An_agent_takes_up_to_the_global_number_of_texts_and_the_next_one_waits()
    {
        var acd = Centre(3, General, Sms());
        acd.Login("alice", ("sms", 1), ("cards", 1));

        var offers = new[] { "t1", "t2", "t3", "t4" }.SelectMany(t => acd.Call(t, "sms").Pairs()).ToList();

        Assert.That(offers, Is.EqualTo(new[] { ("t1", "alice"), ("t2", "alice"), ("t3", "alice") }));
        Assert.That(acd.StateOf("alice"), Is.EqualTo(AgentState.OnText));
        Assert.That(TextsOf(acd, "alice"), Is.EqualTo(new[] { "t1", "t2", "t3" }));
        Assert.That(acd.Engine.FindCall("t4")!.State, Is.EqualTo(CallState.Waiting));
    }

    [Test]
    public void A_queue_capacity_overrides_the_global_one_and_counts_texts_of_every_channel()
    {
        var acd = Centre(3, Sms(capacity: 1), Email());
        acd.Login("alice", ("sms", 1), ("email", 1));

        acd.Call("e1", "email");
        var sms = acd.Call("s1", "sms");
        var email = acd.Call("e2", "email");

        // Holding one e-mail already fills the SMS queue's capacity of one; the e-mail queue allows three.
        Assert.That(sms.Offers, Is.Empty);
        Assert.That(email.Pairs(), Is.EqualTo(new[] { ("e2", "alice") }));
    }

    [Test]
    public void An_agent_on_texts_gets_no_call_and_an_agent_on_a_call_gets_no_text()
    {
        var acd = Centre(3, General, Sms());
        acd.Login("texter", ("sms", 1), ("cards", 1));
        acd.Call("t1", "sms");
        acd.Login("talker", ("sms", 1), ("cards", 1));
        acd.Call("c1");
        acd.Engine.Accept("talker", "c1", acd.Now);

        var call = acd.Call("c2");
        // The texter has room for two more texts; the talker, on a call, gets none.
        var text = acd.Call("t2", "sms");
        acd.Login("third", ("cards", 1));

        Assert.That(call.Offers, Is.Empty);
        Assert.That(text.Pairs(), Is.EqualTo(new[] { ("t2", "texter") }));
        Assert.That(acd.Engine.FindCall("c2")!.AgentId, Is.EqualTo("third"));
        Assert.That(acd.StateOf("talker"), Is.EqualTo(AgentState.OnCall));
    }

    [Test]
    public void A_text_goes_to_the_agent_on_texts_with_fewest_before_an_idle_agent_is_taken_away_from_calls()
    {
        var acd = Centre(3, General, Sms());
        acd.Login("busy", ("sms", 1));
        var filled = new[] { "t1", "t2", "t3" }.SelectMany(t => acd.Call(t, "sms").Pairs()).ToList();
        acd.Login("light", ("sms", 1), ("cards", 1));
        // "busy" is full: the idle "light" takes t4.
        acd.Call("t4", "sms");
        acd.Login("idle", ("sms", 1), ("cards", 1));

        var next = acd.Call("t5", "sms");

        Assert.That(filled.Select(p => p.AgentId), Is.All.EqualTo("busy"));
        Assert.That(next.Pairs(), Is.EqualTo(new[] { ("t5", "light") }));
        Assert.That(acd.StateOf("idle"), Is.EqualTo(AgentState.Available));
    }

    [Test]
    public void Answering_one_text_frees_room_for_the_next_waiting_one_without_wrap_up()
    {
        var acd = Centre(2, Sms() with { WrapUpTime = TimeSpan.FromSeconds(30) });
        acd.Login("alice", ("sms", 1));
        acd.Call("t1", "sms");
        acd.Call("t2", "sms");
        acd.Call("t3", "sms");
        acd.Engine.Accept("alice", "t1", acd.Now);
        acd.Engine.Accept("alice", "t2", acd.Now);
        acd.AdvanceSeconds(60);

        var ended = acd.Engine.EndCall("alice", "t1", acd.Now);

        Assert.That(ended.Pairs(), Is.EqualTo(new[] { ("t3", "alice") }));
        Assert.That(ended.Single(CallEventKind.Completed).CallId, Is.EqualTo("t1"));
        Assert.That(acd.StateOf("alice"), Is.EqualTo(AgentState.OnText));
        Assert.That(TextsOf(acd, "alice"), Is.EqualTo(new[] { "t2", "t3" }));
        Assert.That(acd.Store.MeanHandleTime(0), Is.EqualTo(TimeSpan.FromSeconds(60)));
    }

    [Test]
    public void The_last_text_answered_starts_wrap_up_and_then_the_agent_can_take_a_call()
    {
        var acd = Centre(2, General, Sms() with { WrapUpTime = TimeSpan.FromSeconds(30) });
        acd.Login("alice", ("sms", 1), ("cards", 1));
        acd.Call("t1", "sms");
        acd.Engine.Accept("alice", "t1", acd.Now);
        acd.Call("c1");

        var ended = acd.Engine.EndCall("alice", "t1", acd.Now);
        var afterWrapUp = acd.AdvanceSeconds(30);

        Assert.That(ended.AgentEvents.Select(e => (e.From, e.To)), Is.EqualTo(new[] { (AgentState.OnText, AgentState.WrapUp) }));
        Assert.That(afterWrapUp.Pairs(), Is.EqualTo(new[] { ("c1", "alice") }));
    }

    [Test]
    public void A_text_offer_not_accepted_in_time_goes_back_to_the_head_and_the_agent_finishes_the_others_on_a_break()
    {
        var acd = Centre(3, Sms() with { RingTimeout = TimeSpan.FromSeconds(60) });
        acd.Login("alice", ("sms", 1));
        acd.Call("t1", "sms");
        acd.Engine.Accept("alice", "t1", acd.Now);
        acd.AdvanceSeconds(10);
        acd.Call("t2", "sms");

        acd.AdvanceSeconds(59);
        Assert.That(acd.Engine.FindCall("t2")!.State, Is.EqualTo(CallState.Offered));
        var timedOut = acd.AdvanceSeconds(1);
        acd.Login("bob", ("sms", 1));

        Assert.That(timedOut.Single(CallEventKind.Requeued).CallId, Is.EqualTo("t2"));
        Assert.That(acd.Engine.FindAgent("alice")!.State, Is.EqualTo(AgentState.Break));
        Assert.That(TextsOf(acd, "alice"), Is.EqualTo(new[] { "t1" }));
        Assert.That(acd.Engine.FindCall("t2")!.AgentId, Is.EqualTo("bob"));

        // The held text can still be answered on the break, and ending the break brings back text work, not calls.
        acd.Engine.EndCall("alice", "t1", acd.Now);
        Assert.That(TextsOf(acd, "alice"), Is.Empty);
        Assert.That(acd.StateOf("alice"), Is.EqualTo(AgentState.Break));
    }

    [Test]
    public void Ending_a_break_with_texts_in_hand_returns_to_text_work_and_takes_waiting_texts()
    {
        var acd = Centre(2, General, Sms());
        acd.Login("alice", ("sms", 1), ("cards", 1));
        acd.Call("t1", "sms");
        acd.Engine.Accept("alice", "t1", acd.Now);
        acd.Engine.StartBreak("alice", "lunch", acd.Now);
        acd.Call("t2", "sms");
        acd.Call("c1");

        var back = acd.Engine.EndBreak("alice", acd.Now);

        Assert.That(back.Pairs(), Is.EqualTo(new[] { ("t2", "alice") }));
        Assert.That(acd.StateOf("alice"), Is.EqualTo(AgentState.OnText));
        Assert.That(acd.Engine.FindCall("c1")!.State, Is.EqualTo(CallState.Waiting));
    }

    [Test]
    public void An_agent_holding_texts_cannot_log_out_and_cannot_answer_a_text_someone_else_holds()
    {
        var acd = Centre(2, Sms());
        acd.Login("alice", ("sms", 1));
        acd.Login("bob", ("sms", 1));
        acd.Call("t1", "sms");
        var holder = acd.Engine.FindCall("t1")!.AgentId!;
        var other = holder == "alice" ? "bob" : "alice";
        acd.Engine.StartBreak(holder, "rest", acd.Now);

        Assert.Throws<IllegalTransitionException>(() => acd.Engine.Logout(holder, acd.Now));
        Assert.Throws<IllegalTransitionException>(() => acd.Engine.Accept(other, "t1", acd.Now));
        Assert.Throws<IllegalTransitionException>(() => acd.Engine.EndCall(holder, "t1", acd.Now));
    }

    [Test]
    public void A_withdrawn_offered_text_frees_the_agent_for_calls_again()
    {
        var acd = Centre(2, General, Sms());
        acd.Login("alice", ("sms", 1), ("cards", 1));
        acd.Call("t1", "sms");
        acd.Call("c1");

        var withdrawn = acd.Engine.Abandon("t1", acd.Now);

        Assert.That(withdrawn.Pairs(), Is.EqualTo(new[] { ("c1", "alice") }));
        Assert.That(acd.StateOf("alice"), Is.EqualTo(AgentState.Reserved));
    }

    [Test]
    public void A_text_queue_may_not_overflow_into_a_phone_queue()
    {
        var errors = AcdEngine.Validate(new AcdOptions
        {
            Queues = [General, Sms() with { MaxQueueSize = 5, MaxQueueSizeOutcome = QueueLimitOutcome.Overflow, OverflowQueue = "general" }],
        });

        Assert.That(errors, Has.Some.Contains("other media"));
    }
}
