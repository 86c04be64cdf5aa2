using CallCenter.Server.Data;
using CallCenter.Server.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace CallCenter.Server.Degraded;

/// <summary>Registers the call-log spool, the degraded-state gauges, surge mode and the readiness checks that know about degraded modes.</summary>
public static class DegradedModeExtensions
{
    public static WebApplicationBuilder AddDegradedModes(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<DegradedModeOptions>().BindConfiguration(DegradedModeOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<CallLogSpool>();
        builder.Services.AddSingleton<DegradedState>();
        builder.Services.AddOptions<SurgeOptions>().BindConfiguration(SurgeOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<SurgeMode>();

        // PostgreSQL away: calls go on over the spool, so the instance stays in rotation (Degraded answers 200).
        // Redis away: one instance goes on with in-process state (Degraded); several cannot share state, so they
        // are not ready and Twilio's fallback URL takes the calls (Unhealthy answers 503).
        var singleInstance = !string.Equals(builder.Configuration["Acd:Store"], nameof(AcdStoreKind.Redis), StringComparison.OrdinalIgnoreCase);
        builder.Services.AddHealthChecks()
            .AddDbContextCheck<CallCenterDbContext>("postgres", failureStatus: HealthStatus.Degraded, tags: ["ready"])
            .AddRedis(sp => sp.GetRequiredService<IConnectionMultiplexer>(), "redis",
                failureStatus: singleInstance ? HealthStatus.Degraded : HealthStatus.Unhealthy, tags: ["ready"])
            .AddCheck<CallLogSpoolHealthCheck>("call-log-spool", tags: ["ready"]);
        return builder;
    }
}
