using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Hosting;

/// <summary>Per-address limits on the endpoints strangers can reach: staff sign-in and Twilio's webhooks.</summary>
public sealed class RequestRateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary>
    /// Sign-in attempts one client address may make per <see cref="LoginWindow"/>. Account lockout stops guessing
    /// one password; this stops one address trying many work numbers.
    /// </summary>
    [Range(1, 100_000)]
    public int LoginPermits { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LoginWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Webhook requests with a missing or wrong Twilio signature one address may send per <see cref="WebhookRefusalWindow"/>
    /// before every webhook from it gets 429. Twilio always signs, so its own traffic is never slowed.
    /// </summary>
    [Range(1, 100_000)]
    public int WebhookRefusals { get; set; } = 20;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan WebhookRefusalWindow { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Wires ASP.NET's rate limiter: the named policies and one 429 problem answer with Retry-After.</summary>
public static class RequestRateLimits
{
    /// <summary>The policy on <c>POST /api/auth/login</c>.</summary>
    public const string Login = "staff-login";

    public static IServiceCollection AddRequestRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RequestRateLimitOptions>().BindConfiguration(RequestRateLimitOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<WebhookRefusalLimiter>();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Login, http =>
            {
                var limits = http.RequestServices.GetRequiredService<IOptions<RequestRateLimitOptions>>().Value;
                // A fixed window, since it can tell the refused client when to come back (Retry-After).
                return RateLimitPartition.GetFixedWindowLimiter(ClientAddress(http), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.LoginPermits, Window = limits.LoginWindow, QueueLimit = 0,
                });
            });
            limiter.OnRejected = (context, ct) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : (TimeSpan?)null;
                return WriteTooManyRequestsAsync(context.HttpContext, retryAfter);
            };
        });
        return services;
    }

    /// <summary>The caller's address as the forwarded-headers middleware resolved it (a trusted proxy's client, else the peer).</summary>
    public static string ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>429 with a problem body naming when to try again, for every limit in the host.</summary>
    public static async ValueTask WriteTooManyRequestsAsync(HttpContext http, TimeSpan? retryAfter)
    {
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        var seconds = retryAfter is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : (int?)null;
        if (seconds is { } s) http.Response.Headers.RetryAfter = s.ToString(CultureInfo.InvariantCulture);
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = seconds is { } after
                    ? $"Too many requests from your address; try again in {after} s."
                    : "Too many requests from your address; try again later.",
            },
        });
    }
}

/// <summary>
/// Counts refused Twilio signatures per client address; an address over its allowance is turned away before its
/// forms are read, so a flood of forged webhooks costs almost nothing and never reaches a handler.
/// </summary>
public sealed class WebhookRefusalLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _refusals;
    // Every webhook asks IsBlocked, and the limiter's statistics take a lock shared by all addresses: so only addresses
    // that have been refused at least once are looked up there. Twilio's own addresses never are.
    private readonly ConcurrentDictionary<string, byte> _refused = new(StringComparer.Ordinal);
    private readonly int _permitLimit;

    public WebhookRefusalLimiter(IOptions<RequestRateLimitOptions> options)
    {
        var limits = options.Value;
        _permitLimit = limits.WebhookRefusals;
        _refusals = PartitionedRateLimiter.Create<string, string>(address => RateLimitPartition.GetFixedWindowLimiter(address,
            _ => new FixedWindowRateLimiterOptions { PermitLimit = limits.WebhookRefusals, Window = limits.WebhookRefusalWindow, QueueLimit = 0 }));
    }

    /// <summary>True while the address has used up its refusals for the current window.</summary>
    public bool IsBlocked(string address)
    {
        if (!_refused.ContainsKey(address)) return false;
        var available = _refusals.GetStatistics(address)?.CurrentAvailablePermits;
        // A window that passed without a refusal puts the address back on the fast path.
        if (available >= _permitLimit) _refused.TryRemove(address, out _);
        return available <= 0;
    }

    /// <summary>Counts one refused request against the address.</summary>
    public void CountRefusal(string address)
    {
        _refused.TryAdd(address, 0);
        using var lease = _refusals.AttemptAcquire(address);
    }

    public void Dispose() => _refusals.Dispose();
}
