using System.ComponentModel.DataAnnotations;
using StackExchange.Redis;

namespace CallCenter.Server.Outbound;

/// <summary>The <c>Outbound:Pacing</c> section: the Twilio account's calls-per-second limit, shared by every instance.</summary>
public sealed class CallPacingOptions
{
    public const string SectionName = "Outbound:Pacing";

    /// <summary>Twilio's outbound call rate for the account (1 by default at Twilio; raised on request).</summary>
    [Range(0.001, 1000)]
    public double CallsPerSecond { get; set; } = 1;

    /// <summary>Calls that may go at once after a quiet spell; 1 keeps every second within the limit.</summary>
    [Range(1, 1000)]
    public int Burst { get; set; } = 1;

    /// <summary>Redis key of the bucket; one per Twilio account.</summary>
    [Required]
    public string RedisKey { get; set; } = "twilio:cps";
}

/// <summary>
/// A token bucket in Redis, so every server instance placing calls on one Twilio account draws from the same
/// tokens: the account's calls-per-second limit holds for all of them together. The refill and the take are one Lua
/// script (atomic in Redis) timed by Redis's own clock, so instances with drifting clocks still agree. Tokens are
/// counted in billionths so the arithmetic stays in exact integers for rates down to 0.001 per second.
/// </summary>
public sealed class TwilioCallPacer(IConnectionMultiplexer redis, CallPacingOptions options)
{
    // @rate: nano-tokens added per microsecond (calls per second × 1000); @capacity in nano-tokens.
    // Returns {1, now_us} when a token was taken, {0, wait_us} otherwise.
    private static readonly LuaScript Take = LuaScript.Prepare("""
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local rate = tonumber(@rate)
        local capacity = tonumber(@capacity)
        local state = redis.call('HMGET', @key, 'tokens', 'ts')
        local tokens = tonumber(state[1]) or capacity
        local ts = tonumber(state[2]) or now
        if now > ts then tokens = math.min(capacity, tokens + (now - ts) * rate) end
        if tokens >= 1000000000 then
          tokens = tokens - 1000000000
          redis.call('HSET', @key, 'tokens', tokens, 'ts', now)
          redis.call('PEXPIRE', @key, 60000)
          return {1, now}
        end
        redis.call('HSET', @key, 'tokens', tokens, 'ts', now)
        redis.call('PEXPIRE', @key, 60000)
        return {0, math.ceil((1000000000 - tokens) / rate)}
        """);

    private readonly RedisKey _key = options.RedisKey;
    private readonly long _rate = Math.Max(1, (long)Math.Floor(options.CallsPerSecond * 1000));
    private readonly long _capacity = options.Burst * 1_000_000_000L;

    /// <summary>Waits for a token; returns Redis's time (UTC) at which it was granted.</summary>
    public async Task<DateTimeOffset> AcquireAsync(CancellationToken ct)
    {
        while (true)
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Take, new { key = _key, rate = _rate, capacity = _capacity }))!;
            var value = (long)result[1];
            if ((long)result[0] == 1)
                return DateTimeOffset.FromUnixTimeMilliseconds(value / 1000).AddTicks(value % 1000 * 10);
            // Wall-clock wait on purpose: the bucket refills on Redis's clock, not on the server's (possibly simulated) one.
            await Task.Delay(TimeSpan.FromMicroseconds(value), ct);
        }
    }
}
