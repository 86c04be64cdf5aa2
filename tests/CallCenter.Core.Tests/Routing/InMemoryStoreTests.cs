using CallCenter.Core.Routing;

namespace CallCenter.Core.Tests.Routing;

public sealed class InMemoryStoreTests
{
    [Test]
    public void Waiting_calls_come_out_in_waiting_order_after_random_removals_and_updates()
    {
        var store = new InMemoryAcdStateStore();
        var random = new Random(7);
        var calls = Enumerable.Range(0, 500)
            .Select(i => new AcdCall { CallId = $"c{i}", State = CallState.Waiting, Score = random.Next(50), Sequence = i, AtHead = random.Next(20) == 0, Version = 1 })
            .ToList();
        calls.ForEach(store.SaveCall);
        foreach (var gone in calls.Where((_, i) => i % 3 == 0).ToList())
        {
            store.DeleteCall(gone.CallId);
            calls.Remove(gone);
        }
        // A re-save with a new score must move the call, as a ring-no-answer return does.
        var moved = calls[10] with { AtHead = true, Version = 2 };
        store.SaveCall(moved);
        calls[10] = moved;
        var expected = calls.Order(AcdOrdering.Waiting).Select(c => c.CallId).ToList();

        var positionOfThird = store.CountAhead(store.FindCall(expected[2])!);
        var drained = new List<string>();
        while (store.PeekBestWaiting([0]) is { } head)
        {
            drained.Add(head.CallId);
            store.SaveCall(head with { State = CallState.Offered, Version = head.Version + 1 });
        }

        Assert.That(drained, Is.EqualTo(expected));
        Assert.That(positionOfThird, Is.EqualTo(2));
    }

    [Test]
    public void Best_waiting_call_is_chosen_across_tiers()
    {
        var store = new InMemoryAcdStateStore();
        store.SaveCall(new AcdCall { CallId = "late", TierId = 0, Score = 100, Sequence = 1 });
        store.SaveCall(new AcdCall { CallId = "early", TierId = 3, Score = 10, Sequence = 2 });
        store.SaveCall(new AcdCall { CallId = "other-tier", TierId = 5, Score = 1, Sequence = 3 });

        Assert.That(store.PeekBestWaiting([0, 3])?.CallId, Is.EqualTo("early"));
        Assert.That(store.PeekBestWaiting([7]), Is.Null);
    }

    [Test]
    public void Due_timers_come_out_in_time_order_whatever_their_kind()
    {
        var store = new InMemoryAcdStateStore();
        var t0 = AcdHarness.T0;
        store.Schedule(new AcdTimer(t0.AddSeconds(30), AcdTimerKind.CallDue, "c1", 1));
        store.Schedule(new AcdTimer(t0.AddSeconds(10), AcdTimerKind.RingTimeout, "a1", 1));
        store.Schedule(new AcdTimer(t0.AddSeconds(20), AcdTimerKind.CallDue, "c2", 1));
        store.Schedule(new AcdTimer(t0.AddSeconds(40), AcdTimerKind.WrapUpEnd, "a2", 1));

        var due = new List<string>();
        while (store.TryTakeDue(t0.AddSeconds(35), out var timer))
            due.Add(timer.Id);

        Assert.That(string.Join(",", due), Is.EqualTo("a1,c2,c1"));
    }

    [Test]
    public void Stale_timers_are_dropped_but_live_ones_survive()
    {
        var store = new InMemoryAcdStateStore();
        var t0 = AcdHarness.T0;
        store.SaveCall(new AcdCall { CallId = "live", Version = 5 });
        store.Schedule(new AcdTimer(t0.AddSeconds(1), AcdTimerKind.CallDue, "live", 5));
        // Far more stale timers than calls: forces the clean-up.
        for (var i = 0; i < 5000; i++)
            store.Schedule(new AcdTimer(t0.AddSeconds(2), AcdTimerKind.CallDue, "live", i % 5));

        var due = new List<AcdTimer>();
        while (store.TryTakeDue(t0.AddHours(1), out var timer))
            due.Add(timer);

        Assert.That(due, Has.Count.LessThan(2050));
        Assert.That(due.Count(t => t.Version == 5), Is.EqualTo(1));
    }

