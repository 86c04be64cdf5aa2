using CallCenter.Core.Channels;

namespace CallCenter.Core.Tests.Channels;

/// <summary>The non-phone timeliness and satisfaction-rate formulas.</summary>
public sealed class TimelinessAndSatisfactionTests
{
    private static readonly DateTimeOffset Due = new(2026, 11, 30, 4, 55, 0, TimeSpan.Zero);

    [Test]
    public void A_request_answered_by_its_due_time_is_on_time_and_one_answered_after_it_is_late()
    {
        Assert.That(Timeliness.Classify(Due, Due, Due.AddDays(1)), Is.EqualTo(TimelinessOutcome.OnTime));
        Assert.That(Timeliness.Classify(Due, Due.AddSeconds(1), Due.AddDays(1)), Is.EqualTo(TimelinessOutcome.Late));
    }

    [Test]
    public void An_open_request_is_pending_until_its_due_time_passes_then_late()
    {
        Assert.That(Timeliness.Classify(Due, null, Due), Is.EqualTo(TimelinessOutcome.Pending));
        Assert.That(Timeliness.Classify(Due, null, Due.AddTicks(1)), Is.EqualTo(TimelinessOutcome.Late));
    }

    [Test]
    public void Timeliness_is_on_time_over_decided_requests_and_pending_ones_stay_out_of_it()
    {
        var totals = TimelinessTotals.Empty.Add(TimelinessOutcome.OnTime).Add(TimelinessOutcome.OnTime)
            .Add(TimelinessOutcome.OnTime).Add(TimelinessOutcome.Late).Add(TimelinessOutcome.Pending);

        Assert.That(totals, Is.EqualTo(new TimelinessTotals(3, 1, 1)));
        Assert.That(totals.Rate, Is.EqualTo(0.75));
        Assert.That((totals + totals).Rate, Is.EqualTo(0.75));
        Assert.That(TimelinessTotals.Empty.Rate, Is.Null);
    }

    [Test]
    public void Satisfaction_rate_is_satisfied_over_surveyed_with_a_configurable_threshold_and_target()
    {
        var policy = new SatisfactionPolicy(SatisfiedFrom: 4, Target: 0.85);
        var totals = new[] { 5, 4, 3, 5 }.Aggregate(SatisfactionTotals.Empty, (t, r) => t.Add(r, policy));

        Assert.That(totals, Is.EqualTo(new SatisfactionTotals(4, 3)));
        Assert.That(totals.Rate, Is.EqualTo(0.75));
        Assert.That(totals.MeetsTarget(policy), Is.False);
        Assert.That(totals.MeetsTarget(policy with { Target = 0.75 }), Is.True);
        Assert.That(new[] { 3, 3 }.Aggregate(SatisfactionTotals.Empty, (t, r) => t.Add(r, policy with { SatisfiedFrom = 3 })).Rate, Is.EqualTo(1.0));
        Assert.That(SatisfactionTotals.Empty.Rate, Is.Null);
        Assert.That(SatisfactionTotals.Empty.MeetsTarget(policy), Is.Null);
    }
}
