using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace CallCenter.Server.Hosting;

/// <summary>Staff traffic over TLS only (section "TransportSecurity").</summary>
public sealed class TransportSecurityOptions
{
    public const string SectionName = "TransportSecurity";

    /// <summary>Refuse plain HTTP on the staff surfaces; default: on everywhere but Development and Testing.</summary>
    public bool? RequireHttpsForStaff { get; set; }

    /// <summary>Addresses of the TLS-terminating proxies whose X-Forwarded-Proto/For are believed (loopback always is).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of such proxies in CIDR form, e.g. 10.42.0.0/16 for a cluster's ingress pods.</summary>
    public List<string> KnownNetworks { get; set; } = [];
}

/// <summary>
/// TLS terminates at the edge (nginx, the Kubernetes ingress); the host believes X-Forwarded-Proto only from the
/// proxies it is told about. Outside Development and Testing, a staff request that did not arrive over HTTPS is
/// refused with 403 rather than redirected: by the time a redirect answers, the password or session cookie has
/// already crossed the network in clear, and a JSON client would silently follow it. Browsers get HSTS, so after
/// one HTTPS visit they never try plain HTTP. Twilio webhooks (signed, and Twilio is given an https URL) and
/// health probes (from the node, no credentials) are not staff surfaces.
/// </summary>
public static class TransportSecurity
{
    private static readonly string[] StaffPaths = ["/api", "/console", "/hubs"];

    public static WebApplicationBuilder AddTransportSecurity(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<TransportSecurityOptions>().BindConfiguration(TransportSecurityOptions.SectionName);
        var settings = builder.Configuration.GetSection(TransportSecurityOptions.SectionName).Get<TransportSecurityOptions>() ?? new();
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            foreach (var proxy in settings.KnownProxies) o.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (var network in settings.KnownNetworks) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });
        builder.Services.AddHsts(o =>
        {
            o.MaxAge = TimeSpan.FromDays(365);
            o.IncludeSubDomains = true;
        });
        return builder;
    }

    public static WebApplication UseTransportSecurity(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseForwardedHeaders();
        var settings = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TransportSecurityOptions>>().Value;
        var required = settings.RequireHttpsForStaff ?? !(app.Environment.IsDevelopment() || app.Environment.IsEnvironment("Testing"));
        if (!required) return app;
        app.UseHsts();
        app.Use(async (context, next) =>
        {
            if (context.Request.IsHttps || !IsStaffPath(context.Request.Path))
            {
                await next(context);
                return;
            }
            await RefuseAsync(context, "HTTPS required", "Staff consoles and APIs are served over HTTPS only; use the https:// address.");
        });
        return app;
    }

    /// <summary>Answers 403 with a problem body, for the edge checks that refuse a request before it reaches an endpoint.</summary>
    internal static Task RefuseAsync(HttpContext context, string title, string detail)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = StatusCodes.Status403Forbidden, Title = title, Detail = detail },
        }).AsTask();
    }

    private static bool IsStaffPath(PathString path) => StaffPaths.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase));
}
