using CallCenter.Core.Metrics;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Metrics;
using CallCenter.Server.Routing;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Tests.Metrics;

/// <summary>
/// The worker adds each batch's agent time to the stored rows (and recuts an agent whose change arrives late); after
/// several batches every agent row must hold exactly what cutting the agent's whole history at once gives.
/// </summary>
public sealed class AgentTimeRollupTests
{
    private static readonly string[] States = ["Available", "Reserved", "OnCall", "WrapUp", "Break", "Available", "Offline"];

    [Test]
    public async Task Agent_time_added_batch_by_batch_or_recut_after_a_late_change_equals_cutting_the_whole_history()
    {
        await using var database = await TestDatabase.CreateAsync("agenttime");
        await using var server = new CallCenterServerFactory(database);
        var options = server.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        var day = RollupCalculator.LocalDay(server.Clock.GetUtcNow(), options.Zone).AddDays(-2);
        var nine = RollupCalculator.DayBounds(day, options.Zone).From.AddHours(9);
        var log = server.Services.GetRequiredService<ICallEventLog>();
        var worker = server.Services.GetRequiredService<MetricsWorker>();
        var random = new Random(7);
        // Two agents' state changes over two hours, at odd instants (to the microsecond, as PostgreSQL keeps them) so spans
        // cross interval boundaries.
        List<(DateTimeOffset At, string To)> History() => [.. Enumerable.Range(0, 30)
            .Select(i => (nine.AddSeconds(i * 240 + random.Next(200)).AddMicroseconds(random.Next(1_000_000)), States[random.Next(States.Length)]))];
        var inOrder = History();
        var withLate = History();

        async Task Append(string agent, IEnumerable<(DateTimeOffset At, string To)> changes)
        {
            foreach (var (at, to) in changes)
                await log.AppendAsync(new NewCallEvent(AcdHost.AgentStream(agent), "agent.state_changed", $"{AcdHost.AgentStepKeyPrefix(at)}:{to}",
                    at, CallEventPayload.Serialize(new { agent, to })), CancellationToken.None);
        }

        // Three batches; the second agent's third batch brings a change from before the last one already counted.
        var late = withLate[14];
        withLate.RemoveAt(14);
        await Append("A-time-1", inOrder.Take(10));
        await Append("A-time-2", withLate.Take(10));
        await worker.RunOnceAsync(CancellationToken.None);
        await Append("A-time-1", inOrder.Skip(10).Take(10));
        await Append("A-time-2", withLate.Skip(10).Take(10));
        await worker.RunOnceAsync(CancellationToken.None);
        await Append("A-time-1", inOrder.Skip(20));
        await Append("A-time-2", withLate.Skip(20).Prepend(late));
        await worker.RunOnceAsync(CancellationToken.None);
        withLate.Insert(14, late);

        foreach (var (agent, history) in new[] { ("A-time-1", inOrder), ("A-time-2", withLate) })
        {
            var expected = AgentTime.PerInterval(null, history, history[0].At, options.Interval);
            await using var scope = server.Services.CreateAsyncScope();
            var rows = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().AgentIntervalRollups.AsNoTracking()
                .Where(r => r.Agent == agent).OrderBy(r => r.IntervalStart).ToListAsync();
            Assert.That(rows.Select(r => r.IntervalStart), Is.EqualTo(expected.Keys.Order()), agent);
            Assert.That(rows.Select(r => (r.AvailableSeconds, r.HandlingSeconds, r.BreakSeconds, r.Occupancy)),
                Is.EqualTo(expected.OrderBy(e => e.Key).Select(e => (e.Value.Available, e.Value.Handling, e.Value.Break, e.Value.Occupancy))),
                $"{agent}: every interval exactly as one cut of the whole history");
        }
    }
}
