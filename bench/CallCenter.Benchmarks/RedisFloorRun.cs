using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace CallCenter.Benchmarks;

/// <summary>
/// The floor under the Redis store's cost per round trip: the smallest script (<c>return 1</c>) called the way the ACD host calls
/// its scripts (synchronously, one at a time under a gate, many agents waiting for it), and called asynchronously with many in
/// flight at once (what an asynchronous engine and store could pipeline). Prints client and Redis CPU per round trip.
/// </summary>
internal static class RedisFloorRun
{
    /// <param name="redis">A private Redis (the figures read its INFO cpu).</param>
    /// <param name="mode"><c>sync</c> (gate, synchronous calls) or <c>async</c> (no gate, every caller's script in flight at once).</param>
    /// <param name="callers">Concurrent callers (agents).</param>
    /// <param name="seconds">Timed seconds, after as many untimed.</param>
    public static async Task RunAsync(string redis, string mode, int callers, int seconds)
    {
        var inv = CultureInfo.InvariantCulture;
        using var connection = await ConnectionMultiplexer.ConnectAsync(redis + ",allowAdmin=true");
        var db = connection.GetDatabase();
        var server = connection.GetServers()[0];
        using var gate = new SemaphoreSlim(1, 1);
        long calls = 0;

        async Task CallerAsync(Stopwatch clock, int forSeconds)
        {
            while (clock.Elapsed.TotalSeconds < forSeconds)
            {
                if (mode == "async")
                {
                    await db.ScriptEvaluateAsync("return 1");
                }
                else
                {
                    await gate.WaitAsync();
                    try
                    {
                        db.ScriptEvaluate("return 1");
                    }
                    finally
                    {
                        gate.Release();
                    }
                }
                Interlocked.Increment(ref calls);
            }
        }

        var warming = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(() => CallerAsync(warming, seconds))));
        var redisBefore = await RedisCpuMsAsync(server);
        var before = Interlocked.Read(ref calls);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(() => CallerAsync(clock, seconds))));
        clock.Stop();
        var clientMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        var redisMs = await RedisCpuMsAsync(server) - redisBefore;
        var n = Interlocked.Read(ref calls) - before;
        Console.WriteLine(string.Format(inv, "{0}, {1} callers: {2:N0} scripts/s; per script {3:F1} µs client CPU, {4:F1} µs Redis CPU",
            mode, callers, n / clock.Elapsed.TotalSeconds, 1000 * clientMs / n, 1000 * redisMs / n));
    }

    private static async Task<double> RedisCpuMsAsync(IServer server)
    {
        var cpu = (await server.InfoAsync("cpu")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return 1000 * (double.Parse(cpu["used_cpu_user"], CultureInfo.InvariantCulture) + double.Parse(cpu["used_cpu_sys"], CultureInfo.InvariantCulture));
    }
}
