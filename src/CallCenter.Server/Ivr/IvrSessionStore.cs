using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
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
/// AES-256-GCM because it briefly holds a card number. The TwiML given for the call's last step is kept beside
/// it, so a webhook Twilio retries gets the same answer without being run twice. Only the last: Twilio retries a
/// webhook before the call moves on, never after, and an older step is answered as stale (its reply gone).
/// A single instance (in-process ACD) also keeps every session in its own memory and reads that first, so it
/// carries on through a Redis outage; Redis then only lets a restarted process pick up calls in progress.
/// Several instances must share the state: there a Redis failure surfaces (503, and Twilio's fallback URL).
/// After the call's final status its session lives on only for <see cref="IvrHostOptions.EndedSessionTtl"/>.
/// </summary>
public class IvrSessionStore : IDisposable
{
    private const string StateField = "state";
    // The last reply, sealed with the name of the step it answers (in ReplyStepField) as associated data.
    private const string ReplyField = "reply";
    private const string ReplyStepField = "reply-step";
    // State and reply in one command that also sets the TTL, so a key holding a card number can never outlive it.
    private const string SaveScript =
        "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]) redis.call('PEXPIRE', KEYS[1], ARGV[7])";
    private static readonly RedisValue[] LoadFields = [StateField, ReplyStepField, ReplyField];
    private readonly IConnectionMultiplexer _redis;
    private readonly TimeSpan _ttl;
    private readonly TimeSpan _endedTtl;
    private readonly byte[] _key;
    // AesGcm holds a native cipher context that is costly to build and not safe to share between threads.
    private readonly ThreadLocal<AesGcm> _aes;
    private readonly MemoryCache? _local;
    private readonly DegradedState _degraded;
    private readonly ILogger<IvrSessionStore> _logger;

    /// <summary>A session as the single instance holds it in memory: replaced whole by each step, so a reader never sees half of one.</summary>
    private sealed record LocalSession(IvrCallState State, string ReplyStep, string Reply);

    public IvrSessionStore(IConnectionMultiplexer redis, IOptions<IvrHostOptions> options, IOptions<AcdStoreOptions> store, DegradedState degraded,
        ILogger<IvrSessionStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        _redis = redis;
        _degraded = degraded;
        _logger = logger;
        _ttl = options.Value.SessionTtl;
        _endedTtl = options.Value.EndedSessionTtl < _ttl ? options.Value.EndedSessionTtl : _ttl;
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
            return new IvrSession(local.State, local.ReplyStep == replyField ? local.Reply : null);
        if (_local is not null && !_redis.IsConnected)
        {
            // Not in memory and Redis away: a call this process never saw (started before a restart) cannot be resumed.
            _degraded.RedisFailed();
            return new IvrSession(null, null);
        }
        RedisValue[] values;
        try
        {
            values = await _redis.GetDatabase().HashGetAsync(KeyOf(callSid), LoadFields);
        }
        catch (Exception ex) when (_local is not null && DependencyFailures.IsRedisUnavailable(ex))
        {
            _degraded.RedisFailed();
            return new IvrSession(null, null);
        }
        var state = values[0].HasValue ? JsonSerializer.Deserialize(Decrypt(callSid, StateField, values[0]!), IvrStateJson.Default.IvrCallState) : null;
        var reply = values[1] == replyField && values[2].HasValue ? Encoding.UTF8.GetString(Decrypt(callSid, replyField, values[2]!)) : null;
        return new IvrSession(state, reply);
    }

