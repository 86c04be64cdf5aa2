using System.Security.Cryptography;
using System.Text;

namespace CallCenter.Server.Telephony;

/// <summary>
/// Computes X-Twilio-Signature the way Twilio does: HMAC-SHA1 over the full URL followed by every
/// form parameter name and value, sorted by name. Used by the simulator, the CLI and tests to
/// play Twilio; the server itself verifies with the Twilio helper library.
/// </summary>
public static class TwilioRequestSigner
{
    public static string Sign(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        ArgumentNullException.ThrowIfNull(form);
        var data = new StringBuilder(url);
        foreach (var (key, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
            data.Append(key).Append(value);
#pragma warning disable CA5350 // Twilio defines the signature as HMAC-SHA1; we must match it.
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString()));
#pragma warning restore CA5350
        return Convert.ToBase64String(mac);
    }
}
