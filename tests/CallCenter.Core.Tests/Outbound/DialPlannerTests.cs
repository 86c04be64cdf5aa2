using CallCenter.Core.Outbound;

namespace CallCenter.Core.Tests.Outbound;

/// <summary>Whether and when a customer is called again: attempts, refusals, retry delay, window and calling hours in their zone.</summary>
public sealed class DialPlannerTests
{
    private static readonly TimeZoneInfo Shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private static readonly TimeZoneInfo London = TimeZoneInfo.FindSystemTimeZoneById("Europe/London");
    // Friday 27 November 2026, 10:00 in Shanghai.
    private static readonly DateTimeOffset Morning = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime();

    private static DialAttempt Missed(double hoursAgo) => new(Morning.AddHours(-hoursAgo), DialOutcome.NoAnswer);

    [Test]
    public void The_fourth_attempt_is_never_dialled()
    {
        var decision = DialPlanner.Next(DialRules.Default, [Missed(30), Missed(28), Missed(26)], Shanghai, Morning);
        Assert.That(decision, Is.EqualTo(new DialDecision.Finished("3 attempts made")));
    }

    [Test]
    public void The_number_of_attempts_is_configurable()
    {
        var rules = DialRules.Default with { MaxAttempts = 5 };
        Assert.That(DialPlanner.Next(rules, [Missed(30), Missed(28), Missed(26)], Shanghai, Morning), Is.TypeOf<DialDecision.DialNow>());
    }

    [Test]
    public void After_a_refusal_the_customer_is_never_called_again()
    {
        var decision = DialPlanner.Next(DialRules.Default, [new DialAttempt(Morning.AddDays(-1), DialOutcome.Refused)], Shanghai, Morning);
        Assert.That(decision, Is.EqualTo(new DialDecision.Finished("refused")));
    }

    [Test]
    public void No_call_is_placed_at_22_00_local_time_it_waits_for_9_00_next_morning()
    {
        var tenPm = new DateTimeOffset(2026, 11, 27, 22, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime();
        var decision = DialPlanner.Next(DialRules.Default, [], Shanghai, tenPm);
        Assert.That(decision, Is.EqualTo(new DialDecision.WaitUntil(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime())));
    }

    [Test]
    public void Calling_hours_are_the_customers_own_time_zone_not_the_centres()
    {
        var tenPmInShanghai = new DateTimeOffset(2026, 11, 27, 22, 0, 0, TimeSpan.FromHours(8));
        var sixAmInShanghai = new DateTimeOffset(2026, 11, 28, 6, 0, 0, TimeSpan.FromHours(8));
        Assert.Multiple(() =>
        {
            Assert.That(DialPlanner.Next(DialRules.Default, [], London, tenPmInShanghai), Is.TypeOf<DialDecision.DialNow>(), "14:00 in London");
            // 22:00 in London: wait for 09:00 London time.
            Assert.That(DialPlanner.Next(DialRules.Default, [], London, sixAmInShanghai),
                Is.EqualTo(new DialDecision.WaitUntil(new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero))));
        });
    }

    [Test]
    public void A_missed_customer_is_retried_after_the_delay_and_only_inside_their_window()
    {
        var lastTry = new DialAttempt(Morning.AddMinutes(-30), DialOutcome.Busy);
        Assert.Multiple(() =>
        {
            Assert.That(DialPlanner.Next(DialRules.Default, [lastTry], Shanghai, Morning), Is.EqualTo(new DialDecision.WaitUntil(Morning.AddMinutes(90))));
            Assert.That(DialPlanner.Next(DialRules.Default, [], Shanghai, Morning, windowFrom: Morning.AddHours(4), windowTo: Morning.AddHours(6)),
                Is.EqualTo(new DialDecision.WaitUntil(Morning.AddHours(4))), "a promised callback waits for the window the customer chose");
            Assert.That(DialPlanner.Next(DialRules.Default, [lastTry], Shanghai, Morning, windowTo: Morning.AddHours(1)),
                Is.EqualTo(new DialDecision.Finished("the customer's window has passed")), "the retry would fall after the window");
        });
    }
}
