using CallCenter.Core.Metrics;

namespace CallCenter.Core.Tests.Metrics;

public sealed class QueueFiguresTests
{
    private static QueuedCall Answered(int seconds) => new(TimeSpan.FromSeconds(seconds), QueueOutcome.Answered);
    private static QueuedCall Abandoned(int seconds) => new(TimeSpan.FromSeconds(seconds), QueueOutcome.Abandoned);
    private static QueuedCall Callback(int seconds) => new(TimeSpan.FromSeconds(seconds), QueueOutcome.CallbackRequested);

    private static readonly QueuedCall[] Interval =
    [
        Answered(5), Answered(20), Answered(21), Answered(60),   // 2 of 4 within 20 s
        Abandoned(3),                                          // short abandon: ignored
        Abandoned(40),                                         // counts as missed
        Callback(90),
    ];

    [Test]
    public void Connect_rate_is_answered_over_everything_transferred_to_human_service()
    {
        var figures = QueueFigures.From(Interval, ServiceLevelPolicy.Default);

        Assert.That(figures.Offered, Is.EqualTo(7));
        Assert.That(figures.ConnectRate, Is.EqualTo(4.0 / 7));
    }

    [Test]
    public void Offered_service_level_counts_long_abandons_as_missed_but_not_short_ones()
    {
        var figures = QueueFigures.From(Interval, ServiceLevelPolicy.Default);

        Assert.That(figures.ServiceLevelOffered, Is.EqualTo(2.0 / 5));
        Assert.That(figures.ServiceLevelAnswered, Is.EqualTo(2.0 / 4));
        Assert.That(figures.ShortAbandoned, Is.EqualTo(1));
        Assert.That(figures.PolicyVersion, Is.EqualTo(1));
    }

    [Test]
    public void A_policy_that_counts_callbacks_and_ignores_abandons_changes_the_denominator()
    {
        var policy = ServiceLevelPolicy.Default with { Version = 2, AbandonsCount = false, CallbacksCount = true };

        var figures = QueueFigures.From(Interval, policy);

        Assert.That(figures.ServiceLevelOffered, Is.EqualTo(2.0 / 5));
        Assert.That(figures.PolicyVersion, Is.EqualTo(2));
        Assert.That(policy.Definition, Does.Contain("callbacks").And.Not.Contain("abandoned"));
    }

    [Test]
    public void Calls_still_waiting_are_not_counted_and_an_empty_interval_has_no_figures()
    {
        var figures = QueueFigures.From([new QueuedCall(TimeSpan.FromSeconds(50), QueueOutcome.Waiting)], ServiceLevelPolicy.Default);

        Assert.That(figures.Offered, Is.Zero);
        Assert.That(figures.ConnectRate, Is.Null);
        Assert.That(figures.ServiceLevelOffered, Is.Null);
    }

    [Test]
    public void The_published_definition_names_threshold_target_and_version()
    {
        Assert.That(ServiceLevelPolicy.Default.Definition, Is.EqualTo("v1: answered within 20 s ÷ (answered + abandoned after 5 s); target 80%"));
    }

    [Test]
    public void A_call_answered_at_exactly_the_threshold_is_on_time_and_an_abandon_at_exactly_the_short_threshold_counts()
    {
        var figures = QueueFigures.From([Answered(20), Abandoned(5)], ServiceLevelPolicy.Default);

        Assert.That(figures.AnsweredWithinThreshold, Is.EqualTo(1));
        Assert.That(figures.Abandoned, Is.EqualTo(1));
        Assert.That(figures.ShortAbandoned, Is.Zero);
        Assert.That(figures.ServiceLevelOffered, Is.EqualTo(0.5));
    }
}
