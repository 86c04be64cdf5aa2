using CallCenter.Core.Routing;
using static CallCenter.Core.Tests.Routing.Queues;

namespace CallCenter.Core.Tests.Routing;

public sealed class QueueLimitTests
{
    [TestCase(QueueLimitOutcome.CallbackOffer)]
    [TestCase(QueueLimitOutcome.Voicemail)]
    public void Call_beyond_max_queue_size_gets_the_declared_outcome(QueueLimitOutcome outcome)
    {
        var acd = new AcdHarness(General with { MaxQueueSize = 2, MaxQueueSizeOutcome = outcome });
        acd.Call("c1");
        acd.Call("c2");

        var decisions = acd.Call("c3");

        var limit = decisions.Single(CallEventKind.LimitReached);
        Assert.That(limit.Limit, Is.EqualTo(QueueLimit.MaxQueueSize));
        Assert.That(limit.LimitOutcome, Is.EqualTo(outcome));
        Assert.That(acd.Engine.FindCall("c3"), Is.Null);
    }

    [Test]
    public void Call_beyond_max_queue_size_overflows_to_the_declared_queue()
    {
        var acd = new AcdHarness(
            General with { MaxQueueSize = 1, MaxQueueSizeOutcome = QueueLimitOutcome.Overflow, OverflowQueue = "backup" },
            Queue("backup", ("loans", 1)));
        acd.Call("c1");

        var decisions = acd.Call("c2");

        Assert.That(decisions.Single(CallEventKind.Overflowed).TargetQueue, Is.EqualTo("backup"));
        Assert.That(acd.Engine.FindCall("c2")!.State, Is.EqualTo(CallState.Waiting));
        Assert.That(acd.Login("loans-agent", ("loans", 1)).Pairs(), Is.EqualTo(new[] { ("c2", "loans-agent") }));
    }

    [Test]
    public void Queue_size_limit_counts_only_the_calls_of_that_queue()
    {
        var acd = new AcdHarness(Queue("fraud", ("fraud", 1)) with { MaxQueueSize = 1 }, Queue("vip", ("vip", 1)) with { MaxQueueSize = 1 });
        acd.Call("vip-waiting", "vip");

        var fraud = acd.Call("fraud-waiting", "fraud");
        var vip = acd.Call("vip-second", "vip");

        Assert.That(fraud.CallEvents.Select(e => e.Kind), Is.EqualTo(new[] { CallEventKind.Queued }));
        Assert.That(vip.CallEvents.Select(e => e.Kind), Is.EqualTo(new[] { CallEventKind.LimitReached }));
    }

    [TestCase(QueueLimitOutcome.CallbackOffer)]
    [TestCase(QueueLimitOutcome.Voicemail)]
    public void Call_reaching_max_wait_leaves_with_the_declared_outcome_and_its_wait(QueueLimitOutcome outcome)
    {
        var acd = new AcdHarness(General with { MaxWait = TimeSpan.FromMinutes(10), MaxWaitOutcome = outcome });
        acd.Call("c1");

        var before = acd.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        var at = acd.AdvanceSeconds(1);

        Assert.That(before.CallEvents, Is.Empty);
        var limit = at.Single(CallEventKind.LimitReached);
        Assert.That(limit.Limit, Is.EqualTo(QueueLimit.MaxWait));
        Assert.That(limit.LimitOutcome, Is.EqualTo(outcome));
        Assert.That(limit.Waited, Is.EqualTo(TimeSpan.FromMinutes(10)));
        Assert.That(acd.Engine.FindCall("c1"), Is.Null);
    }

    [Test]
    public void Call_reaching_max_wait_overflows_and_the_new_queue_clock_starts_then()
    {
        var acd = new AcdHarness(
            General with { MaxWait = TimeSpan.FromMinutes(5), MaxWaitOutcome = QueueLimitOutcome.Overflow, OverflowQueue = "backup" },
            Queue("backup", ("loans", 1)) with { MaxWait = TimeSpan.FromMinutes(5), MaxWaitOutcome = QueueLimitOutcome.Voicemail });
        acd.Call("c1");

        var moved = acd.Advance(TimeSpan.FromMinutes(5));
        var stillWaiting = acd.Advance(TimeSpan.FromMinutes(4));
        var voicemail = acd.Advance(TimeSpan.FromMinutes(1));

        Assert.That(moved.Single(CallEventKind.Overflowed).TargetQueue, Is.EqualTo("backup"));
        Assert.That(stillWaiting.CallEvents, Is.Empty);
        var limit = voicemail.Single(CallEventKind.LimitReached);
        Assert.That((limit.Queue, limit.LimitOutcome, limit.Waited), Is.EqualTo(("backup", (QueueLimitOutcome?)QueueLimitOutcome.Voicemail, TimeSpan.FromMinutes(10))));
    }

    [Test]
    public void Configuration_with_an_unknown_overflow_queue_is_refused()
    {
        var options = new AcdOptions { Queues = [General with { MaxWait = TimeSpan.FromMinutes(1), MaxWaitOutcome = QueueLimitOutcome.Overflow, OverflowQueue = "nowhere" }] };

        Assert.That(AcdEngine.Validate(options), Has.Count.EqualTo(1));
        Assert.That(() => new AcdEngine(options, new InMemoryAcdStateStore()), Throws.ArgumentException);
    }
}
