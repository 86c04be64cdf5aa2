using CallCenter.Server.Telephony;

namespace CallCenter.Testing;

/// <summary>Posts form-encoded webhooks signed with X-Twilio-Signature, as Twilio does.</summary>
public sealed class TwilioWebhookClient(HttpClient http, string authToken, Uri publicBaseUrl)
{
    public HttpClient Http { get; } = http;

    public Task<HttpResponseMessage> PostSignedAsync(string path, IReadOnlyDictionary<string, string> form) =>
        PostAsync(path, form, TwilioRequestSigner.Sign(authToken, publicBaseUrl.ToString().TrimEnd('/') + path, form));

    public async Task<HttpResponseMessage> PostAsync(string path, IReadOnlyDictionary<string, string> form, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
        if (signature is not null) request.Headers.Add("X-Twilio-Signature", signature);
        return await Http.SendAsync(request);
    }
}
