using CallCenter.Core.Channels;

namespace CallCenter.Core.Tests.Channels;

/// <summary>Who is surveyed, and how an SMS reply is read.</summary>
public sealed class SurveyRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);

    [Test]
    public void A_customer_not_surveyed_within_the_period_is_surveyed()
    {
        Assert.That(SurveyRules.Decide("+8613812345678", optedOut: false, lastSurveyedAt: null, Now, Month), Is.EqualTo(SurveyDecision.Send));
        Assert.That(SurveyRules.Decide("+8613812345678", false, Now - Month, Now, Month), Is.EqualTo(SurveyDecision.Send));
    }

    [Test]
    public void A_customer_surveyed_within_the_period_is_not_asked_again()
    {
        Assert.That(SurveyRules.Decide("+8613812345678", false, Now - Month + TimeSpan.FromSeconds(1), Now, Month), Is.EqualTo(SurveyDecision.SurveyedRecently));
    }

    [Test]
    public void A_customer_who_opted_out_is_never_surveyed()
    {
        Assert.That(SurveyRules.Decide("+8613812345678", optedOut: true, lastSurveyedAt: null, Now, Month), Is.EqualTo(SurveyDecision.OptedOut));
    }

    [Test]
    public void Without_a_customer_there_is_no_survey()
    {
        Assert.That(SurveyRules.Decide(" ", false, null, Now, Month), Is.EqualTo(SurveyDecision.NoCustomer));
    }

    [TestCase("5", 5)]
    [TestCase(" 1 ", 1)]
    [TestCase("4.", 4)]
    [TestCase("0", null)]
    [TestCase("6", null)]
    [TestCase("45", null)]
    [TestCase("five", null)]
    [TestCase("", null)]
    public void Only_a_single_digit_one_to_five_is_a_rating(string reply, int? rating)
    {
        Assert.That(SurveyRules.ParseRating(reply), Is.EqualTo(rating));
    }

    [TestCase("STOP", true)]
    [TestCase("stop", true)]
    [TestCase("退订", true)]
    [TestCase("please stop calling", false)]
    [TestCase("3", false)]
    public void Stop_words_opt_the_customer_out(string reply, bool optOut)
    {
        Assert.That(SurveyRules.IsOptOut(reply), Is.EqualTo(optOut));
    }
}
