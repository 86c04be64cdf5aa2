using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using StackExchange.Redis;

namespace CallCenter.Server.Hosting;

/// <summary>
/// Answers 503 with Retry-After when Redis or PostgreSQL did not answer in time, so consoles and Twilio retry
/// instead of treating a passing outage as a server fault (500). Anything else stays the default handler's.
/// </summary>
public sealed class UnavailableDependencyHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var dependency = exception switch
        {
            RedisConnectionException or RedisTimeoutException => "Redis",
            NpgsqlException { IsTransient: true } => "PostgreSQL",
            _ => null,
        };
        if (dependency is null || httpContext.Response.HasStarted) return false;
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
