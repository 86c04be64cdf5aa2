using System.Net;

namespace CallCenter.Simulator.Fault;

/// <summary>
/// A browser's cookie jar in front of the load balancer: the session cookie an instance set goes with every request,
/// whichever instance takes it (the instances share the data-protection key ring, so any of them reads it).
/// </summary>
internal sealed class CookieSession(CookieContainer cookies, HttpMessageHandler balancer) : HttpMessageHandler
{
    // The balancer is shared by every session of the run: disposing one session must not dispose it.
    private readonly HttpMessageInvoker _balancer = new(balancer, disposeHandler: false);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = cookies.GetCookieHeader(request.RequestUri!);
        if (header.Length > 0) request.Headers.Add("Cookie", header);
        var response = await _balancer.SendAsync(request, cancellationToken);
        if (response.Headers.TryGetValues("Set-Cookie", out var set))
        {
            foreach (var cookie in set) cookies.SetCookies(request.RequestUri!, cookie);
        }
        return response;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _balancer.Dispose();
        base.Dispose(disposing);
    }
}
