using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CallCenter.Core.Ivr;
using CallCenter.Server.Degraded;
using CallCenter.Server.Routing;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CallCenter.Server.Ivr;

/// <summary>A call's IVR state and the reply already given to one webhook step, as stored.</summary>
public sealed record IvrSession(IvrCallState? State, string? Reply);

/// <summary>
/// Keeps each call's IVR state in Redis (shared by every instance) with a TTL, encrypted with
/// AES-256-GCM because it briefly holds a card number. The TwiML given for each step is kept beside
/// it, so a webhook Twilio retries gets the same answer without being run twice.
/// A single instance (in-process ACD) also keeps every session in its own memory and reads that first, so it
/// carries on through a Redis outage; Redis then only lets a restarted process pick up calls in progress.
/// Several instances must share the state: there a Redis failure surfaces (503, and Twilio's fallback URL).
/// </summary>
public sealed class IvrSessionStore : IDisposable
{
    private const string StateField = "state";
    // State and reply in one command that also sets the TTL, so a key holding a card number can never outlive it.
    private const string SaveScript = "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]) redis.call('PEXPIRE', KEYS[1], ARGV[5])";
    private readonly IConnectionMultiplexer _redis;
    private readonly TimeSpan _ttl;
    private readonly byte[] _key;
    // AesGcm holds a native cipher context that is costly to build and not safe to share between threads.
    private readonly ThreadLocal<AesGcm> _aes;
    private readonly MemoryCache? _local;
    private readonly DegradedState _degraded;
    private readonly ILogger<IvrSessionStore> _logger;

    /// <summary>A session as the single instance holds it in memory; replies per step.</summary>
    private sealed class LocalSession
    {
        public IvrCallState? State { get; set; }
        public ConcurrentDictionary<string, string> Replies { get; } = new(StringComparer.Ordinal);
    }

    public IvrSessionStore(IConnectionMultiplexer redis, IOptions<IvrHostOptions> options, IOptions<AcdStoreOptions> store, DegradedState degraded,
        ILogger<IvrSessionStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        _redis = redis;
        _degraded = degraded;
        _logger = logger;
        _ttl = options.Value.SessionTtl;
        if (store.Value.Store == AcdStoreKind.InMemory) _local = new MemoryCache(new MemoryCacheOptions());
        if (options.Value.StateKey is { Length: > 0 } configured)
        {
            _key = Convert.FromBase64String(configured);
            if (_key.Length != 32) throw new InvalidOperationException("Ivr:StateKey must be base64 of exactly 32 bytes.");
        }
        else
        {
            _key = RandomNumberGenerator.GetBytes(32);
            logger.LogWarning("Ivr:StateKey is not set: IVR state is encrypted with a per-process key, which only works with one instance");
        }
        _aes = new ThreadLocal<AesGcm>(() => new AesGcm(_key, 16), trackAllValues: true);
    }

    private static RedisKey KeyOf(string callSid) => "ivr:" + callSid;

    public async Task<IvrSession> LoadAsync(string callSid, string replyField)
    {
        if (_local?.Get<LocalSession>(callSid) is { } local)
            return new IvrSession(local.State, local.Replies.GetValueOrDefault(replyField));
        if (_local is not null && !_redis.IsConnected)
        {
            // Not in memory and Redis away: a call this process never saw (started before a restart) cannot be resumed.
            _degraded.RedisFailed();
            return new IvrSession(null, null);
        }
        RedisValue[] values;
        try
        {
            values = await _redis.GetDatabase().HashGetAsync(KeyOf(callSid), [StateField, replyField]);
        }
        catch (Exception ex) when (_local is not null && DependencyFailures.IsRedisUnavailable(ex))
        {
            _degraded.RedisFailed();
            return new IvrSession(null, null);
        }
        var state = values[0].HasValue ? JsonSerializer.Deserialize<IvrCallState>(Decrypt(callSid, StateField, values[0]!)) : null;
        var reply = values[1].HasValue ? Encoding.UTF8.GetString(Decrypt(callSid, replyField, values[1]!)) : null;
        return new IvrSession(state, reply);
    }

    public async Task SaveAsync(string callSid, IvrCallState state, string replyField, string reply)
    {
        if (_local is not null)
        {
            var local = _local.GetOrCreate(callSid, _ => new LocalSession())!;
            local.State = state;
            local.Replies[replyField] = reply;
            _local.Set(callSid, local, _ttl);
            // Redis is the copy a restarted process reads; the call must not wait for it, nor fail without it.
            if (!_redis.IsConnected)
            {
                _degraded.RedisFailed();
                return;
            }
            _ = CopyToRedisAsync(callSid, state, replyField, reply);
            return;
        }
        await WriteToRedisAsync(callSid, state, replyField, reply);
    }

    private async Task CopyToRedisAsync(string callSid, IvrCallState state, string replyField, string reply)
    {
        try
        {
            await WriteToRedisAsync(callSid, state, replyField, reply);
            _degraded.RedisAnswered();
        }
        catch (Exception ex)
        {
            _degraded.RedisFailed();
            _logger.LogWarning(ex, "IVR state of {CallSid} kept in memory only: Redis did not take it", callSid);
        }
    }

    private async Task WriteToRedisAsync(string callSid, IvrCallState state, string replyField, string reply)
    {
        await _redis.GetDatabase().ScriptEvaluateAsync(SaveScript, [KeyOf(callSid)],
        [
            StateField, Encrypt(callSid, StateField, JsonSerializer.SerializeToUtf8Bytes(state)),
            replyField, Encrypt(callSid, replyField, Encoding.UTF8.GetBytes(reply)),
            (long)_ttl.TotalMilliseconds,
        ]);
    }

    // nonce (12) | tag (16) | ciphertext; the call and field are authenticated so values cannot be swapped.
    private byte[] Encrypt(string callSid, string field, byte[] plain)
    {
        var sealedBox = new byte[12 + 16 + plain.Length];
        var nonce = sealedBox.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        _aes.Value!.Encrypt(nonce, plain, sealedBox.AsSpan(28), sealedBox.AsSpan(12, 16), Encoding.UTF8.GetBytes(callSid + "/" + field));
        return sealedBox;
    }

    private byte[] Decrypt(string callSid, string field, byte[] sealedBox)
    {
        var plain = new byte[sealedBox.Length - 28];
        _aes.Value!.Decrypt(sealedBox.AsSpan(0, 12), sealedBox.AsSpan(28), sealedBox.AsSpan(12, 16), plain, Encoding.UTF8.GetBytes(callSid + "/" + field));
        return plain;
    }

    public void Dispose()
    {
        _local?.Dispose();
        foreach (var aes in _aes.Values) aes.Dispose();
        _aes.Dispose();
    }
}
