using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace CallCenter.Server.Telephony;

/// <summary>
/// Checks X-Twilio-Signature as Twilio's <c>RequestValidator</c> does: base64 HMAC-SHA1 of the public URL (tried without
/// and with its port, since Twilio signs either) followed by every form field's name and value, sorted by name.
/// One instance serves every webhook: the library's validator, built per request by the endpoint filter, made two native
/// hash objects and several <see cref="UriBuilder"/>s per request; here the two URL forms are worked out once and each
/// check hashes one pooled buffer.
/// </summary>
public sealed class TwilioSignatureValidator
{
    private readonly byte[] _key;
    private readonly byte[] _withoutPort;
    private readonly byte[] _withPort;

    public TwilioSignatureValidator(IOptions<TwilioOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var publicBase = options.Value.PublicBaseUrl ?? throw new InvalidOperationException("Twilio:PublicBaseUrl is not configured.");
        _key = Encoding.UTF8.GetBytes(options.Value.AuthToken);
        const UriComponents Base = UriComponents.Scheme | UriComponents.UserInfo | UriComponents.Host | UriComponents.Path;
        _withoutPort = Encoding.UTF8.GetBytes(publicBase.GetComponents(Base, UriFormat.UriEscaped).TrimEnd('/'));
        // StrongPort: the scheme's default port written out when the URL has none (Twilio's validator adds 443 or 80).
        _withPort = Encoding.UTF8.GetBytes(publicBase.GetComponents(Base | UriComponents.StrongPort, UriFormat.UriEscaped).TrimEnd('/'));
    }

    /// <summary>Whether <paramref name="signature"/> signs this path and query under the public URL, with these form fields.</summary>
    public bool IsValid(string pathAndQuery, IFormCollection? form, string signature)
    {
        ArgumentNullException.ThrowIfNull(pathAndQuery);
        ArgumentNullException.ThrowIfNull(signature);
        if (signature.Length == 0) return false;

        var fields = form?.Count ?? 0;
        var names = ArrayPool<string>.Shared.Rent(fields);
        byte[]? data = null;
        try
        {
            var length = Encoding.UTF8.GetMaxByteCount(pathAndQuery.Length);
            var i = 0;
            if (form is not null)
            {
                foreach (var (name, value) in form)
                {
                    names[i++] = name;
                    length += Encoding.UTF8.GetMaxByteCount(name.Length) + MaxByteCount(value);
                }
            }
            Array.Sort(names, 0, fields, StringComparer.Ordinal);

            // The URL's base goes right before the rest, so either form of it makes one contiguous message with the same tail.
            var prefix = Math.Max(_withoutPort.Length, _withPort.Length);
            data = ArrayPool<byte>.Shared.Rent(prefix + length);
            var end = prefix + Encoding.UTF8.GetBytes(pathAndQuery, data.AsSpan(prefix));
            for (i = 0; i < fields; i++)
            {
                end += Encoding.UTF8.GetBytes(names[i], data.AsSpan(end));
                end += Append(form![names[i]], data.AsSpan(end));
            }
            return Matches(_withoutPort, data, prefix, end, signature) || Matches(_withPort, data, prefix, end, signature);
        }
        finally
        {
            ArrayPool<string>.Shared.Return(names, clearArray: true);
            if (data is not null) ArrayPool<byte>.Shared.Return(data);
        }
    }

    private bool Matches(byte[] urlBase, byte[] data, int prefix, int end, string signature)
    {
        var start = prefix - urlBase.Length;
        urlBase.CopyTo(data, start);
        Span<byte> mac = stackalloc byte[HMACSHA1.HashSizeInBytes];
#pragma warning disable CA5350 // Twilio defines the signature as HMAC-SHA1; we must match it.
        HMACSHA1.HashData(_key, data.AsSpan(start, end - start), mac);
#pragma warning restore CA5350
        Span<char> expected = stackalloc char[28];
        Convert.TryToBase64Chars(mac, expected, out var written);
        return CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected[..written]), MemoryMarshal.AsBytes(signature.AsSpan()));
    }

    // A field sent more than once signs as its values joined with commas, as the library saw it (StringValues.ToString()).
    private static int MaxByteCount(StringValues values)
    {
        var count = Math.Max(0, values.Count - 1);
        foreach (var value in values) count += Encoding.UTF8.GetMaxByteCount(value?.Length ?? 0);
        return count;
    }

    private static int Append(StringValues values, Span<byte> destination)
    {
        var written = 0;
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0) destination[written++] = (byte)',';
            written += Encoding.UTF8.GetBytes(values[i] ?? "", destination[written..]);
        }
        return written;
    }
}
