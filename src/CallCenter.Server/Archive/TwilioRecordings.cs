using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CallCenter.Server.Telephony;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Archive;

/// <summary>
/// Twilio's Recording resource over REST: download the media, delete it once archived. Goes through the
/// "twilio-rest" client, so the resilience pipeline and Twilio:ApiBaseUrl apply. URLs are built from the
/// recording SID, never taken from the callback, so a forged URL cannot make us fetch elsewhere.
/// </summary>
public sealed class TwilioRecordings(IHttpClientFactory httpClients, IOptions<TwilioOptions> options)
{
    private static readonly Uri TwilioApi = new("https://api.twilio.com");

    /// <summary>The WAV media, headers read and body still streaming; throws <see cref="HttpRequestException"/> unless 200.</summary>
    public async Task<HttpResponseMessage> DownloadWavAsync(string accountSid, string recordingSid, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, accountSid, recordingSid, ".wav");
        var response = await Client().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.OK) return response;
        var status = response.StatusCode;
        response.Dispose();
        throw new HttpRequestException($"Twilio answered {(int)status} to the download of recording {recordingSid}.", null, status);
    }

    /// <summary>Deletes the recording at Twilio; one already gone (404) counts as deleted, since a retry may follow a lost answer.</summary>
    public async Task DeleteAsync(string accountSid, string recordingSid, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Delete, accountSid, recordingSid, ".json");
        using var response = await Client().SendAsync(request, ct);
        if (response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.OK or HttpStatusCode.NotFound) return;
        throw new HttpRequestException($"Twilio answered {(int)response.StatusCode} to the deletion of recording {recordingSid}.", null, response.StatusCode);
    }

    private HttpClient Client() => httpClients.CreateClient(TwilioCallControl.HttpClientName);

    private HttpRequestMessage Request(HttpMethod method, string accountSid, string recordingSid, string extension)
    {
        var settings = options.Value;
        var account = string.IsNullOrEmpty(settings.AccountSid) ? accountSid : settings.AccountSid;
        var request = new HttpRequestMessage(method, new Uri(TwilioApi, $"/2010-04-01/Accounts/{Uri.EscapeDataString(accountSid)}/Recordings/{Uri.EscapeDataString(recordingSid)}{extension}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account}:{settings.AuthToken}")));
        return request;
    }
}