    [Test]
    public void Calls_are_found_by_id_after_many_arrive_and_leave_in_random_order()
    {
        var store = new InMemoryAcdStateStore();
        var random = new Random(11);
        var present = new HashSet<string>();
        for (var i = 0; i < 20_000; i++)
        {
            // Fresh string instances, so a lookup cannot succeed by reference alone.
            var id = new string($"call-{random.Next(3000)}".AsSpan());
            if (present.Contains(id))
            {
                store.DeleteCall(id);
                present.Remove(id);
            }
            else
            {
                store.SaveCall(new AcdCall { CallId = id, State = CallState.Connected, Version = 1 });
                present.Add(id);
            }
        }

        var found = Enumerable.Range(0, 3000).Select(n => $"call-{n}").Where(id => store.FindCall(new string(id.AsSpan())) is not null);
        Assert.That(found, Is.EquivalentTo(present));
        Assert.That(present, Has.All.Matches<string>(id => store.FindCall(id)!.CallId == id));
    }

    [Test]
    public void A_timer_of_a_call_that_left_is_not_handed_out_under_the_id_of_the_call_taking_its_place()
    {
        var store = new InMemoryAcdStateStore();
        var t0 = AcdHarness.T0;
        store.SaveCall(new AcdCall { CallId = "gone", Version = 1 });
        store.Schedule(new AcdTimer(t0.AddSeconds(1), AcdTimerKind.CallDue, "gone", 1));
        store.DeleteCall("gone");
        store.SaveCall(new AcdCall { CallId = "next", Version = 1 });
        store.Schedule(new AcdTimer(t0.AddSeconds(2), AcdTimerKind.CallDue, "next", 1));

        var due = new List<AcdTimer>();
        while (store.TryTakeDue(t0.AddHours(1), out var timer))
            due.Add(timer);

        Assert.That(due, Is.EqualTo(new[] { new AcdTimer(t0.AddSeconds(2), AcdTimerKind.CallDue, "next", 1) }));
    }

    [Test]
    public void Agent_timers_scheduled_out_of_due_order_come_out_in_due_order()
    {
        var store = new InMemoryAcdStateStore();
        var t0 = AcdHarness.T0;
        var random = new Random(3);
        var scheduled = new List<AcdTimer>();
        for (var a = 0; a < 200; a++)
        {
            store.SaveAgent(new AcdAgent { AgentId = $"a{a}", State = AgentState.WrapUp, Version = 1 });
            // Mostly later than the last, sometimes earlier than every run's end: more runs than the store keeps.
            var timer = new AcdTimer(t0.AddSeconds(a % 10 == 0 ? random.Next(100) : a), a % 2 == 0 ? AcdTimerKind.WrapUpEnd : AcdTimerKind.RingTimeout, $"a{a}", 1);
            store.Schedule(timer);
            scheduled.Add(timer);
        }

        var due = new List<AcdTimer>();
        while (store.TryTakeDue(t0.AddHours(1), out var timer))
            due.Add(timer);

        Assert.That(due, Is.EqualTo(scheduled.OrderBy(t => t.Due).ToList()));
    }

    [Test]
    public void Agent_timers_an_agent_has_moved_past_are_never_handed_out()
    {
        var store = new InMemoryAcdStateStore();
        var t0 = AcdHarness.T0;
        for (var v = 1; v <= 5000; v++)
        {
            // As every call does: the agent moves on, and its new timer supersedes the last.
            store.SaveAgent(new AcdAgent { AgentId = "a1", State = AgentState.Reserved, Version = v });
            store.Schedule(new AcdTimer(t0.AddSeconds(v), AcdTimerKind.RingTimeout, "a1", v));
        }

        var due = new List<AcdTimer>();
        while (store.TryTakeDue(t0.AddHours(2), out var timer))
            due.Add(timer);

        Assert.That(due, Is.EqualTo(new[] { new AcdTimer(t0.AddSeconds(5000), AcdTimerKind.RingTimeout, "a1", 5000) }));
    }
}
