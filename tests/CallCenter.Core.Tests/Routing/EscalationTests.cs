using CallCenter.Core.Routing;
using static CallCenter.Core.Tests.Routing.Queues;

namespace CallCenter.Core.Tests.Routing;

public sealed class EscalationTests
{
    private static QueueOptions Fraud(params EscalationStepOptions[] steps) =>
        Queue("fraud", ("fraud", 4)) with { Escalations = steps };

    [Test]
    public void Widened_proficiency_applies_only_once_the_configured_wait_has_passed()
    {
        var acd = new AcdHarness(Fraud(new EscalationStepOptions { After = TimeSpan.FromSeconds(60), Action = EscalationAction.WidenProficiency, WidenBy = 2 }));
        acd.Login("junior", ("fraud", 2));
        acd.Call("c1", "fraud");

        var before = acd.AdvanceSeconds(59);
        var at = acd.AdvanceSeconds(1);

        Assert.That(before.Offers, Is.Empty);
        Assert.That(at.Single(CallEventKind.Escalated).Reason, Is.EqualTo(nameof(EscalationAction.WidenProficiency)));
        Assert.That(at.Pairs(), Is.EqualTo(new[] { ("c1", "junior") }));
    }

    [Test]
    public void Added_skill_group_lets_another_team_answer()
    {
        var acd = new AcdHarness(Fraud(new EscalationStepOptions
        {
            After = TimeSpan.FromSeconds(90),
            Action = EscalationAction.AddSkillGroup,
            SkillGroup = [new SkillRequirementOptions { Skill = "disputes", MinLevel = 3 }],
        }));
        acd.Login("disputes-agent", ("disputes", 3));
        acd.Call("c1", "fraud");

        Assert.That(acd.AdvanceSeconds(89).Offers, Is.Empty);
        Assert.That(acd.AdvanceSeconds(1).Pairs(), Is.EqualTo(new[] { ("c1", "disputes-agent") }));
    }

    [Test]
    public void Agent_of_the_added_group_logging_in_later_finds_the_escalated_call()
    {
        var acd = new AcdHarness(Fraud(new EscalationStepOptions
        {
            After = TimeSpan.FromSeconds(90),
            Action = EscalationAction.AddSkillGroup,
            SkillGroup = [new SkillRequirementOptions { Skill = "disputes", MinLevel = 3 }],
        }));
        acd.Call("c1", "fraud");
        acd.AdvanceSeconds(120);

        var decisions = acd.Login("disputes-agent", ("disputes", 4));

        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("c1", "disputes-agent") }));
    }

    [Test]
    public void Call_moves_to_the_overflow_queue_at_the_configured_time_and_keeps_its_wait()
    {
        var acd = new AcdHarness(
            Fraud(new EscalationStepOptions { After = TimeSpan.FromMinutes(2), Action = EscalationAction.MoveToQueue, TargetQueue = "general" }),
            General);
        acd.Login("generalist", ("cards", 1));
        acd.Call("c1", "fraud");

        Assert.That(acd.AdvanceSeconds(119).CallEvents, Is.Empty);
        var moved = acd.AdvanceSeconds(1);

        var overflow = moved.Single(CallEventKind.Overflowed);
        Assert.That(overflow.TargetQueue, Is.EqualTo("general"));
        Assert.That(moved.Offers.Single().Queue, Is.EqualTo("general"));
        Assert.That(moved.Offers.Single().Waited, Is.EqualTo(TimeSpan.FromMinutes(2)));
        Assert.That(acd.Engine.FindCall("c1")!.EnteredAt, Is.EqualTo(AcdHarness.T0));
    }

    [Test]
    public void Callback_is_offered_at_the_configured_time_and_the_call_keeps_its_place()
    {
        var acd = new AcdHarness(Fraud(new EscalationStepOptions { After = TimeSpan.FromMinutes(3), Action = EscalationAction.OfferCallback }));
        acd.Call("c1", "fraud");

        var decisions = acd.Advance(TimeSpan.FromMinutes(3));

        Assert.That(decisions.Single(CallEventKind.CallbackOffered).Waited, Is.EqualTo(TimeSpan.FromMinutes(3)));
        Assert.That(acd.Engine.FindCall("c1")!.State, Is.EqualTo(CallState.Waiting));
        Assert.That(acd.Engine.Estimate("c1")!.Position, Is.EqualTo(1));
    }

    [Test]
    public void Several_steps_due_in_one_late_tick_are_applied_in_order()
    {
        var acd = new AcdHarness(Fraud(
            new EscalationStepOptions { After = TimeSpan.FromSeconds(30), Action = EscalationAction.WidenProficiency, WidenBy = 1 },
            new EscalationStepOptions { After = TimeSpan.FromSeconds(60), Action = EscalationAction.WidenProficiency, WidenBy = 1 }));
        acd.Login("level-2", ("fraud", 2));
        acd.Call("c1", "fraud");

        var decisions = acd.AdvanceSeconds(300);

        Assert.That(decisions.CallEvents.Count(e => e.Kind == CallEventKind.Escalated), Is.EqualTo(2));
        Assert.That(decisions.Pairs(), Is.EqualTo(new[] { ("c1", "level-2") }));
    }
}
