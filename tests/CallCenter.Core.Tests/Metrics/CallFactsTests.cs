using CallCenter.Core.Metrics;

namespace CallCenter.Core.Tests.Metrics;

public sealed class CallFactsTests
{
    private static readonly DateTimeOffset Nine = new(2026, 11, 27, 1, 0, 0, TimeSpan.Zero);
    private static readonly ServiceLevelPolicy Policy = ServiceLevelPolicy.Default;

    private static CallFactEvent E(string type, double seconds, params (string Key, string Value)[] fields) =>
        new(type, Nine.AddSeconds(seconds), fields.ToDictionary(f => f.Key, f => (string?)f.Value));

    private static CallFacts Fold(params CallFactEvent[] events) => events.Aggregate(new CallFacts("CA1"), (f, e) => f.Apply(e));

    [Test]
    public void A_late_status_callback_folds_to_the_same_facts_as_one_in_order()
    {
        CallFactEvent[] inOrder =
        [
            E("acd.queued", 0, ("queue", "cards")), E("acd.answered", 12, ("agent", "A1")),
            E("acd.completed", 200), E("call.status", 201, ("status", "completed")),
        ];
        var late = new[] { inOrder[0], inOrder[3], inOrder[2], inOrder[1] };

        Assert.That(Fold(late), Is.EqualTo(Fold(inOrder)));
        Assert.That(Fold(late).Queued, Is.EqualTo(new QueuedCall(TimeSpan.FromSeconds(12), QueueOutcome.Answered)));
    }

    [Test]
    public void A_repeated_event_changes_nothing()
    {
        var once = Fold(E("acd.queued", 0, ("queue", "cards")), E("acd.abandoned", 30));
        var twice = once.Apply(E("acd.abandoned", 30));

        Assert.That(twice, Is.EqualTo(once));
    }

    [Test]
    public void A_call_moved_to_another_queue_stays_in_its_first_queue_and_counts_one_transfer()
    {
        var facts = Fold(E("acd.queued", 0, ("queue", "cards")), E("acd.overflowed", 60, ("queue", "cards"), ("target", "general")),
            E("acd.answered", 90, ("agent", "A2")));

        Assert.That((facts.Queue, facts.Transfers), Is.EqualTo(("cards", 1)));
        Assert.That(facts.Queued!.Wait, Is.EqualTo(TimeSpan.FromSeconds(90)), "the caller's wait runs from the first entry");
    }

    [Test]
    public void A_callback_requested_from_the_queue_is_its_own_outcome_not_an_abandon()
    {
        var facts = Fold(E("acd.queued", 0, ("queue", "cards")), E("acd.callback_requested", 45), E("acd.abandoned", 46));

        Assert.That(facts.Queued!.Outcome, Is.EqualTo(QueueOutcome.CallbackRequested));
    }

    [Test]
    public void The_verified_customer_replaces_the_caller_number_for_repeat_contacts()
    {
        var facts = new CallFacts("CA1") { CustomerKey = "+8613812345678" }.Apply(E("ivr.verified", 5, ("customer", "C-42")));

        Assert.That((facts.CustomerKey, facts.Verified), Is.EqualTo(("C-42", true)));
    }

    [Test]
    public void The_wrap_up_gives_reason_family_and_resolved_flag_and_after_call_work_time()
    {
        var facts = Fold(E("acd.queued", 0), E("acd.answered", 10), E("acd.completed", 190),
            E("agent.wrap_up", 220, ("disposition", "answered"), ("reasonFamily", "cards"), ("resolved", "true")));

        Assert.That((facts.ReasonFamily, facts.Resolved), Is.EqualTo(("cards", true)));
        Assert.That((facts.TalkTime, facts.WrapUpTime), Is.EqualTo((TimeSpan.FromSeconds(180), TimeSpan.FromSeconds(30))));
    }

    [Test]
    public void A_need_is_resolved_first_time_only_when_no_repeat_came_within_the_window()
    {
        var need = Fold(E("acd.queued", 0), E("acd.answered", 10), E("agent.wrap_up", 300, ("resolved", "true")));
        var week = TimeSpan.FromDays(7);

        Assert.That(need.ResolvedFirstTime(week), Is.True);
        Assert.That((need with { NextContactAt = Nine.AddDays(7) }).ResolvedFirstTime(week), Is.False, "exactly at the window's end still repeats");
        Assert.That((need with { NextContactAt = Nine.AddDays(7).AddSeconds(1) }).ResolvedFirstTime(week), Is.True);
    }

    [Test]
    public void A_call_abandoned_at_exactly_the_threshold_is_a_missed_call_and_one_answered_at_it_is_on_time()
    {
        var abandoned = Fold(E("acd.queued", 0, ("queue", "q")), E("acd.abandoned", 20));
        var answered = Fold(E("acd.queued", 0, ("queue", "q")), E("acd.answered", 20));

        var totals = QueueTotals.From([abandoned, answered], Policy, satisfiedFrom: 4);

        Assert.That((totals.Offered, totals.Answered, totals.AnsweredWithinThreshold, totals.Abandoned), Is.EqualTo((2, 1, 1, 1)));
        Assert.That(totals.Figures(Policy).ServiceLevelOffered, Is.EqualTo(0.5));
    }

    [Test]
    public void A_call_abandoned_just_before_the_short_abandon_threshold_is_left_out_of_service_level()
    {
        var quick = Fold(E("acd.queued", 0, ("queue", "q")), E("acd.abandoned", 4.999));
        var answered = Fold(E("acd.queued", 0, ("queue", "q")), E("acd.answered", 3));

        var figures = QueueTotals.From([quick, answered], Policy, 4).Figures(Policy);

        Assert.That((figures.ShortAbandoned, figures.ServiceLevelOffered, figures.ConnectRate), Is.EqualTo((1, 1.0, 0.5)));
    }

    [Test]
    public void Totals_add_up_exactly_so_a_day_equals_its_intervals()
    {
        var morning = QueueTotals.From([Fold(E("acd.queued", 0), E("acd.answered", 10), E("acd.completed", 130))], Policy, 4);
        var evening = QueueTotals.From([Fold(E("acd.queued", 0), E("acd.answered", 50), E("acd.completed", 110)),
            Fold(E("acd.queued", 0), E("acd.abandoned", 70))], Policy, 4);

        var day = morning.Add(evening);

        Assert.That(day.AverageSpeedOfAnswer, Is.EqualTo(30), "(10 + 50) ÷ 2, not the mean of the two interval averages");
        Assert.That(day.LongestWaitSeconds, Is.EqualTo(70));
        Assert.That(day.AverageTalkTime, Is.EqualTo(90));
        Assert.That(day.AbandonRate, Is.EqualTo(1.0 / 3));
    }

    [Test]
    public void Satisfaction_rate_counts_scores_at_or_above_the_threshold_over_surveyed_calls()
    {
        var calls = new[] { 5, 4, 3, 2 }.Select(score => Fold(E("acd.queued", 0), E("acd.answered", 5), E("ivr.survey_answer", 300, ("score", $"{score}"))))
            .Append(Fold(E("acd.queued", 0), E("acd.answered", 5)));

        var totals = QueueTotals.From(calls, Policy, satisfiedFrom: 4);

        Assert.That((totals.Surveyed, totals.Satisfied, totals.SatisfactionRate), Is.EqualTo((4, 2, 0.5)));
    }
}
