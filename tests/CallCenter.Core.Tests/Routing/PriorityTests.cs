using CallCenter.Core.Routing;
using static CallCenter.Core.Tests.Routing.Queues;

namespace CallCenter.Core.Tests.Routing;

public sealed class PriorityTests
{
    private static AcdHarness Harness() => new(new AcdOptions
    {
        Queues = [General with { WrapUpTime = TimeSpan.Zero }],
        Priority = new PriorityOptions
        {
            PrivateBanking = TimeSpan.FromMinutes(5),
            WealthOrPlatinum = TimeSpan.FromMinutes(2),
            Complaint = TimeSpan.FromMinutes(1),
        },
    });

    /// <summary>Logs one agent in and returns the calls in the order that agent is offered them.</summary>
    private static List<string> ServeAll(AcdHarness acd, int count)
    {
        var served = new List<string>();
        var next = acd.Login("agent", ("cards", 1));
        for (var i = 0; i < count; i++)
        {
            var offer = next.Offers.Single();
            served.Add(offer.CallId);
            acd.Engine.Accept("agent", offer.CallId, acd.Now);
            next = acd.Engine.EndCall("agent", offer.CallId, acd.Now);
        }
        return served;
    }

    [Test]
    public void Private_banking_outranks_wealth_and_platinum_which_outrank_ordinary()
    {
        var acd = Harness();
        acd.Call("ordinary");
        acd.AdvanceSeconds(1);
        acd.Call("platinum", tier: CustomerTier.Platinum);
        acd.AdvanceSeconds(1);
        acd.Call("wealth", tier: CustomerTier.Wealth);
        acd.AdvanceSeconds(1);
        acd.Call("private", tier: CustomerTier.PrivateBanking);

        Assert.That(string.Join(", ", ServeAll(acd, 4)), Is.EqualTo("private, platinum, wealth, ordinary"));
    }

    [Test]
    public void Complaint_is_served_before_an_ordinary_call_that_arrived_shortly_before()
    {
        var acd = Harness();
        acd.Call("ordinary");
        acd.AdvanceSeconds(30);
        acd.Call("complaint", complaint: true);

        Assert.That(string.Join(", ", ServeAll(acd, 2)), Is.EqualTo("complaint, ordinary"));
    }

    [Test]
    public void Ordinary_call_waiting_longer_than_the_vip_head_start_is_not_starved()
    {
        var acd = Harness();
        acd.Call("old-ordinary");
        acd.Advance(TimeSpan.FromMinutes(6));
        acd.Call("new-private", tier: CustomerTier.PrivateBanking);
        acd.AdvanceSeconds(1);
        acd.Call("newer-private", tier: CustomerTier.PrivateBanking);

        Assert.That(string.Join(", ", ServeAll(acd, 3)), Is.EqualTo("old-ordinary, new-private, newer-private"));
    }

    [Test]
    public void Steady_stream_of_vip_calls_cannot_starve_an_ordinary_call()
    {
        var acd = Harness();
        acd.Login("agent", ("cards", 1));
        acd.Call("warm-up");
        acd.Engine.Accept("agent", "warm-up", acd.Now);
        acd.Call("ordinary");
        string? offered = null;
        var served = 0;
        // One private-banking call every 30 s, each handled in 30 s: without ageing the ordinary call would wait forever.
        for (var i = 0; offered != "ordinary" && i < 100; i++)
        {
            acd.Call($"vip-{i}", tier: CustomerTier.PrivateBanking);
            acd.AdvanceSeconds(30);
            var current = acd.Engine.FindAgent("agent")!.CallId!;
            offered = acd.Engine.EndCall("agent", current, acd.Now).Offers.Single().CallId;
            acd.Engine.Accept("agent", offered, acd.Now);
            served++;
        }

        Assert.That(offered, Is.EqualTo("ordinary"));
        Assert.That(served, Is.LessThanOrEqualTo(11), "served within head start / handle time + 1 calls");
    }

    [Test]
    public void Calls_of_equal_priority_are_served_first_in_first_out()
    {
        var acd = Harness();
        acd.Call("a");
        acd.Call("b");
        acd.AdvanceSeconds(1);
        acd.Call("c");

        Assert.That(string.Join(", ", ServeAll(acd, 3)), Is.EqualTo("a, b, c"));
    }
}
