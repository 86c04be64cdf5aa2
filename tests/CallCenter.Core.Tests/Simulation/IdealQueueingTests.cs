using CallCenter.Core.Metrics;
using CallCenter.Core.Simulation;

namespace CallCenter.Core.Tests.Simulation;

public sealed class IdealQueueingTests
{
    private static QueueArrival Call(double arrival, double service) => new(TimeSpan.FromSeconds(arrival), TimeSpan.FromSeconds(service));

    [Test]
    public void A_call_waits_only_until_the_first_agent_is_free()
    {
        var waits = IdealQueueing.Waits(2, [Call(0, 100), Call(10, 50), Call(20, 30), Call(70, 10)]);

        // Third call: agents free at 100 and 60 → starts at 60. Fourth: free at 100 and 90 → starts at 90.
        Assert.That(waits.Select(w => w.TotalSeconds), Is.EqualTo(new[] { 0.0, 0.0, 40.0, 20.0 }));
    }

    [Test]
    public void Waits_come_back_in_the_order_the_calls_were_given()
    {
        var waits = IdealQueueing.Waits(1, [Call(5, 10), Call(0, 10)]);

        Assert.That(waits.Select(w => w.TotalSeconds), Is.EqualTo(new[] { 5.0, 0.0 }));
    }

    [Test]
    public void A_long_MMN_stream_matches_Erlang_C()
    {
        // 10 Erlangs, AHT 180 s, 14 agents, 2,000 hours (≈ 400,000 calls): long enough that the correlated waits of
        // M/M/N average out far inside the tolerances; the seed fixes the stream.
        var random = new Random(20261128);
        double Exponential(double mean) => -Math.Log(1 - random.NextDouble()) * mean;
        var calls = new List<QueueArrival>();
        for (var t = Exponential(18); t < 2000 * 3600; t += Exponential(18))
            calls.Add(Call(t, Exponential(180)));

        var waits = IdealQueueing.Waits(14, calls);

        var serviceLevel = waits.Count(w => w <= TimeSpan.FromSeconds(20)) / (double)waits.Length;
        var asa = waits.Average(w => w.TotalSeconds);
        Assert.That(serviceLevel, Is.EqualTo(ErlangC.ServiceLevel(14, 10, TimeSpan.FromSeconds(180), TimeSpan.FromSeconds(20))).Within(0.01));
        Assert.That(asa, Is.EqualTo(ErlangC.AverageSpeedOfAnswer(14, 10, TimeSpan.FromSeconds(180)).TotalSeconds).Within(0.5));
    }

    [Test]
    public void One_hour_runs_spread_far_wider_than_independent_calls_would_suggest()
    {
        var spread = IdealQueueing.MmnRuns(14, 200, TimeSpan.FromSeconds(180), TimeSpan.FromHours(1), TimeSpan.FromSeconds(20), runs: 4000, seed: 1);

        var (low, high) = spread.AverageSpeedOfAnswer(0.95);
        // Independent waits would give ASA 7.8 s ± 2 × 3.6 s; correlated M/M/N waits over one hour spread much further.
        Assert.That(high - low, Is.GreaterThan(15));
        var (slLow, slHigh) = spread.ServiceLevel(0.95);
        TestContext.Out.WriteLine(FormattableString.Invariant($"95% of one-hour runs: ASA {low:0.0}–{high:0.0} s, service level {slLow:0.000}–{slHigh:0.000}"));
        Assert.That(slLow, Is.LessThan(0.888).And.GreaterThan(0.5));
        Assert.That(slHigh, Is.EqualTo(1.0).Within(0.02));
    }
}