    // Virtual so that a test can make Redis fail between a step's enqueue and its save.
    public virtual async Task SaveAsync(string callSid, IvrCallState state, string replyField, string reply)
    {
        if (_local is not null)
        {
            _local.Set(callSid, new LocalSession(state, replyField, reply), _ttl);
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
            StateField, SealState(callSid, state),
            ReplyStepField, replyField,
            ReplyField, SealText(callSid, replyField, reply),
            (long)_ttl.TotalMilliseconds,
        ]);
    }

    /// <summary>
    /// Whether this call has an IVR session, which only its incoming webhook creates: then the call is known without asking
    /// the database. False when it has none, or Redis (without a copy in memory) cannot say.
    /// </summary>
    public async Task<bool> HoldsAsync(string callSid)
    {
        if (_local?.TryGetValue(callSid, out _) == true) return true;
        if (_local is not null && !_redis.IsConnected) return false;
        try
        {
            return await _redis.GetDatabase().KeyExistsAsync(KeyOf(callSid));
        }
        catch (Exception ex) when (DependencyFailures.IsRedisUnavailable(ex))
        {
            return false;
        }
    }

    /// <summary>
    /// The call has ended (its final status came): its session is kept only <see cref="IvrHostOptions.EndedSessionTtl"/> longer,
    /// for a webhook Twilio still posts after the hang-up (a &lt;Record&gt;'s action), instead of <see cref="IvrHostOptions.SessionTtl"/>.
    /// Best effort: a call whose Redis key keeps its full TTL is not worth failing the status callback for.
    /// </summary>
    public async Task EndAsync(string callSid)
    {
        if (_local?.Get<LocalSession>(callSid) is { } local) _local.Set(callSid, local, _endedTtl);
        if (_local is not null && !_redis.IsConnected) return;
        try
        {
            await _redis.GetDatabase().KeyExpireAsync(KeyOf(callSid), _endedTtl);
        }
        catch (Exception ex) when (DependencyFailures.IsRedisUnavailable(ex))
        {
            _logger.LogWarning(ex, "IVR state of ended call {CallSid} keeps its full TTL: Redis did not take the shorter one", callSid);
        }
    }

    // Every step seals its state and reply: the plain bytes go through one buffer per thread instead of new arrays each time.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_plain;
    [ThreadStatic] private static Utf8JsonWriter? t_json;

    private byte[] SealState(string callSid, IvrCallState state)
    {
        var plain = PlainBuffer();
        var json = t_json ??= new Utf8JsonWriter(plain);
        json.Reset(plain);
        JsonSerializer.Serialize(json, state, IvrStateJson.Default.IvrCallState);
        return Encrypt(callSid, StateField, plain.WrittenSpan);
    }

    private byte[] SealText(string callSid, string field, string text)
    {
        var plain = PlainBuffer();
        plain.Advance(Encoding.UTF8.GetBytes(text, plain.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length))));
        return Encrypt(callSid, field, plain.WrittenSpan);
    }

    private static ArrayBufferWriter<byte> PlainBuffer()
    {
        var plain = t_plain ??= new ArrayBufferWriter<byte>(4096);
        plain.ResetWrittenCount();
        return plain;
    }

    // nonce (12) | tag (16) | ciphertext; the call and field are authenticated so values cannot be swapped.
    private byte[] Encrypt(string callSid, string field, ReadOnlySpan<byte> plain)
    {
        var sealedBox = new byte[12 + 16 + plain.Length];
        var nonce = sealedBox.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> aad = stackalloc byte[MaxAssociatedData];
        _aes.Value!.Encrypt(nonce, plain, sealedBox.AsSpan(28), sealedBox.AsSpan(12, 16), AssociatedData(callSid, field, aad));
        return sealedBox;
    }

    private byte[] Decrypt(string callSid, string field, byte[] sealedBox)
    {
        var plain = new byte[sealedBox.Length - 28];
        Span<byte> aad = stackalloc byte[MaxAssociatedData];
        _aes.Value!.Decrypt(sealedBox.AsSpan(0, 12), sealedBox.AsSpan(28), sealedBox.AsSpan(12, 16), plain, AssociatedData(callSid, field, aad));
        return plain;
    }

    private const int MaxAssociatedData = 512;

    // "{callSid}/{field}" in UTF-8; Twilio's ids and our field names are short, anything longer goes to the heap.
    private static ReadOnlySpan<byte> AssociatedData(string callSid, string field, Span<byte> buffer)
    {
        if (Encoding.UTF8.GetMaxByteCount(callSid.Length + field.Length + 1) > buffer.Length)
            return Encoding.UTF8.GetBytes(callSid + "/" + field);
        var written = Encoding.UTF8.GetBytes(callSid, buffer);
        buffer[written++] = (byte)'/';
        written += Encoding.UTF8.GetBytes(field, buffer[written..]);
        return buffer[..written];
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing) return;
        _local?.Dispose();
        foreach (var aes in _aes.Values) aes.Dispose();
        _aes.Dispose();
    }
}

/// <summary>
/// The call's state as stored, generated at build time: every step writes it and every restart reads it, and the reflection
/// serializer's per-call metadata lookups showed in the profile. Default options, so stored states read the same either way.
/// </summary>
[JsonSerializable(typeof(IvrCallState))]
internal sealed partial class IvrStateJson : JsonSerializerContext;
