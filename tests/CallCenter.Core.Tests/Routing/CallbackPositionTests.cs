using CallCenter.Core.Routing;

namespace CallCenter.Core.Tests.Routing;

/// <summary>
/// A queue callback keeps the caller's place: it is ordered by the caller's original entry time and never falls out on a queue limit;
/// and since it holds no line, it does not count toward the queue's size limit for callers who come later.
/// </summary>
public sealed class CallbackPositionTests
{
    [Test]
    public void A_callback_is_offered_at_the_same_position_the_caller_would_have_had()
    {
        // Control: the caller X simply keeps waiting.
        var stayed = new AcdHarness(Queues.General);
        stayed.Call("X");
        stayed.AdvanceSeconds(30);
        stayed.Call("Y");
        stayed.AdvanceSeconds(30);
        stayed.Call("Z");
        stayed.AdvanceSeconds(60);

        // X leaves the line at 90 s asking for a callback; the callback enters at 120 s with X's entry time.
        var called = new AcdHarness(Queues.General);
        var xEntered = called.Now;
        called.Call("X");
        called.AdvanceSeconds(30);
        called.Call("Y");
        called.AdvanceSeconds(30);
        called.Call("Z");
        called.AdvanceSeconds(30);
        called.Engine.Abandon("X", called.Now);
        called.AdvanceSeconds(30);
        var queued = called.Engine.Enqueue(new CallRequest("CB-X", "general") { IsCallback = true, EnteredAt = xEntered }, called.Now);

        Assert.Multiple(() =>
        {
            Assert.That(called.Engine.Estimate("CB-X")!.Position, Is.EqualTo(stayed.Engine.Estimate("X")!.Position).And.EqualTo(1));
            Assert.That(called.Engine.Estimate("Y")!.Position, Is.EqualTo(stayed.Engine.Estimate("Y")!.Position));
            Assert.That(queued.Single(CallEventKind.Queued).Waited, Is.EqualTo(TimeSpan.FromSeconds(120)), "waited from the original entry");
            Assert.That(stayed.Login("A1", ("cards", 1)).Pairs(), Is.EqualTo(new[] { ("X", "A1") }));
            Assert.That(called.Login("A1", ("cards", 1)).Pairs(), Is.EqualTo(new[] { ("CB-X", "A1") }), "the first free agent gets the callback, as X would have been answered");
        });
    }

    [Test]
    public void A_callback_enters_a_full_queue_and_outlasts_its_max_wait()
    {
        var h = new AcdHarness(Queues.General with { MaxQueueSize = 1, MaxWait = TimeSpan.FromMinutes(1) });
        h.Call("C1");
        var entered = h.Now.AddMinutes(-5);
        var callback = h.Engine.Enqueue(new CallRequest("CB-1", "general") { IsCallback = true, EnteredAt = entered }, h.Now);
        var later = h.Advance(TimeSpan.FromMinutes(2));

        Assert.Multiple(() =>
        {
            Assert.That(callback.CallEvents.Select(e => e.Kind), Is.EqualTo(new[] { CallEventKind.Queued }));
            Assert.That(later.CallEvents.Where(e => e.Kind == CallEventKind.LimitReached).Select(e => e.CallId), Is.EqualTo(new[] { "C1" }),
                "the caller on the line meets the limit; the callback does not");
            Assert.That(h.Engine.FindCall("CB-1")!.State, Is.EqualTo(CallState.Waiting));
        });
    }

    [Test]
    public void Waiting_callbacks_do_not_make_new_callers_meet_a_full_queue_but_keep_their_place_ahead_of_them()
    {
        var h = new AcdHarness(Queues.General with { MaxQueueSize = 2 });
        var early = h.Now;
        h.AdvanceSeconds(60);
        h.Engine.Enqueue(new CallRequest("CB-1", "general") { IsCallback = true, EnteredAt = early }, h.Now);
        h.Engine.Enqueue(new CallRequest("CB-2", "general") { IsCallback = true, EnteredAt = early.AddSeconds(1) }, h.Now);

        var first = h.Call("C1");
        var second = h.Call("C2");
        var third = h.Call("C3");

        Assert.Multiple(() =>
        {
            Assert.That(first.CallEvents.Select(e => e.Kind), Is.EqualTo(new[] { CallEventKind.Queued }), "two callbacks wait, yet no line is held");
            Assert.That(second.CallEvents.Select(e => e.Kind), Is.EqualTo(new[] { CallEventKind.Queued }));
            Assert.That(third.Single(CallEventKind.LimitReached).Limit, Is.EqualTo(QueueLimit.MaxQueueSize), "two callers on the line fill a queue of two");
            Assert.That(h.Engine.Estimate("C1")!.Position, Is.EqualTo(3), "the callbacks stay ahead of callers who came later");
            Assert.That(h.Login("A1", ("cards", 1)).Pairs(), Is.EqualTo(new[] { ("CB-1", "A1") }));
        });
    }

    [Test]
    public void A_caller_leaving_frees_a_place_in_the_size_limit_while_an_answered_callback_changes_nothing()
    {
        var h = new AcdHarness(Queues.General with { MaxQueueSize = 1 });
        h.Engine.Enqueue(new CallRequest("CB-1", "general") { IsCallback = true, EnteredAt = h.Now }, h.Now);
        h.Call("C1");
        var refused = h.Call("C2");
        h.Login("A1", ("cards", 1));   // takes the callback: the caller on the line still fills the queue
        var stillFull = h.Call("C3");
        h.Engine.Abandon("C1", h.Now);
        var admitted = h.Call("C4");

        Assert.Multiple(() =>
        {
            Assert.That(refused.CallEvents.Select(e => e.Kind), Is.EqualTo(new[] { CallEventKind.LimitReached }));
            Assert.That(stillFull.CallEvents.Select(e => e.Kind), Is.EqualTo(new[] { CallEventKind.LimitReached }));
            Assert.That(admitted.CallEvents.Select(e => e.Kind), Is.EqualTo(new[] { CallEventKind.Queued }));
        });
    }

    [Test]
    public void A_call_cannot_claim_an_entry_time_in_the_future()
    {
        var h = new AcdHarness(Queues.General);
        Assert.Throws<ArgumentException>(() => h.Engine.Enqueue(new CallRequest("CB-2", "general") { IsCallback = true, EnteredAt = h.Now.AddSeconds(1) }, h.Now));
    }
}
