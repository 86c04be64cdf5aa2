using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CallCenter.Server.Tests.Hosting;

/// <summary>The server's Redis connection under the synchronous load the ACD puts on it.</summary>
public sealed class RedisConnectionTests
{
    [Test]
    [NonParallelizable] // It blocks every pool thread of the test process on purpose, which would stall whatever runs beside it.
    public async Task Synchronous_redis_calls_get_their_replies_while_every_pool_thread_is_waiting_on_one()
    {
        await using var redis = await PrivateRedis.StartAsync();
        await using var h = new AcdHarness(settings: new Dictionary<string, string> { ["ConnectionStrings:Redis"] = redis.ConnectionString });
        var db = h.Server.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        await db.StringSetAsync("probe", "ok");

        // More blocked callers than the pool has threads: a reply read on the pool would wait behind them past the 1 s timeout.
        var callers = Enumerable.Range(0, 4 * Environment.ProcessorCount + 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 200; i++) Assert.That((string?)db.StringGet("probe"), Is.EqualTo("ok"));
        }));

        Assert.That(async () => await Task.WhenAll(callers), Throws.Nothing);
    }
}
