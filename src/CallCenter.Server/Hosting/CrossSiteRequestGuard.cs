namespace CallCenter.Server.Hosting;

/// <summary>
/// Refuses state-changing staff requests that a browser says came from another site. The session cookie is already
/// SameSite=Strict; this second check (OWASP's "verify the origin with standard headers") also holds for older
/// browsers and for a sibling subdomain, which SameSite counts as the same site. Requests with neither Origin nor
/// Referer (scripts, the CLI, server-to-server calls) carry no victim's cookie and pass. Twilio webhooks are not
/// staff surfaces: their signature is their protection.
/// </summary>
public static class CrossSiteRequestGuard
{
    private static readonly string[] StaffPaths = ["/api", "/hubs"];

    public static WebApplication UseCrossSiteRequestGuard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
                || !StaffPaths.Any(p => request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
                || SameHost(request))
            {
                await next(context);
                return;
            }
            await TransportSecurity.RefuseAsync(context, "Cross-site request refused",
                "This request came from another site's page; staff actions are accepted only from the console itself.");
        });
        return app;
    }

    // Host and port only: behind the TLS proxy the request arrives as http on another port unless forwarded headers
    // are configured, while the Host header is kept.
    private static bool SameHost(HttpRequest request)
    {
        var claimed = request.Headers.Origin.FirstOrDefault() is { Length: > 0 } origin && origin != "null" ? origin : request.Headers.Referer.FirstOrDefault();
        if (string.IsNullOrEmpty(claimed)) return request.Headers.Origin.FirstOrDefault() != "null";
        return Uri.TryCreate(claimed, UriKind.Absolute, out var uri)
            && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }
}
