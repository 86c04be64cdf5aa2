using CallCenter.Core.Simulation;
using CallCenter.Server.Staff;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Telemetry;

namespace CallCenter.Server.Simulation;

/// <summary>Accelerated time for simulated days: how fast the server's clock runs and where it starts.</summary>
public sealed class SimulationOptions
{
    public const string SectionName = "Simulation";

    /// <summary>Simulated seconds per real second (1 = wall clock). Anything else is refused outside Development and Testing.</summary>
    public double ClockRate { get; set; } = 1;

    /// <summary>The simulated instant the server starts at (so a night-time demo can run inside business hours); null = now.</summary>
    public DateTimeOffset? StartAt { get; set; }

    /// <summary>
    /// The real instant at which the simulated clock read <see cref="StartAt"/> (default: when this process started). Several
    /// instances of one simulation run, or an instance restarted during it, set the same value and so share one simulated clock.
    /// </summary>
    public DateTimeOffset? StartedAt { get; set; }
}

/// <summary>What `GET /api/simulation/clock` answers, so a simulator can check it runs at the server's rate.</summary>
public sealed record SimulationClockInfo(DateTimeOffset Now, double Rate);

/// <summary>
/// Installs the server's one <see cref="TimeProvider"/>: the system clock, or in a simulation run a
/// <see cref="ScaledTimeProvider"/> that every timer of the host (ACD ticks, ring and wrap-up timeouts, the
/// metrics worker, the wallboard) follows, so an 8-hour day passes in minutes.
/// </summary>
public static class SimulationClock
{
    public static WebApplicationBuilder AddCallCenterClock(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(SimulationOptions.SectionName).Get<SimulationOptions>() ?? new SimulationOptions();
        if (options.ClockRate == 1 && options.StartAt is null && options.StartedAt is null)
        {
            builder.Services.AddSingleton(TimeProvider.System);
            return builder;
        }
        // A production server on a fake clock would stamp wrong times into the call log and the regulator's reports.
        if (!builder.Environment.IsDevelopment() && !builder.Environment.IsEnvironment("Testing"))
            throw new InvalidOperationException(
                $"Simulation:ClockRate / Simulation:StartAt are for simulation runs only; environment '{builder.Environment.EnvironmentName}' must run on the real clock.");
        if (!double.IsFinite(options.ClockRate) || options.ClockRate < 1)
            throw new InvalidOperationException($"Simulation:ClockRate must be at least 1 (was {options.ClockRate}).");
        var startAt = options.StartAt;
        if (options.StartedAt is { } anchor)
            startAt = (startAt ?? anchor) + TimeSpan.FromTicks((long)((TimeProvider.System.GetUtcNow() - anchor).Ticks * options.ClockRate));
        builder.Services.AddSingleton<TimeProvider>(new ScaledTimeProvider(TimeProvider.System, options.ClockRate, startAt));
        // Polly takes the host's TimeProvider from DI, but its timeouts guard real network calls (Twilio REST, core
        // banking): registered before Polly's own (which it only adds when missing), this builder keeps the real clock.
        builder.Services.AddTransient(sp =>
        {
            var pipeline = new ResiliencePipelineBuilder { TimeProvider = TimeProvider.System };
            pipeline.ConfigureTelemetry(sp.GetRequiredService<IOptions<TelemetryOptions>>().Value);
            return pipeline;
        });
        return builder;
    }

    public static IEndpointRouteBuilder MapSimulationClock(this IEndpointRouteBuilder routes)
    {
        var endpoint = routes.MapGet("/api/simulation/clock", (TimeProvider clock) =>
                TypedResults.Ok(new SimulationClockInfo(clock.GetUtcNow(), (clock as ScaledTimeProvider)?.Rate ?? 1)))
            .WithName("SimulationClock").WithTags("Simulation")
            .WithSummary("The server's current (possibly simulated) time and clock rate.");
        // A simulated clock (Development and Testing only) is open, so a simulator can compute a TOTP code for the
        // server's time before it signs in; the time is no secret, the code still needs the authenticator's secret.
        if (routes.ServiceProvider.GetRequiredService<TimeProvider>() is ScaledTimeProvider) endpoint.AllowAnonymous();
        else endpoint.RequireStaff(StaffAuthentication.SupervisorPolicy);
        return routes;
    }
}
