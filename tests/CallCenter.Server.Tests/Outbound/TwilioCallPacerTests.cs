using System.Collections.Concurrent;
using CallCenter.Server.Outbound;
using CallCenter.Testing;
using StackExchange.Redis;

namespace CallCenter.Server.Tests.Outbound;

/// <summary>Two instances, each with its own Redis connection and several diallers, share one calls-per-second limit.</summary>
public sealed class TwilioCallPacerTests
{
    [Test]
    public async Task Two_instances_together_never_exceed_the_calls_per_second_limit()
    {
        const int limit = 5;
        var options = new CallPacingOptions { CallsPerSecond = limit, Burst = 1, RedisKey = "test:cps:" + Guid.NewGuid().ToString("N") };
        await using var first = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        await using var second = await ConnectionMultiplexer.ConnectAsync(TestInfrastructure.Redis);
        var pacers = new[] { new TwilioCallPacer(first, options), new TwilioCallPacer(second, options) };
        var granted = new ConcurrentBag<DateTimeOffset>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));

        // Four diallers per instance, each taking a token and "placing a call" as fast as it is allowed.
        await Task.WhenAll(pacers.SelectMany(p => Enumerable.Range(0, 4).Select(async _ =>
        {
            try
            {
                while (true) granted.Add(await p.AcquireAsync(stop.Token));
            }
            catch (OperationCanceledException)
            {
            }
        })));

        var times = granted.Order().ToList();
        // The most calls any one-second window [t, t + 1 s) saw, starting at each grant.
        var busiest = times.Select((t, i) => times.Skip(i).TakeWhile(u => u < t.AddSeconds(1)).Count()).Max();
        Assert.Multiple(() =>
        {
            Assert.That(busiest, Is.LessThanOrEqualTo(limit), "no second holds more calls than the account's limit");
            Assert.That(times, Has.Count.GreaterThanOrEqualTo(limit * 2), "yet the limit is used, not starved");
        });
    }
}
