using CallCenter.Core.Metrics;

namespace CallCenter.Core.Tests.Metrics;

public sealed class FirstCallResolutionTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 0, 0, 0, TimeSpan.FromHours(8));
    private static readonly TimeSpan Week = TimeSpan.FromDays(7);

    private static Contact Call(string id, string customer, string reason, double day, bool resolved = true, bool reachedAgent = true) =>
        new(id, customer, reason, Monday.AddDays(day), reachedAgent, resolved);

    [Test]
    public void A_resolved_call_with_no_repeat_in_seven_days_counts_as_resolved_first_time()
    {
        var fcr = FirstCallResolution.Compute([Call("a", "C1", "cards", 0)], Monday, Monday.AddDays(1), Week, Monday.AddDays(30));

        Assert.That(fcr.Rate, Is.EqualTo(1.0));
        Assert.That(fcr.Provisional, Is.False);
    }

    [Test]
    public void A_repeat_contact_for_the_same_reason_within_the_window_undoes_the_resolved_flag()
    {
        Contact[] contacts = [Call("a", "C1", "cards", 0), Call("b", "C1", "cards", 3)];

        var fcr = FirstCallResolution.Compute(contacts, Monday, Monday.AddDays(1), Week, Monday.AddDays(30));

        Assert.That(fcr.ResolvedFirstTime, Is.Zero);
        Assert.That(fcr.Needs, Is.EqualTo(1));
    }

    [Test]
    public void A_repeat_about_another_reason_or_after_the_window_does_not_count_against_it()
    {
        Contact[] contacts = [Call("a", "C1", "cards", 0), Call("b", "C1", "payments", 2), Call("c", "C1", "cards", 8)];

        var fcr = FirstCallResolution.Compute(contacts, Monday, Monday.AddDays(1), Week, Monday.AddDays(30));

        Assert.That(fcr.ResolvedFirstTime, Is.EqualTo(1));
    }

    [Test]
    public void Ivr_only_calls_and_abandons_are_not_needs()
    {
        Contact[] contacts = [Call("a", "C1", "cards", 0), Call("b", "C2", "", 0.5, resolved: false, reachedAgent: false)];

        var fcr = FirstCallResolution.Compute(contacts, Monday, Monday.AddDays(1), Week, Monday.AddDays(30));

        Assert.That(fcr.Needs, Is.EqualTo(1));
    }

    [Test]
    public void The_figure_is_provisional_until_the_last_needs_window_has_closed()
    {
        var contacts = new[] { Call("a", "C1", "cards", 0.5) };

        var early = FirstCallResolution.Compute(contacts, Monday, Monday.AddDays(1), Week, Monday.AddDays(5));
        var final = FirstCallResolution.Compute(contacts, Monday, Monday.AddDays(1), Week, Monday.AddDays(8));

        Assert.That(early.Provisional, Is.True);
        Assert.That(final.Provisional, Is.False);
    }
}
