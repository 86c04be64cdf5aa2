using CallCenter.Core.Routing;
using CallCenter.Server.Routing;
using CallCenter.Testing;
using StackExchange.Redis;

namespace CallCenter.Server.Tests.Routing;

/// <summary>
/// What every <see cref="IAcdStateStore"/> must do, run against each store: the engine relies on these and on
/// nothing else, so a store passing them routes exactly like the in-process one.
/// </summary>
public abstract class AcdStateStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A new, empty store of the kind under test (a Redis store gets its own key prefix).</summary>
    protected abstract IAcdStateStore NewStore();

    private static AcdCall Waiting(string id, int tier = 0, long score = 10, long sequence = 1, bool atHead = false, int queue = 0, long version = 1) =>
        new() { CallId = id, State = CallState.Waiting, TierId = tier, QueueIndex = queue, Score = score, Sequence = sequence, AtHead = atHead, Version = version };

    private static AcdAgent Agent(string id, AgentState state = AgentState.Available, double idleSeconds = 0, long version = 1, int[]? tiers = null, params SkillLevel[] skills) =>
        new()
        {
            AgentId = id, State = state, Skills = [.. skills], EligibleTiers = [.. tiers ?? [0]],
            IdleSince = T0.AddSeconds(idleSeconds), StateSince = T0, Version = version,
        };

    // Records compare their arrays by reference; a store that serialises gives back equal arrays, not the same ones.
    private static object? Comparable(AcdAgent? agent) =>
        agent is null ? null : (agent with { Skills = [], EligibleTiers = [], Texts = [] }, string.Join(",", agent.Skills), string.Join(",", agent.EligibleTiers), string.Join(",", agent.Texts));

    [Test]
    public void Waiting_calls_come_out_in_waiting_order_after_random_removals_and_updates()
    {
        var store = NewStore();
        var random = new Random(7);
        var calls = Enumerable.Range(0, 200)
            .Select(i => Waiting($"c{i}", score: random.Next(50), sequence: i, atHead: random.Next(20) == 0))
            .ToList();
        calls.ForEach(store.SaveCall);
        foreach (var gone in calls.Where((_, i) => i % 3 == 0).ToList())
        {
            store.DeleteCall(gone.CallId);
            calls.Remove(gone);
        }
        // A re-save flagged to the head must move the call, as a ring-no-answer return does.
        var moved = calls[10] with { AtHead = true, Version = 2 };
        store.SaveCall(moved);
        calls[10] = moved;
        var expected = calls.Order(AcdOrdering.Waiting).Select(c => c.CallId).ToList();

        var positionOfThird = store.CountAhead(store.FindCall(expected[2])!);
        var waitingBefore = store.CountWaitingCallers(0);
        var drained = new List<string>();
        while (store.PeekBestWaiting([0]) is { } head)
        {
            drained.Add(head.CallId);
            store.SaveCall(head with { State = CallState.Offered, Version = head.Version + 1 });
        }

        Assert.That(drained, Is.EqualTo(expected));
        Assert.That(positionOfThird, Is.EqualTo(2));
        Assert.That(waitingBefore, Is.EqualTo(expected.Count));
        Assert.That(store.CountWaitingCallers(0), Is.Zero);
    }

    [Test]
    public void Waiting_callbacks_keep_their_place_in_line_but_are_not_counted_as_callers_holding_a_line()
    {
        var store = NewStore();
        store.SaveCall(Waiting("callback", score: 1, sequence: 1) with { IsCallback = true });
        store.SaveCall(Waiting("caller", score: 5, sequence: 2));
        var callersBefore = store.CountWaitingCallers(0);
        var ahead = store.CountAhead(store.FindCall("caller")!);
        store.SaveCall(store.FindCall("callback")! with { State = CallState.Offered, Version = 2 });
        var callersAfterOffer = store.CountWaitingCallers(0);
        store.DeleteCall("caller");

        Assert.Multiple(() =>
        {
            Assert.That(callersBefore, Is.EqualTo(1));
            Assert.That(ahead, Is.EqualTo(1), "the callback is ahead of the later caller");
            Assert.That(callersAfterOffer, Is.EqualTo(1), "offering the callback frees no caller's place");
            Assert.That(store.CountWaitingCallers(0), Is.Zero);
        });
    }

    [Test]
    public void Best_waiting_call_is_chosen_across_tiers_and_negative_scores_sort_first()
    {
        var store = NewStore();
        store.SaveCall(Waiting("late", tier: 0, score: 100, sequence: 1));
        store.SaveCall(Waiting("early", tier: 3, score: 10, sequence: 2));
        store.SaveCall(Waiting("other-tier", tier: 5, score: -5, sequence: 3));

        Assert.That(store.PeekBestWaiting([0, 3])?.CallId, Is.EqualTo("early"));
        Assert.That(store.PeekBestWaiting([0, 3, 5])?.CallId, Is.EqualTo("other-tier"));
        Assert.That(store.PeekBestWaiting([7]), Is.Null);
    }

    [Test]
    public void A_saved_call_reads_back_equal_and_a_deleted_one_is_gone_from_record_and_line()
    {
        var store = NewStore();
        var call = Waiting("c1", queue: 2) with { CustomerId = "cif-1", CustomerTier = CustomerTier.Wealth, EnteredAt = T0, QueueEnteredAt = T0.AddSeconds(3) };
        store.SaveCall(call);
        var read = store.FindCall("c1");
        store.DeleteCall("c1");

        Assert.That(read, Is.EqualTo(call));
        Assert.That(store.FindCall("c1"), Is.Null);
        Assert.That(store.PeekBestWaiting([0]), Is.Null);
        Assert.That(store.CountWaitingCallers(2), Is.Zero);
    }

    [Test]
    public void Idle_agents_per_skill_and_level_come_longest_idle_first_and_leave_when_busy()
    {
        var store = NewStore();
        store.SaveAgent(Agent("newest", idleSeconds: 30, skills: new SkillLevel(1, 3)));
        store.SaveAgent(Agent("oldest", idleSeconds: 10, skills: new SkillLevel(1, 5)));
        store.SaveAgent(Agent("junior", idleSeconds: 0, skills: new SkillLevel(1, 1)));
        store.SaveAgent(Agent("other-skill", idleSeconds: 5, skills: new SkillLevel(2, 5)));

        var atLevelThree = store.IdleAgents(1, 3).Select(a => a.AgentId).ToList();
        var everyone = store.CountIdle(SkillCatalog.AnySkill, 1);
        store.SaveAgent(store.FindAgent("oldest")! with { State = AgentState.Reserved, Version = 2 });

        Assert.That(atLevelThree, Is.EqualTo(new[] { "oldest", "newest" }));
        Assert.That(everyone, Is.EqualTo(4));
        Assert.That(store.IdleAgents(1, 3).Select(a => a.AgentId), Is.EqualTo(new[] { "newest" }));
        Assert.That(store.CountIdle(1, 1), Is.EqualTo(2));
        Assert.That(store.IdleAgents(SkillCatalog.AnySkill, 1).First().AgentId, Is.EqualTo("junior"));
    }

    [Test]
    public void Agents_on_texts_come_fewest_texts_first_per_skill_and_leave_when_they_stop_texting()
    {
        var store = NewStore();
        store.SaveAgent(Agent("two", AgentState.OnText, idleSeconds: 0, skills: new SkillLevel(1, 2)) with { Texts = ["t1", "t2"] });
        store.SaveAgent(Agent("one-late", AgentState.OnText, idleSeconds: 20, skills: new SkillLevel(1, 3)) with { Texts = ["t3"] });
        store.SaveAgent(Agent("one-early", AgentState.OnText, idleSeconds: 10, skills: new SkillLevel(1, 1)) with { Texts = ["t4"] });
        store.SaveAgent(Agent("idle", idleSeconds: 5, skills: new SkillLevel(1, 5)));

        var bySkill = store.TextingAgents(1, 1).Select(a => a.AgentId).ToList();
        var atLevelTwo = store.TextingAgents(1, 2).Select(a => a.AgentId).ToList();
        var staffed = store.CountStaffed(0);
        // One text answered: "two" now holds as few as the others and is the longest idle of them.
        store.SaveAgent(store.FindAgent("two")! with { Texts = ["t2"], Version = 2 });
        var afterAnswer = store.TextingAgents(1, 1).Select(a => a.AgentId).ToList();
        store.SaveAgent(store.FindAgent("one-late")! with { State = AgentState.WrapUp, Texts = [], Version = 2 });

        Assert.That(bySkill, Is.EqualTo(new[] { "one-early", "one-late", "two" }));
        Assert.That(atLevelTwo, Is.EqualTo(new[] { "one-late", "two" }));
        Assert.That(store.IdleAgents(1, 1).Select(a => a.AgentId), Is.EqualTo(new[] { "idle" }), "agents on texts are not idle");
        Assert.That(staffed, Is.EqualTo(4), "an agent on texts is staffed");
        Assert.That(afterAnswer, Is.EqualTo(new[] { "two", "one-early", "one-late" }));
        Assert.That(store.TextingAgents(SkillCatalog.AnySkill, 1).Select(a => a.AgentId), Is.EqualTo(new[] { "two", "one-early" }));
        Assert.That(store.FindAgent("two")!.Texts, Is.EqualTo(new[] { "t2" }));
    }

    [Test]
    public void The_engine_over_the_store_gives_an_agent_texts_up_to_capacity_and_no_call_beside_them()
    {
        var options = new AcdOptions
        {
            TextCapacity = 2,
            Queues =
            [
                new QueueOptions { Name = "general", RequiredSkills = [new SkillRequirementOptions { Skill = "cards" }] },
                new QueueOptions { Name = "sms", Media = QueueMedia.Text, WrapUpTime = TimeSpan.Zero, RequiredSkills = [new SkillRequirementOptions { Skill = "sms" }] },
            ],
        };
        var engine = new AcdEngine(options, NewStore());
        engine.Login("a1", [new AgentSkill("cards", 1), new AgentSkill("sms", 1)], T0);
        var texts = new[] { "t1", "t2", "t3" }.Select((t, i) => engine.Enqueue(new CallRequest(t, "sms"), T0.AddSeconds(1 + i))).ToList();
        var call = engine.Enqueue(new CallRequest("c1", "general"), T0.AddSeconds(5));
        engine.Accept("a1", "t1", T0.AddSeconds(6));
        engine.Accept("a1", "t2", T0.AddSeconds(6));
        var firstAnswered = engine.EndCall("a1", "t1", T0.AddSeconds(30));
        engine.Accept("a1", "t3", T0.AddSeconds(31));
        engine.EndCall("a1", "t2", T0.AddSeconds(40));
        var lastAnswered = engine.EndCall("a1", "t3", T0.AddSeconds(50));

        Assert.That(texts.Select(d => d.Offers.Count), Is.EqualTo(new[] { 1, 1, 0 }));
        Assert.That(call.Offers, Is.Empty, "an agent on texts gets no call");
        Assert.That(firstAnswered.Offers.Single().CallId, Is.EqualTo("t3"));
        Assert.That(lastAnswered.Offers.Single().CallId, Is.EqualTo("c1"), "with no text left (and no wrap-up) the call comes");
        Assert.That(engine.FindAgent("a1")!.State, Is.EqualTo(AgentState.Reserved));
        Assert.That(engine.FindAgent("a1")!.Texts, Is.Empty);
    }

    [Test]
    public void Many_idle_agents_are_all_listed_in_order()
    {
        var store = NewStore();
        for (var i = 0; i < 40; i++)
            store.SaveAgent(Agent($"a{i:D2}", idleSeconds: 40 - i, skills: new SkillLevel(0, 1)));

        Assert.That(store.IdleAgents(0, 1).Select(a => a.AgentId), Is.EqualTo(Enumerable.Range(0, 40).Reverse().Select(i => $"a{i:D2}")));
    }

    [Test]
    public void Staffed_counts_follow_agents_through_work_and_breaks()
    {
        var store = NewStore();
        store.SaveAgent(Agent("a1", tiers: [0, 2]));
        store.SaveAgent(Agent("a2", tiers: [2]));
        var both = (store.CountStaffed(0), store.CountStaffed(2));
        store.SaveAgent(store.FindAgent("a1")! with { State = AgentState.OnCall, Version = 2 });
        var onCall = store.CountStaffed(2);
        store.SaveAgent(store.FindAgent("a1")! with { State = AgentState.Break, Version = 3 });

        Assert.That(both, Is.EqualTo((1, 2)));
        Assert.That(onCall, Is.EqualTo(2), "an agent on a call is still staffed");
        Assert.That((store.CountStaffed(0), store.CountStaffed(2)), Is.EqualTo((0, 1)));
    }

    [Test]
    public void A_claim_with_current_versions_reserves_the_agent_and_offers_the_call_together()
    {
        var store = NewStore();
        store.SaveAgent(Agent("a1", skills: new SkillLevel(0, 1)));
        store.SaveCall(Waiting("c1"));
        var agent = store.FindAgent("a1")!;
        var call = store.FindCall("c1")!;

        var claimed = store.TryClaim(agent, call,
            agent with { State = AgentState.Reserved, CallId = "c1", Version = 2 },
            call with { State = CallState.Offered, AgentId = "a1", Version = 2 });

        Assert.That(claimed, Is.True);
        Assert.That(Comparable(store.FindAgent("a1")), Is.EqualTo(Comparable(agent with { State = AgentState.Reserved, CallId = "c1", Version = 2 })));
        Assert.That(store.FindCall("c1")!.AgentId, Is.EqualTo("a1"));
        Assert.That(store.PeekBestWaiting([0]), Is.Null);
        Assert.That(store.CountIdle(0, 1), Is.Zero);
    }

    [Test]
    public void A_claim_against_a_stale_agent_or_call_changes_nothing()
    {
        var store = NewStore();
        store.SaveAgent(Agent("a1", skills: new SkillLevel(0, 1)));
        store.SaveCall(Waiting("c1"));
        var agent = store.FindAgent("a1")!;
        var call = store.FindCall("c1")!;
        // Someone else got there first: the call moved on to version 2.
        store.SaveCall(call with { AtHead = true, Version = 2 });
        var staleCall = store.TryClaim(agent, call, agent with { State = AgentState.Reserved, Version = 2 }, call with { State = CallState.Offered, Version = 2 });
        var fresh = store.FindCall("c1")!;
        var staleAgent = store.TryClaim(agent with { Version = 0 }, fresh, agent with { State = AgentState.Reserved, Version = 2 }, fresh with { State = CallState.Offered, Version = 3 });

        Assert.That(staleCall, Is.False);
        Assert.That(staleAgent, Is.False);
        Assert.That(Comparable(store.FindAgent("a1")), Is.EqualTo(Comparable(agent)));
        Assert.That(store.FindCall("c1"), Is.EqualTo(fresh));
        Assert.That(store.PeekBestWaiting([0])?.CallId, Is.EqualTo("c1"));
    }

    [Test]
    public void Due_timers_come_out_in_time_order_whatever_their_kind_and_not_before_they_are_due()
    {
        var store = NewStore();
        store.Schedule(new AcdTimer(T0.AddSeconds(30), AcdTimerKind.CallDue, "c1", 1));
        store.Schedule(new AcdTimer(T0.AddSeconds(10), AcdTimerKind.RingTimeout, "a1", 1));
        store.Schedule(new AcdTimer(T0.AddSeconds(20), AcdTimerKind.CallDue, "c2", 1));
        store.Schedule(new AcdTimer(T0.AddSeconds(40), AcdTimerKind.WrapUpEnd, "a2", 7));

        var early = store.TryTakeDue(T0.AddSeconds(10).AddTicks(-1), out _);
        var due = new List<AcdTimer>();
        while (store.TryTakeDue(T0.AddSeconds(35), out var timer))
            due.Add(timer);
        store.TryTakeDue(T0.AddSeconds(40), out var last);

        Assert.That(early, Is.False);
        Assert.That(string.Join(",", due.Select(t => t.Id)), Is.EqualTo("a1,c2,c1"));
        Assert.That(due[0], Is.EqualTo(new AcdTimer(T0.AddSeconds(10), AcdTimerKind.RingTimeout, "a1", 1)));
        Assert.That(last, Is.EqualTo(new AcdTimer(T0.AddSeconds(40), AcdTimerKind.WrapUpEnd, "a2", 7)));
    }

    [Test]
    public void Sequences_rise_handle_times_average_over_the_window_and_last_contacts_read_back()
    {
        var store = NewStore();
        var first = store.NextSequence();
        var second = store.NextSequence();
        var none = store.MeanHandleTime(1);
        store.AddHandleTime(1, TimeSpan.FromSeconds(100));
        store.AddHandleTime(1, TimeSpan.FromSeconds(200));
        store.SaveLastContact(new LastContact("cif-9", "a7", T0));

        Assert.That(second, Is.GreaterThan(first));
        Assert.That(none, Is.Null);
        Assert.That(store.MeanHandleTime(1), Is.EqualTo(TimeSpan.FromSeconds(150)));
        Assert.That(store.FindLastContact("cif-9"), Is.EqualTo(new LastContact("cif-9", "a7", T0)));
        Assert.That(store.FindLastContact("cif-0"), Is.Null);
    }

    [Test]
    public void The_engine_over_the_store_offers_returns_a_missed_call_to_the_head_and_gives_it_to_the_next_agent()
    {
        var options = new AcdOptions
        {
            Queues = [new QueueOptions { Name = "general", RequiredSkills = [new SkillRequirementOptions { Skill = "cards", MinLevel = 2 }], RingTimeout = TimeSpan.FromSeconds(20) }],
        };
        var engine = new AcdEngine(options, NewStore());
        engine.Login("a1", [new AgentSkill("cards", 3)], T0);
        engine.Login("junior", [new AgentSkill("cards", 1)], T0);
        engine.Enqueue(new CallRequest("c1", "general"), T0.AddSeconds(1));
        var second = engine.Enqueue(new CallRequest("c2", "general"), T0.AddSeconds(2));
        var timeout = engine.Tick(T0.AddSeconds(21));
        var later = engine.Login("a2", [new AgentSkill("cards", 2)], T0.AddSeconds(22));

        Assert.That(second.Offers, Is.Empty, "the only skilled agent is ringing");
        Assert.That(timeout.AgentEvents.Single().To, Is.EqualTo(AgentState.Break));
        Assert.That(engine.FindAgent("a1")!.BreakReason, Is.EqualTo("missed"));
        Assert.That(later.Offers.Single().CallId, Is.EqualTo("c1"), "the missed call went back ahead of the one behind it");
        Assert.That(engine.Estimate("c2")!.Position, Is.EqualTo(1));
        Assert.That(engine.FindAgent("junior")!.State, Is.EqualTo(AgentState.Available));
    }
}

/// <summary>The contract against the single-node store.</summary>
public sealed class InMemoryAcdStateStoreContract : AcdStateStoreContract
{
    protected override IAcdStateStore NewStore() => new InMemoryAcdStateStore();
}

/// <summary>The contract against the Redis store on the test Redis; every store gets its own key prefix.</summary>
public sealed class RedisAcdStateStoreContract : AcdStateStoreContract
{
    protected override IAcdStateStore NewStore() => new RedisAcdStateStore(RedisForTests.Connection, RedisForTests.UniquePrefix());
}

/// <summary>One connection to the test Redis for store-level tests, and key prefixes no other test uses.</summary>
internal static class RedisForTests
{
    private static readonly Lazy<IConnectionMultiplexer> Shared = new(() => ConnectionMultiplexer.Connect(TestInfrastructure.Redis));

    public static IConnectionMultiplexer Connection => Shared.Value;

    public static string UniquePrefix() => "acd-test-" + Guid.NewGuid().ToString("N");
}
