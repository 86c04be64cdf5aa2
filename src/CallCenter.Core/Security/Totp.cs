using System.Globalization;
using System.Security.Cryptography;

namespace CallCenter.Core.Security;

/// <summary>The HMAC a TOTP generator uses (RFC 6238 §1.2); authenticator apps use SHA-1.</summary>
public enum TotpAlgorithm
{
    Sha1,
    Sha256,
    Sha512,
}

/// <summary>How a code was judged.</summary>
public enum TotpVerdict
{
    Accepted,
    /// <summary>Not a code of any step inside the window.</summary>
    Wrong,
    /// <summary>A code of a step already used to sign in (RFC 6238 §5.2: one code, one verification).</summary>
    Replayed,
}

/// <summary>The verdict and, when a step matched, which one (stored so that step cannot be used again).</summary>
public readonly record struct TotpCheck(TotpVerdict Verdict, long? MatchedStep);

/// <summary>
/// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): counter = floor(unix seconds / step), HMAC of the
/// big-endian counter, dynamic truncation, last <c>digits</c> decimal digits.
/// </summary>
public static class Totp
{
    public const int DefaultDigits = 6;
    public const int DefaultStepSeconds = 30;

    /// <summary>The time step containing <paramref name="instant"/>.</summary>
    public static long StepAt(DateTimeOffset instant, int stepSeconds = DefaultStepSeconds) =>
        (long)Math.Floor(instant.ToUnixTimeSeconds() / (double)stepSeconds);

    /// <summary>The code of one time step.</summary>
    public static string Code(ReadOnlySpan<byte> secret, long step, int digits = DefaultDigits, TotpAlgorithm algorithm = TotpAlgorithm.Sha1)
    {
        if (digits is < 6 or > 9) throw new ArgumentOutOfRangeException(nameof(digits), "RFC 4226 codes have 6 to 9 digits here.");
        Span<byte> counter = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> mac = stackalloc byte[64];
        var length = algorithm switch
        {
            // HMAC-SHA-1 is what RFC 6238 defaults to and what authenticator apps compute; HMAC (unlike plain
            // SHA-1) has no known practical weakness here.
#pragma warning disable CA5350
            TotpAlgorithm.Sha1 => HMACSHA1.HashData(secret, counter, mac),
#pragma warning restore CA5350
            TotpAlgorithm.Sha256 => HMACSHA256.HashData(secret, counter, mac),
            TotpAlgorithm.Sha512 => HMACSHA512.HashData(secret, counter, mac),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };
        var offset = mac[length - 1] & 0x0f;
        var binary = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
        var modulus = (int)Math.Pow(10, digits);
        return (binary % modulus).ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    /// <summary>The code for the step containing <paramref name="instant"/>.</summary>
    public static string CodeAt(ReadOnlySpan<byte> secret, DateTimeOffset instant, int digits = DefaultDigits,
        int stepSeconds = DefaultStepSeconds, TotpAlgorithm algorithm = TotpAlgorithm.Sha1) =>
        Code(secret, StepAt(instant, stepSeconds), digits, algorithm);

    /// <summary>
    /// Checks a code against the steps from <paramref name="window"/> before to <paramref name="window"/> after now
    /// (clock drift, RFC 6238 §5.2). A matching step at or before <paramref name="lastUsedStep"/> is a replay:
    /// that code, or an older one, has already signed someone in.
    /// </summary>
    public static TotpCheck Verify(ReadOnlySpan<byte> secret, string? code, DateTimeOffset now, long? lastUsedStep,
        int window = 1, int digits = DefaultDigits, int stepSeconds = DefaultStepSeconds, TotpAlgorithm algorithm = TotpAlgorithm.Sha1)
    {
        code = code?.Replace(" ", "", StringComparison.Ordinal);
        if (code is null || code.Length != digits || !code.All(char.IsAsciiDigit)) return new(TotpVerdict.Wrong, null);
        var current = StepAt(now, stepSeconds);
        long? matched = null;
        // Every step in the window is computed and compared in constant time, so timing tells nothing about which matched.
        for (var step = current - window; step <= current + window; step++)
        {
            var expected = Code(secret, step, digits, algorithm);
            if (CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(expected), System.Text.Encoding.ASCII.GetBytes(code)))
                matched ??= step;
        }
        if (matched is not { } m) return new(TotpVerdict.Wrong, null);
        if (lastUsedStep is { } last && m <= last) return new(TotpVerdict.Replayed, m);
        return new(TotpVerdict.Accepted, m);
    }

    /// <summary>A new random secret: 20 bytes, the HMAC-SHA-1 key length RFC 4226 recommends.</summary>
    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(20);

    /// <summary>The key URI authenticator apps read from a QR code (otpauth://totp/Issuer:account?secret=…).</summary>
    public static string EnrolmentUri(string issuer, string account, ReadOnlySpan<byte> secret, int digits = DefaultDigits, int stepSeconds = DefaultStepSeconds)
    {
        var label = Uri.EscapeDataString(issuer) + ":" + Uri.EscapeDataString(account);
        return string.Create(CultureInfo.InvariantCulture,
            $"otpauth://totp/{label}?secret={Base32.Encode(secret)}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={digits}&period={stepSeconds}");
    }
}
