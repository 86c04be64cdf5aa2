using CallCenter.Core.Quality;

namespace CallCenter.Core.Tests.Quality;

public sealed class MonthlySamplingTests
{
    private static readonly string[] Reviewers = ["Q1", "Q2"];

    /// <summary>Agent A: 30 general calls, 10 cards calls, 2 complaints; agent B: 3 general calls.</summary>
    private static List<SampleCandidate> Month()
    {
        var calls = new List<SampleCandidate>();
        for (var i = 0; i < 30; i++) calls.Add(new($"CA-a-gen-{i:D2}", "A", "general", false));
        for (var i = 0; i < 10; i++) calls.Add(new($"CA-a-card-{i:D2}", "A", "cards", false));
        calls.Add(new("CA-a-complaint-1", "A", "general", true));
        calls.Add(new("CA-a-complaint-2", "A", "cards", true));
        for (var i = 0; i < 3; i++) calls.Add(new($"CA-b-gen-{i}", "B", "general", false));
        return calls;
    }

    [Test]
    public void The_same_seed_draws_the_same_plan_whatever_order_the_calls_come_in()
    {
        var first = MonthlySampling.Draw(Month(), perAgent: 10, seed: 42, Reviewers);
        var shuffled = Month().OrderBy(c => c.CallSid.GetHashCode(StringComparison.Ordinal)).Reverse().ToList();
        Assert.That(MonthlySampling.Draw(shuffled, perAgent: 10, seed: 42, Reviewers), Is.EqualTo(first));
    }

    [Test]
    public void Another_seed_draws_other_calls()
    {
        var a = MonthlySampling.Draw(Month(), 10, 42, Reviewers).Select(c => c.CallSid);
        var b = MonthlySampling.Draw(Month(), 10, 43, Reviewers).Select(c => c.CallSid);
        Assert.That(b, Is.Not.EquivalentTo(a));
    }

    [Test]
    public void Every_complaint_call_is_in_and_the_rest_is_stratified_by_queue()
    {
        var plan = MonthlySampling.Draw(Month(), perAgent: 10, seed: 7, Reviewers);
        var a = plan.Where(c => c.Agent == "A").ToList();
        Assert.That(a, Has.Count.EqualTo(10));
        Assert.That(a.Where(c => c.Complaint).Select(c => c.CallSid), Is.EquivalentTo(new[] { "CA-a-complaint-1", "CA-a-complaint-2" }));
        // 8 random slots over 30 general and 10 cards calls: 6 and 2.
        Assert.That(a.Count(c => !c.Complaint && c.Queue == "general"), Is.EqualTo(6));
        Assert.That(a.Count(c => !c.Complaint && c.Queue == "cards"), Is.EqualTo(2));
        // An agent with fewer calls than N is reviewed in full.
        Assert.That(plan.Where(c => c.Agent == "B").Select(c => c.CallSid), Is.EquivalentTo(new[] { "CA-b-gen-0", "CA-b-gen-1", "CA-b-gen-2" }));
    }

    [Test]
    public void Complaints_are_all_kept_even_beyond_N()
    {
        var calls = Enumerable.Range(0, 5).Select(i => new SampleCandidate($"CA-c{i}", "A", "general", true))
            .Append(new SampleCandidate("CA-plain", "A", "general", false));
        var plan = MonthlySampling.Draw(calls, perAgent: 3, seed: 1, Reviewers);
        Assert.That(plan.Select(c => c.CallSid), Is.EquivalentTo(Enumerable.Range(0, 5).Select(i => $"CA-c{i}")));
    }

    [Test]
    public void Reviewers_take_turns_and_nobody_reviews_their_own_calls()
    {
        var calls = Enumerable.Range(0, 4).Select(i => new SampleCandidate($"CA-{i}", "Q1", "general", false));
        var plan = MonthlySampling.Draw(calls, 4, 3, Reviewers);
        Assert.That(plan.Select(c => c.Reviewer), Is.All.EqualTo("Q2"));
        var mixed = MonthlySampling.Draw(Month(), 10, 3, Reviewers);
        Assert.That(mixed.Count(c => c.Reviewer == "Q1"), Is.EqualTo(mixed.Count(c => c.Reviewer == "Q2")).Within(1));
    }

    [TestCase(8, new[] { 30, 10 }, new[] { 6, 2 })]
    [TestCase(5, new[] { 1, 1, 1 }, new[] { 1, 1, 1 })]
    [TestCase(2, new[] { 1, 1, 1 }, new[] { 1, 1, 0 })]
    [TestCase(3, new[] { 5, 4, 1 }, new[] { 2, 1, 0 })]
    public void Slots_are_split_by_largest_remainder(int slots, int[] sizes, int[] expected) =>
        Assert.That(MonthlySampling.Allocate(slots, sizes), Is.EqualTo(expected));

    [Test]
    public void A_period_is_a_month_on_the_centres_wall_clock()
    {
        var shanghai = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        // 30 Nov 2026 17:00 UTC is 1 Dec 01:00 in Shanghai.
        Assert.That(ReviewPeriod.Of(new DateTimeOffset(2026, 11, 30, 17, 0, 0, TimeSpan.Zero), shanghai).ToString(), Is.EqualTo("2026-12"));
        Assert.That(ReviewPeriod.TryParse("2026-11", out var p), Is.True);
        Assert.That(p.Bounds(shanghai), Is.EqualTo((new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.FromHours(8)),
            new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.FromHours(8)))));
        Assert.That(ReviewPeriod.TryParse("2026-13", out _), Is.False);
    }
}
