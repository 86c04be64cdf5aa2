using System.Globalization;
using System.Xml.Linq;
using CallCenter.Server.Telephony;

namespace CallCenter.Simulator.Day;

/// <summary>Twilio's side of the webhooks: signed form posts with Twilio's parameter names, TwiML back.</summary>
public sealed class TwilioWebhooks(HttpClient server, Uri publicBaseUrl, string authToken, string accountSid)
{
    private readonly string _publicBase = publicBaseUrl.ToString().TrimEnd('/');

    public string AccountSid { get; } = accountSid;

    /// <summary>A webhook URL from TwiML (relative to the document, or absolute on the public base) as a server path.</summary>
    public string PathOf(string url, string documentPath)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.StartsWith(_publicBase, StringComparison.OrdinalIgnoreCase)) return url[_publicBase.Length..];
        if (url.StartsWith('/')) return url;
        var directory = documentPath[..(documentPath.LastIndexOf('/') + 1)];
        return directory + url;
    }

    /// <summary>Posts a signed webhook; returns the TwiML document, or null when the server did not answer 200 with TwiML.</summary>
    public async Task<(int Status, XElement? Twiml)> PostAsync(string path, IDictionary<string, string> form, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(form);
        form["AccountSid"] = AccountSid;
        form["ApiVersion"] = "2010-04-01";
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", TwilioRequestSigner.Sign(authToken, _publicBase + path, form));
        using var response = await server.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        var status = (int)response.StatusCode;
        if (status != 200 || body.Length == 0 || body[0] != '<') return (status, null);
        return (status, XElement.Parse(body));
    }

    /// <summary>Twilio's final status callback for a call (the number's status callback URL).</summary>
    public Task<(int Status, XElement? Twiml)> CompletedAsync(string callSid, string from, string to, TimeSpan duration, CancellationToken ct) =>
        PostAsync("/twilio/voice/status", new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["CallSid"] = callSid, ["From"] = from, ["To"] = to, ["Direction"] = "inbound", ["CallStatus"] = "completed",
            ["CallDuration"] = ((int)Math.Max(0, duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
        }, ct);
}
