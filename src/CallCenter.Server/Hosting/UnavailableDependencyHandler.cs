using CallCenter.Server.Degraded;
using CallCenter.Server.Telephony;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Hosting;

/// <summary>
/// Answers 503 with Retry-After when Redis or PostgreSQL did not answer in time, so consoles and Twilio retry
/// instead of treating a passing outage as a server fault (500); Twilio then asks the fallback URL. A caller already in
/// the IVR gets the fallback TwiML straight away. Anything else stays the default handler's.
/// </summary>
public sealed class UnavailableDependencyHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        // EF Core wraps the driver's exception ("likely due to a transient failure"), so the whole chain is looked at.
        var dependency = DependencyFailures.IsRedisUnavailable(exception) ? "Redis"
            : DependencyFailures.IsDatabaseUnavailable(exception) ? "PostgreSQL"
            : null;
        if (dependency is null || httpContext.Response.HasStarted) return false;
        if (httpContext.Request.Path.StartsWithSegments("/twilio/voice/ivr"))
        {
            // A caller in the middle of the IVR: an error would make Twilio hang up, so they go to people instead,
            // the same TwiML as the fallback URL (the backup number, else the general queue).
            httpContext.Response.StatusCode = StatusCodes.Status200OK;
            httpContext.Response.ContentType = "application/xml";
            var fallback = httpContext.RequestServices.GetRequiredService<IOptions<TwilioOptions>>().Value.FallbackNumber;
            await httpContext.Response.WriteAsync(FallbackWebhook.Build(fallback).ToString(), cancellationToken);
            return true;
        }
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = "1";
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Temporarily unavailable",
                Detail = $"{dependency} did not answer in time. Try again: a repeated request sees whatever this one changed.",
            },
        });
    }
}
