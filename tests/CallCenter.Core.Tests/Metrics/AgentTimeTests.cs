using CallCenter.Core.Metrics;

namespace CallCenter.Core.Tests.Metrics;

public sealed class AgentTimeTests
{
    private static readonly DateTimeOffset Nine = new(2026, 11, 27, 1, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Quarter = TimeSpan.FromMinutes(15);

    [Test]
    public void Occupancy_is_handling_over_handling_plus_available_time_with_breaks_left_out()
    {
        (DateTimeOffset, string)[] changes =
        [
            (Nine, "Available"), (Nine.AddMinutes(3), "Reserved"), (Nine.AddMinutes(3.25), "OnCall"), (Nine.AddMinutes(9), "WrapUp"),
            (Nine.AddMinutes(10), "Break"), (Nine.AddMinutes(14), "Available"), (Nine.AddMinutes(15), "Offline"),
        ];

        var quarter = AgentTime.PerInterval("Offline", changes, Nine, Quarter)[Nine];

        Assert.That(quarter, Is.EqualTo(new AgentSeconds(Available: 240, Handling: 420, Break: 240)));
        Assert.That(quarter.Occupancy, Is.EqualTo(420.0 / 660));
    }

    [Test]
    public void A_state_spanning_intervals_is_cut_at_each_boundary()
    {
        (DateTimeOffset, string)[] changes = [(Nine.AddMinutes(40), "Offline")];

        var cut = AgentTime.PerInterval("OnCall", changes, Nine.AddMinutes(10), Quarter);

        Assert.That(cut.Keys, Is.EqualTo(new[] { Nine, Nine.AddMinutes(15), Nine.AddMinutes(30) }));
        Assert.That(cut.Values.Select(s => s.Handling), Is.EqualTo(new[] { 300.0, 900, 600 }));
    }

    [Test]
    public void Time_after_the_last_known_change_is_not_counted_yet()
    {
        var cut = AgentTime.PerInterval("Offline", [(Nine.AddMinutes(5), "Available")], Nine, Quarter);

        Assert.That(cut, Is.Empty, "offline time is not logged-in time, and the available span has no end yet");
    }
}
