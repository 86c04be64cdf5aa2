using CallCenter.Core.Routing;
using CallCenter.Server.Routing;

namespace CallCenter.Server.Tests.Routing;

/// <summary>What only a shared store has to get right: two nodes deciding at the same time, and a node dying.</summary>
public sealed class RedisAcdStateStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    private static readonly AcdOptions Options = new()
    {
        Queues = [new QueueOptions { Name = "general", RequiredSkills = [new SkillRequirementOptions { Skill = "cards", MinLevel = 1 }] }],
    };

    private static (RedisAcdStateStore A, RedisAcdStateStore B) TwoNodes(TimeSpan? lease = null)
    {
        var prefix = RedisForTests.UniquePrefix();
        return (new RedisAcdStateStore(RedisForTests.Connection, prefix, timerLease: lease),
            new RedisAcdStateStore(RedisForTests.Connection, prefix, timerLease: lease));
    }

    private static AcdAgent Idle(string id) => new()
    {
        AgentId = id, State = AgentState.Available, Skills = [new SkillLevel(0, 1)], EligibleTiers = [0], IdleSince = T0, Version = 1,
    };

    [Test]
    public void Two_nodes_claiming_the_same_call_for_different_agents_commit_exactly_one()
    {
        var (a, b) = TwoNodes();
        a.SaveAgent(Idle("a1"));
        a.SaveAgent(Idle("a2"));
        a.SaveCall(new AcdCall { CallId = "c1", State = CallState.Waiting, Version = 1 });

        a.Begin();
        var call = a.FindCall("c1")!;
        var agent1 = a.FindAgent("a1")!;
        var claimedOnA = a.TryClaim(agent1, call, agent1 with { State = AgentState.Reserved, CallId = "c1", Version = 2 }, call with { State = CallState.Offered, AgentId = "a1", Version = 2 });
        b.Begin();
        var agent2 = b.FindAgent("a2")!;
        var claimedOnB = b.TryClaim(agent2, call, agent2 with { State = AgentState.Reserved, CallId = "c1", Version = 2 }, call with { State = CallState.Offered, AgentId = "a2", Version = 2 });
        var committedA = a.Commit();
        var committedB = b.Commit();

        Assert.That((claimedOnA, claimedOnB), Is.EqualTo((true, true)), "each node's own view allowed the claim");
        Assert.That((committedA, committedB), Is.EqualTo((true, false)), "only the first commit of the call's version wins");
        Assert.That(a.FindCall("c1")!.AgentId, Is.EqualTo("a1"));
        Assert.That(a.FindAgent("a2")!.State, Is.EqualTo(AgentState.Available));
        Assert.That(a.IdleAgents(0, 1).Select(x => x.AgentId), Is.EqualTo(new[] { "a2" }));
    }

    [Test]
    public void Two_nodes_filling_an_agents_last_text_slot_commit_exactly_one_and_the_other_text_waits()
    {
        var (a, b) = TwoNodes();
        var options = new AcdOptions
        {
            TextCapacity = 2,
            Queues = [new QueueOptions { Name = "sms", Media = QueueMedia.Text, RequiredSkills = [new SkillRequirementOptions { Skill = "sms" }] }],
        };
        var nodeA = new AcdEngine(options, a);
        var nodeB = new AcdEngine(options, b);
        nodeA.Login("a1", [new AgentSkill("sms", 1)], T0);
        nodeA.Enqueue(new CallRequest("t1", "sms"), T0);

        a.Begin();
        var onA = nodeA.Enqueue(new CallRequest("t2", "sms"), T0.AddSeconds(1));
        b.Begin();
        var onB = nodeB.Enqueue(new CallRequest("t3", "sms"), T0.AddSeconds(1));
        var committed = (a.Commit(), b.Commit());
        b.Begin();
        var retried = nodeB.Enqueue(new CallRequest("t3", "sms"), T0.AddSeconds(1));
        var committedRetry = b.Commit();

        Assert.That((onA.Offers.Count, onB.Offers.Count), Is.EqualTo((1, 1)), "each node saw one free slot");
        Assert.That(committed, Is.EqualTo((true, false)));
        Assert.That((retried.Offers.Count, committedRetry), Is.EqualTo((0, true)));
        Assert.That(nodeA.FindAgent("a1")!.Texts, Is.EqualTo(new[] { "t1", "t2" }));
        Assert.That(nodeA.FindCall("t3")!.State, Is.EqualTo(CallState.Waiting));
    }

    [Test]
    public void A_call_left_waiting_on_one_node_and_an_agent_left_idle_on_another_cannot_both_commit()
    {
        var (a, b) = TwoNodes();
        var nodeA = new AcdEngine(Options, a);
        var nodeB = new AcdEngine(Options, b);

        a.Begin();
        var enqueued = nodeA.Enqueue(new CallRequest("c1", "general"), T0);
        b.Begin();
        var loggedIn = nodeB.Login("a1", [new AgentSkill("cards", 2)], T0);
        var committedA = a.Commit();
        var committedB = b.Commit();
        // Node B runs its operation again on fresh state, as the host does after a conflict.
        b.Begin();
        var retried = nodeB.Login("a1", [new AgentSkill("cards", 2)], T0);
        var committedRetry = b.Commit();

        Assert.That((enqueued.Offers.Count, loggedIn.Offers.Count), Is.EqualTo((0, 0)), "neither node saw the other's change");
        Assert.That((committedA, committedB, committedRetry), Is.EqualTo((true, false, true)));
        Assert.That(retried.Offers.Single().CallId, Is.EqualTo("c1"));
        Assert.That(nodeA.FindCall("c1")!.State, Is.EqualTo(CallState.Offered));
    }

    [Test]
    public void A_timer_taken_by_a_node_that_dies_before_committing_fires_again_on_another_node_after_the_lease()
    {
        var (a, b) = TwoNodes(lease: TimeSpan.FromSeconds(5));
        var ring = new AcdTimer(T0.AddSeconds(20), AcdTimerKind.RingTimeout, "a1", 3);
        a.Schedule(ring);

        a.Begin();
        a.TryTakeDue(T0.AddSeconds(21), out var takenByA);
        // Node A is gone: no commit, no discard.
        var duringLease = b.TryTakeDue(T0.AddSeconds(25), out _);
        var afterLease = b.TryTakeDue(T0.AddSeconds(26), out var takenByB);

        Assert.That(takenByA, Is.EqualTo(ring));
        Assert.That(duringLease, Is.False);
        Assert.That(afterLease, Is.True);
        Assert.That(takenByB, Is.EqualTo(ring));
    }

    [Test]
    public void A_taken_timer_is_gone_once_its_operation_commits_and_back_at_once_when_it_is_discarded()
    {
        var (a, b) = TwoNodes();
        a.Schedule(new AcdTimer(T0.AddSeconds(1), AcdTimerKind.CallDue, "c1", 1));
        a.Schedule(new AcdTimer(T0.AddSeconds(2), AcdTimerKind.CallDue, "c2", 1));

        a.Begin();
        a.TryTakeDue(T0.AddSeconds(5), out var first);
        var secondInSameWork = a.TryTakeDue(T0.AddSeconds(5), out _);
        a.Discard();
        a.Begin();
        a.TryTakeDue(T0.AddSeconds(5), out var again);
        a.Commit();
        var remaining = new List<string>();
        while (b.TryTakeDue(T0.AddHours(1), out var t))
            remaining.Add(t.Id);

        Assert.That(first.Id, Is.EqualTo("c1"));
        Assert.That(secondInSameWork, Is.False, "one timer per unit of work");
        Assert.That(again.Id, Is.EqualTo("c1"));
        Assert.That(remaining, Is.EqualTo(new[] { "c2" }));
    }

    [Test]
    public void A_ring_timeout_waits_on_every_node_while_the_agent_is_being_connected_until_the_accept_commits()
    {
        var (a, b) = TwoNodes();
        var (agent, call) = Offered(a, "a1", "c1");
        a.Schedule(new AcdTimer(T0.AddSeconds(20), AcdTimerKind.RingTimeout, "a1", agent.Version));

        a.Begin();
        a.PrefetchOffer("a1", "c1", TimeSpan.FromSeconds(30));
        var kept = a.KeepReads();
        var whileConnecting = b.TryTakeDue(T0.AddSeconds(20), out _);
        a.Begin(kept);
        a.SaveAgent(agent with { State = AgentState.OnCall, Version = agent.Version + 1 });
        a.SaveCall(call with { State = CallState.Connected, Version = call.Version + 1 });
        a.ReleaseRingTimeout("a1");
        var stillHeldBeforeTheCommit = !b.TryTakeDue(T0.AddSeconds(20), out _);
        var committed = a.Commit();
        var afterwards = b.TryTakeDue(T0.AddSeconds(21), out var timer);

        Assert.That(whileConnecting, Is.False);
        Assert.That(stillHeldBeforeTheCommit, Is.True);
        Assert.That(committed, Is.True);
        Assert.That(afterwards, Is.True, "the commit released the hold");
        Assert.That(timer.Id, Is.EqualTo("a1"));
    }

    [Test]
    public void An_accepts_check_holds_no_ring_timeout_for_a_call_the_agent_is_not_offered()
    {
        var (a, b) = TwoNodes();
        var (agent, _) = Offered(a, "a1", "c1");
        a.Schedule(new AcdTimer(T0.AddSeconds(20), AcdTimerKind.RingTimeout, "a1", agent.Version));

        a.Begin();
        a.PrefetchOffer("a1", "c2", TimeSpan.FromSeconds(30));
        a.Discard();

        Assert.That(b.TryTakeDue(T0.AddSeconds(20), out var timer), Is.True);
        Assert.That(timer.Id, Is.EqualTo("a1"));
    }

    [Test]
    public void A_unit_of_work_started_from_kept_reads_fails_its_commit_when_another_node_changed_them_meanwhile()
    {
        var (a, b) = TwoNodes();
        var (agent, call) = Offered(a, "a1", "c1");
        a.Begin();
        a.PrefetchOffer("a1", "c1", TimeSpan.FromSeconds(30));
        var kept = a.KeepReads();
        b.SaveCall(call with { State = CallState.Waiting, AgentId = null, Version = call.Version + 1 });

        a.Begin(kept);
        var seen = a.FindCall("c1")!;
        a.SaveAgent(agent with { State = AgentState.OnCall, Version = agent.Version + 1 });
        a.SaveCall(seen with { State = CallState.Connected, Version = seen.Version + 1 });
        var committed = a.Commit();

        Assert.That(seen.State, Is.EqualTo(CallState.Offered), "served from the kept reads, without a round trip");
        Assert.That(committed, Is.False);
        Assert.That(b.FindCall("c1")!.State, Is.EqualTo(CallState.Waiting));
    }

    // An agent Reserved with a call offered to them, as the engine leaves them.
    private static (AcdAgent Agent, AcdCall Call) Offered(RedisAcdStateStore store, string agentId, string callId)
    {
        var agent = Idle(agentId) with { State = AgentState.Reserved, CallId = callId, Version = 2 };
        var call = new AcdCall { CallId = callId, State = CallState.Offered, AgentId = agentId, Version = 2 };
        store.SaveAgent(agent);
        store.SaveCall(call);
        return (agent, call);
    }

    [Test]
    public void Event_numbers_run_per_call_and_type_across_nodes_and_a_decision_that_does_not_commit_takes_none()
    {
        var (a, b) = TwoNodes();
        a.SaveCall(new AcdCall { CallId = "c1", State = CallState.Waiting, Version = 1 });

        a.Begin();
        var onA = a.FindCall("c1")!;
        b.Begin();
        var onB = b.FindCall("c1")!;
        a.SaveCall(onA with { IsComplaint = true, Version = 2 });
        var committedA = a.Commit([("c1", "acd.queued"), ("c1", "acd.offered"), ("c2", "acd.queued")], out var first);
        b.SaveCall(onB with { Version = 2 });
        var committedStale = b.Commit([("c1", "acd.queued")], out var none);
        b.Begin();
        b.SaveCall(b.FindCall("c1")! with { Version = 3 });
        var committedB = b.Commit([("c1", "acd.queued")], out var second);

        Assert.That((committedA, committedStale, committedB), Is.EqualTo((true, false, true)));
        Assert.That(first, Is.EqualTo(new long[] { 1, 1, 1 }));
        Assert.That(none, Is.Empty, "a conflicting decision numbers nothing");
        Assert.That(second, Is.EqualTo(new long[] { 2 }));
    }

    [Test]
    public void A_record_read_through_the_prefetch_that_another_node_changes_meanwhile_fails_the_commit()
    {
        var (a, b) = TwoNodes();
        a.SaveAgent(Idle("a1"));
        a.SaveCall(new AcdCall { CallId = "c1", State = CallState.Waiting, Version = 1 });

        a.Begin();
        a.Prefetch(new AcdReadHint(AgentId: "a1", CallId: "c1"));
        var afterPrefetch = a.RoundTrips;
        b.Begin();
        b.SaveCall(b.FindCall("c1")! with { IsComplaint = true, Version = 2 });
        var committedB = b.Commit();
        var agent = a.FindAgent("a1")!;
        var call = a.FindCall("c1")!;
        var claimed = a.TryClaim(agent, call, agent with { State = AgentState.Reserved, CallId = "c1", Version = 2 }, call with { State = CallState.Offered, AgentId = "a1", Version = 2 });
        var readsAfterPrefetch = a.RoundTrips - afterPrefetch;
        var committedA = a.Commit();

        Assert.That(readsAfterPrefetch, Is.Zero, "both records came with the prefetch");
        Assert.That(call.Version, Is.EqualTo(1), "what Redis held when the prefetch ran");
        Assert.That((committedB, claimed, committedA), Is.EqualTo((true, true, false)));
        Assert.That(b.FindCall("c1")!.State, Is.EqualTo(CallState.Waiting));
        Assert.That(b.FindAgent("a1")!.State, Is.EqualTo(AgentState.Available));
    }

    [Test]
    public void An_agent_left_idle_because_its_prefetched_lines_were_empty_conflicts_with_a_call_queued_meanwhile_on_another_node()
    {
        var (a, b) = TwoNodes();
        var nodeA = new AcdEngine(Options, a);
        var nodeB = new AcdEngine(Options, b);
        nodeA.Login("a1", [new AgentSkill("cards", 1)], T0);
        nodeA.StartBreak("a1", "lunch", T0);

        a.Begin();
        // What the engine's EndBreak asks for first, here before node B queues the call.
        a.Prefetch(new AcdReadHint(AgentId: "a1", AgentSeeksWork: true));
        b.Begin();
        var queued = nodeB.Enqueue(new CallRequest("c1", "general"), T0.AddSeconds(1));
        var committedB = b.Commit();
        var ended = nodeA.EndBreak("a1", T0.AddSeconds(1));
        var committedA = a.Commit();
        a.Begin();
        var retried = nodeA.EndBreak("a1", T0.AddSeconds(1));
        var committedRetry = a.Commit();

        Assert.That((queued.Offers.Count, ended.Offers.Count), Is.EqualTo((0, 0)), "node A's prefetched line was empty");
        Assert.That((committedB, committedA, committedRetry), Is.EqualTo((true, false, true)));
        Assert.That(retried.Offers.Single().CallId, Is.EqualTo("c1"));
    }

    [Test]
    public void Ending_a_call_with_the_next_claimed_answering_it_and_queueing_a_new_call_take_two_round_trips_each()
    {
        var store = new RedisAcdStateStore(RedisForTests.Connection, RedisForTests.UniquePrefix());
        var engine = new AcdEngine(new AcdOptions
        {
            Queues = [new QueueOptions { Name = "general", RequiredSkills = [new SkillRequirementOptions { Skill = "cards" }], WrapUpTime = TimeSpan.Zero }],
        }, store);
        engine.Enqueue(new CallRequest("c1", "general"), T0);
        engine.Enqueue(new CallRequest("c2", "general"), T0);
        (long Trips, AcdDecisions Decisions) Run(Func<AcdDecisions> operation)
        {
            var before = store.RoundTrips;
            store.Begin();
            var decisions = operation();
            Assert.That(store.Commit(), Is.True);
            return (store.RoundTrips - before, decisions);
        }
        Run(() => engine.Login("a1", [new AgentSkill("cards", 1)], T0));
        Run(() => engine.Accept("a1", "c1", T0));

        var endAndClaim = Run(() => engine.EndCall("a1", "c1", T0.AddMinutes(1)));
        var answer = Run(() => engine.Accept("a1", "c2", T0.AddMinutes(1)));
        var newCall = Run(() => engine.Enqueue(new CallRequest("c3", "general"), T0.AddMinutes(1)));

        Assert.That(endAndClaim.Decisions.Offers.Single().CallId, Is.EqualTo("c2"));
        Assert.That((endAndClaim.Trips, answer.Trips, newCall.Trips), Is.EqualTo((2L, 2L, 2L)), "one prefetch and one commit each");
        Assert.That(engine.FindCall("c3")!.Sequence, Is.GreaterThan(engine.FindCall("c2")!.Sequence), "the prefetch took the sequence number");
    }

    [Test]
    public void A_new_call_whose_idle_lines_were_last_seen_empty_costs_only_the_commit()
    {
        var store = new RedisAcdStateStore(RedisForTests.Connection, RedisForTests.UniquePrefix());
        var engine = new AcdEngine(Options, store);
        long Enqueue(string callId)
        {
            var before = store.RoundTrips;
            store.Begin();
            var decisions = engine.Enqueue(new CallRequest(callId, "general"), T0);
            Assert.That(store.Commit(), Is.True);
            Assert.That(decisions.Offers, Is.Empty);
            return store.RoundTrips - before;
        }

        var first = Enqueue("c1");
        var second = Enqueue("c2");

        Assert.That((first, second), Is.EqualTo((2L, 1L)), "the first prefetch saw the lines empty; the second call is decided from that");
        Assert.That(engine.FindCall("c2")!.Sequence, Is.GreaterThan(engine.FindCall("c1")!.Sequence));
        Assert.That(store.CountWaitingCallers(0), Is.EqualTo(2));
    }

    [Test]
    public void A_line_seen_empty_that_gained_an_agent_on_another_node_fails_the_new_calls_commit_and_the_rerun_offers_it()
    {
        var (a, b) = TwoNodes();
        var nodeA = new AcdEngine(Options, a);
        var nodeB = new AcdEngine(Options, b);
        a.Begin();
        nodeA.Enqueue(new CallRequest("c1", "general"), T0);
        Assert.That(a.Commit(), Is.True);
        // Node B's agent takes c1 and becomes idle again: the line node A saw empty now holds an agent.
        nodeB.Login("a1", [new AgentSkill("cards", 1)], T0);
        nodeB.Accept("a1", "c1", T0);
        nodeB.EndCall("a1", "c1", T0.AddMinutes(1));
        nodeB.CompleteWrapUp("a1", T0.AddMinutes(1));

        a.Begin();
        var blind = nodeA.Enqueue(new CallRequest("c2", "general"), T0.AddMinutes(2));
        var committedBlind = a.Commit();
        a.Begin();
        var rerun = nodeA.Enqueue(new CallRequest("c2", "general"), T0.AddMinutes(2));
        var committedRerun = a.Commit();

        Assert.That(blind.Offers, Is.Empty, "decided from the line as last seen");
        Assert.That((committedBlind, committedRerun), Is.EqualTo((false, true)));
        Assert.That(rerun.Offers.Single().AgentId, Is.EqualTo("a1"));
        Assert.That(b.FindAgent("a1")!.State, Is.EqualTo(AgentState.Reserved));
    }

    [Test]
    public void A_new_call_decided_without_a_prefetch_that_another_node_already_queued_fails_its_commit_and_the_rerun_refuses_it()
    {
        var (a, b) = TwoNodes();
        var nodeA = new AcdEngine(Options, a);
        var nodeB = new AcdEngine(Options, b);
        a.Begin();
        nodeA.Enqueue(new CallRequest("c1", "general"), T0);
        Assert.That(a.Commit(), Is.True);
        nodeB.Enqueue(new CallRequest("c2", "general"), T0);

        a.Begin();
        nodeA.Enqueue(new CallRequest("c2", "general"), T0.AddSeconds(1));
        var committed = a.Commit();
        a.Begin();
        var rerun = Assert.Throws<IllegalTransitionException>(() => nodeA.Enqueue(new CallRequest("c2", "general"), T0.AddSeconds(1)));
        a.Discard();

        Assert.That(committed, Is.False, "the commit requires that the call does not exist yet");
        Assert.That(rerun, Is.Not.Null);
        Assert.That(b.FindCall("c2")!.EnteredAt, Is.EqualTo(T0), "node B's call is untouched");
        Assert.That(b.CountWaitingCallers(0), Is.EqualTo(2));
    }

    [Test]
    public void A_duplicate_of_a_queued_call_decided_without_a_prefetch_at_a_full_queue_fails_its_commit_rather_than_report_a_limit()
    {
        var store = new RedisAcdStateStore(RedisForTests.Connection, RedisForTests.UniquePrefix());
        var engine = new AcdEngine(new AcdOptions
        {
            Queues = [new QueueOptions { Name = "general", RequiredSkills = [new SkillRequirementOptions { Skill = "cards", MinLevel = 1 }], MaxQueueSize = 1 }],
        }, store);
        store.Begin();
        engine.Enqueue(new CallRequest("c1", "general"), T0);
        Assert.That(store.Commit(), Is.True);

        store.Begin();
        var blind = engine.Enqueue(new CallRequest("c1", "general"), T0.AddSeconds(1));
        var committed = store.Commit(blind.CallEvents.Select(e => (e.CallId, "acd." + e.Kind.ToString().ToLowerInvariant())).ToList(), out _);
        store.Begin();
        Assert.Throws<IllegalTransitionException>(() => engine.Enqueue(new CallRequest("c1", "general"), T0.AddSeconds(1)));
        store.Discard();

        Assert.That(blind.CallEvents.Single().Kind, Is.EqualTo(CallEventKind.LimitReached), "decided as a new call at a full queue");
        Assert.That(committed, Is.False, "the commit still requires that the call does not exist");
        Assert.That(engine.FindCall("c1")!.State, Is.EqualTo(CallState.Waiting));
    }

    [Test]
    public void A_wrap_up_end_taken_in_a_unit_of_work_brings_its_agent_and_lines_so_the_claim_costs_only_the_commit()
    {
        var store = new RedisAcdStateStore(RedisForTests.Connection, RedisForTests.UniquePrefix());
        var engine = new AcdEngine(new AcdOptions
        {
            Queues = [new QueueOptions { Name = "general", RequiredSkills = [new SkillRequirementOptions { Skill = "cards" }], WrapUpTime = TimeSpan.FromSeconds(10) }],
        }, store);
        engine.Login("a1", [new AgentSkill("cards", 1)], T0);
        engine.Enqueue(new CallRequest("c1", "general"), T0);
        engine.Accept("a1", "c1", T0);
        engine.Enqueue(new CallRequest("c2", "general"), T0);
        engine.EndCall("a1", "c1", T0.AddMinutes(1));

        // One timer per unit of work, as the host runs them: the first answered offer's stale ring timeout comes first.
        AcdDecisions ticked;
        long trips;
        do
        {
            var before = store.RoundTrips;
            store.Begin();
            ticked = engine.Tick(T0.AddMinutes(1).AddSeconds(11));
            Assert.That(store.Commit(), Is.True);
            trips = store.RoundTrips - before;
        }
        while (store.TookTimer && ticked.Offers.Count == 0);

        Assert.That(ticked.Offers.Single().CallId, Is.EqualTo("c2"));
        Assert.That(trips, Is.EqualTo(2), "taking the timer, then the commit");
    }
}
