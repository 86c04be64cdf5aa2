using StackExchange.Redis;

namespace CallCenter.Server.Hosting;

/// <summary>The server's Redis client settings, in one place so that benchmarks measure the client the server runs.</summary>
public static class RedisConnection
{
    public static IConnectionMultiplexer Connect(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        // Start even while Redis is down; readiness reports it and the client reconnects.
        options.AbortOnConnectFail = false;
        // The ACD's pure engine reads and commits synchronously inside its gate. SE.Redis 3 reads replies on the global
        // thread-pool by default, so when a burst leaves the pool short of threads, the reply a blocked thread waits for
        // is never read and the call fails with a sync timeout (16 sync callers: 92 timeouts in 15 s; none with this).
        ConnectionMultiplexer.SetFeatureFlag("DedicatedThreads", true);
        return ConnectionMultiplexer.Connect(options);
    }
}
