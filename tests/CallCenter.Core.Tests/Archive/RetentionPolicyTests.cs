using CallCenter.Core.Archive;

namespace CallCenter.Core.Tests.Archive;

public sealed class RetentionPolicyTests
{
    private static readonly DateTimeOffset CallStart = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    [Test]
    public void By_default_every_recording_is_kept_five_years_from_the_call()
    {
        foreach (var category in Enum.GetValues<CallCategory>())
            Assert.That(RetentionPolicy.Default.Decide(category, CallStart).RetainUntil, Is.EqualTo(new DateTimeOffset(2031, 11, 27, 9, 0, 0, TimeSpan.Zero)));
    }

    [Test]
    public void Service_calls_may_be_kept_shorter_but_fund_transactions_and_complaints_never_below_five_years()
    {
        var policy = RetentionPolicy.Create("v2", 3, new Dictionary<CallCategory, int> { [CallCategory.FundTransaction] = 5, [CallCategory.Complaint] = 7 });
        Assert.Multiple(() =>
        {
            Assert.That(policy.YearsFor(CallCategory.Service), Is.EqualTo(3));
            Assert.That(policy.Decide(CallCategory.Complaint, CallStart).RetainUntil, Is.EqualTo(CallStart.AddYears(7)));
            Assert.That(policy.Decide(CallCategory.Complaint, CallStart).Rule, Is.EqualTo("v2: Complaint 7 years from call start"));
        });

        Assert.That(() => RetentionPolicy.Create("bad", 3, new Dictionary<CallCategory, int>()),
            Throws.ArgumentException.With.Message.Contains("FundTransaction: 3 years").And.Message.Contains("Complaint: 3 years"));
        Assert.That(() => RetentionPolicy.Create("bad", 5, new Dictionary<CallCategory, int> { [CallCategory.Complaint] = 4 }),
            Throws.ArgumentException.With.Message.Contains("Complaint: 4 years"));
        Assert.That(() => RetentionPolicy.Create("bad", 0, new Dictionary<CallCategory, int> { [CallCategory.Complaint] = 5, [CallCategory.FundTransaction] = 5 }),
            Throws.ArgumentException.With.Message.Contains("Service: 0 years"));
    }

    [Test]
    public void A_complaint_or_a_bill_payment_in_the_call_log_decides_the_category()
    {
        Assert.Multiple(() =>
        {
            Assert.That(CallCategoryRules.Classify(new(["ivr.entered", "acd.answered"], [])), Is.EqualTo(CallCategory.Service));
            Assert.That(CallCategoryRules.Classify(new(["ivr.core_requested"], ["Balance"])), Is.EqualTo(CallCategory.Service));
            Assert.That(CallCategoryRules.Classify(new(["ivr.core_requested"], ["BillPayment"])), Is.EqualTo(CallCategory.FundTransaction));
            Assert.That(CallCategoryRules.Classify(new(["ivr.core_requested", "ivr.complaint"], ["BillPayment"])), Is.EqualTo(CallCategory.Complaint));
        });
    }
}
