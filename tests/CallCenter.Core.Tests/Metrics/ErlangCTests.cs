using CallCenter.Core.Metrics;

namespace CallCenter.Core.Tests.Metrics;

public sealed class ErlangCTests
{
    private static readonly TimeSpan Aht = TimeSpan.FromSeconds(180);

    [Test]
    public void Ten_erlangs_on_fourteen_agents_answer_about_89_percent_within_20_seconds()
    {
        var sl = ErlangC.ServiceLevel(14, 10, Aht, TimeSpan.FromSeconds(20));

        Assert.That(sl, Is.EqualTo(0.888).Within(0.001));
    }

    [Test]
    public void Ten_erlangs_on_fourteen_agents_have_an_average_speed_of_answer_near_eight_seconds()
    {
        var asa = ErlangC.AverageSpeedOfAnswer(14, 10, Aht);

        Assert.That(asa.TotalSeconds, Is.EqualTo(7.8).Within(0.05));
    }

    [Test]
    public void Probability_of_waiting_matches_the_closed_form_for_a_small_case()
    {
        // Two agents, one Erlang: C = (A²/2!·2/(2−1)) / (1 + A + A²/2!·2/(2−1)) = 1/3.
        Assert.That(ErlangC.ProbabilityOfWaiting(2, 1), Is.EqualTo(1.0 / 3).Within(1e-12));
    }

    [Test]
    public void Average_speed_of_answer_is_c_times_aht_over_spare_capacity()
    {
        var asa = ErlangC.AverageSpeedOfAnswer(2, 1, TimeSpan.FromSeconds(120));

        Assert.That(asa.TotalSeconds, Is.EqualTo(40).Within(1e-9));
    }

    [Test]
    public void Too_few_agents_mean_everyone_waits_and_nobody_is_answered_on_time()
    {
        Assert.That(ErlangC.ProbabilityOfWaiting(10, 10), Is.EqualTo(1));
        Assert.That(ErlangC.ServiceLevel(9, 10, Aht, TimeSpan.FromSeconds(20)), Is.Zero);
        Assert.That(ErlangC.AverageSpeedOfAnswer(10, 10, Aht), Is.EqualTo(TimeSpan.MaxValue));
    }

    [Test]
    public void Staffing_finds_the_fewest_agents_meeting_the_target()
    {
        var agents = ErlangC.AgentsFor(10, Aht, TimeSpan.FromSeconds(20), 0.80);

        Assert.That(ErlangC.ServiceLevel(agents, 10, Aht, TimeSpan.FromSeconds(20)), Is.GreaterThanOrEqualTo(0.80));
        Assert.That(ErlangC.ServiceLevel(agents - 1, 10, Aht, TimeSpan.FromSeconds(20)), Is.LessThan(0.80));
        Assert.That(agents, Is.EqualTo(14));
    }

    [Test]
    public void Load_is_arrival_rate_times_handle_time()
    {
        Assert.That(ErlangC.Load(200, Aht), Is.EqualTo(10).Within(1e-12));
    }
}
