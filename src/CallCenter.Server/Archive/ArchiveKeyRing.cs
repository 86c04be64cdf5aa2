using System.Security.Cryptography;
using CallCenter.Core.Archive;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Archive;

/// <summary>The master keys that wrap recordings' data keys, by id; the active one seals new recordings.</summary>
public sealed class ArchiveKeyRing
{
    private readonly Dictionary<string, byte[]> _keys;

    public ArchiveKeyRing(IOptions<ArchiveOptions> options) : this(options?.Value ?? throw new ArgumentNullException(nameof(options))) { }

    public ArchiveKeyRing(ArchiveOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _keys = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (id, base64) in options.MasterKeys)
        {
            byte[] key;
            try { key = Convert.FromBase64String(base64); }
            catch (FormatException) { throw new InvalidOperationException($"Archive master key '{id}' is not base64."); }
            if (key.Length != RecordingEnvelope.KeySize)
                throw new InvalidOperationException($"Archive master key '{id}' has {key.Length} bytes; it must have {RecordingEnvelope.KeySize}.");
            _keys[id] = key;
        }
        ActiveKeyId = options.ActiveKeyId ?? (_keys.Count == 1 ? _keys.Keys.Single() : null);
        if (ActiveKeyId is not null && !_keys.ContainsKey(ActiveKeyId))
            throw new InvalidOperationException($"Archive:ActiveKeyId '{ActiveKeyId}' names no configured master key.");
    }

    /// <summary>Null when no master key is configured: recordings then wait in their jobs until one is.</summary>
    public string? ActiveKeyId { get; }

    /// <summary>Wraps a new data key under the active master key.</summary>
    public (string KeyId, byte[] Wrapped) Wrap(byte[] dataKey, string recordingSid)
    {
        if (ActiveKeyId is null)
            throw new InvalidOperationException("No archive master key is configured (environment Archive__MasterKeys__<id> and Archive__ActiveKeyId).");
        return (ActiveKeyId, DataKeyWrap.Wrap(_keys[ActiveKeyId], dataKey, recordingSid));
    }

    /// <summary>The data key of an archived recording; throws <see cref="CryptographicException"/> when its master key is unknown or wrong.</summary>
    public byte[] Unwrap(string keyId, byte[] wrapped, string recordingSid) =>
        _keys.TryGetValue(keyId, out var master)
            ? DataKeyWrap.Unwrap(master, wrapped, recordingSid)
            : throw new CryptographicException($"Archive master key '{keyId}' is not configured.");
}
