using CallCenter.Core.Complaints;

namespace CallCenter.Core.Tests.Complaints;

/// <summary>The closed loop: accepted → handled → tracked → answered → satisfaction follow-up → closed.</summary>
public sealed class ComplaintLifecycleTests
{
    [Test]
    public void A_complaint_walks_the_whole_loop_in_order()
    {
        var status = ComplaintStatus.Received;
        foreach (var action in new[] { ComplaintAction.Accept, ComplaintAction.Handle, ComplaintAction.Track, ComplaintAction.Handle,
                     ComplaintAction.Answer, ComplaintAction.FollowUp, ComplaintAction.Close })
            status = ComplaintLifecycle.Next(status, action);
        Assert.That(status, Is.EqualTo(ComplaintStatus.Closed));
    }

    [Test]
    public void A_closed_complaint_cannot_be_closed_twice()
    {
        var ex = Assert.Throws<ComplaintTransitionException>(() => ComplaintLifecycle.Next(ComplaintStatus.Closed, ComplaintAction.Close));
        Assert.That(ex!.Message, Does.Contain("already closed"));
    }

    [Test]
    public void Reopening_needs_a_reason_and_goes_back_to_handling()
    {
        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => ComplaintLifecycle.Next(ComplaintStatus.Closed, ComplaintAction.Reopen, null));
            Assert.Throws<ArgumentException>(() => ComplaintLifecycle.Next(ComplaintStatus.Closed, ComplaintAction.Reopen, "   "));
            Assert.That(ComplaintLifecycle.Next(ComplaintStatus.Closed, ComplaintAction.Reopen, "customer called again: fee not refunded"),
                Is.EqualTo(ComplaintStatus.Handling));
        });
    }

    [Test]
    public void Only_a_closed_complaint_can_be_reopened()
    {
        Assert.Throws<ComplaintTransitionException>(() => ComplaintLifecycle.Next(ComplaintStatus.Answered, ComplaintAction.Reopen, "why"));
    }

    [TestCase(ComplaintStatus.Received)]
    [TestCase(ComplaintStatus.Handling)]
    [TestCase(ComplaintStatus.Answered)]
    public void Nothing_closes_before_the_satisfaction_follow_up(ComplaintStatus status)
    {
        var ex = Assert.Throws<ComplaintTransitionException>(() => ComplaintLifecycle.Next(status, ComplaintAction.Close));
        Assert.That(ex!.Message, Does.Contain("follow-up"));
    }

    [Test]
    public void A_received_complaint_must_be_accepted_before_anything_else()
    {
        Assert.That(ComplaintLifecycle.Allowed(ComplaintStatus.Received), Is.EqualTo(new[] { ComplaintAction.Accept }));
    }
}
