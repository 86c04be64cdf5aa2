using CallCenter.Server.Agents;
using CallCenter.Server.Archive;
using CallCenter.Server.Audit;
using CallCenter.Server.Backup;
using CallCenter.Server.CallLog;
using CallCenter.Server.Channels;
using CallCenter.Server.Complaints;
using CallCenter.Server.Console;
using CallCenter.Server.CoreBanking;
using CallCenter.Server.Data;
using CallCenter.Server.Degraded;
using CallCenter.Server.InCall;
using CallCenter.Server.Ivr;
using CallCenter.Server.Knowledge;
using CallCenter.Server.Metrics;
using CallCenter.Server.Outbound;
using CallCenter.Server.Prompts;
using CallCenter.Server.Quality;
using CallCenter.Server.Routing;
using CallCenter.Server.Simulation;
using CallCenter.Server.Staff;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace CallCenter.Server.Hosting;

/// <summary>Wires every feature of the host; Program.cs calls just these two.</summary>
public static class HostingExtensions
{
    public static WebApplicationBuilder AddCallCenter(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<UnavailableDependencyHandler>();
        builder.Services.AddOpenApi();
        // Enums travel as their names ("Supervisor"), which API clients and auditors can read.
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        // The system clock, or a faster one for simulated days (Simulation:ClockRate, Development and Testing only).
        builder.AddCallCenterClock();
        builder.AddCallCenterTelemetry();
        builder.AddTransportSecurity();
        builder.Services.AddRequestRateLimits();
        builder.AddCallCenterData();
        builder.AddCallCenterRedis();
        builder.AddCoreBanking();
        builder.Services.AddPrompts();
        builder.Services.AddStaffAuthentication();
        builder.Services.AddIvr();
        builder.Services.AddMetricsWorker();
        builder.Services.AddTwilioCallControl(builder.Configuration);
        builder.Services.AddAcd();
        builder.AddArchive();
        builder.Services.AddRecordingReplica();
        builder.Services.AddKnowledgeBase();
        builder.Services.AddChannels();
        builder.Services.AddQuality();
        builder.Services.AddComplaints();
        builder.Services.AddOutbound();
        builder.Services.AddInCall();
        builder.Services.AddSingleton<IAgentNotifier, AgentHubNotifier>();
        builder.Services.AddConsole();
        // Every instance's consoles hear every instance's ACD decisions through the Redis backplane.
        builder.Services.AddSignalR().AddStackExchangeRedis(builder.Configuration.GetConnectionString("Redis")!,
            o => o.Configuration.ChannelPrefix = RedisChannel.Literal("callcenter.signalr"));

        builder.Services.AddOptions<TwilioOptions>().BindConfiguration(TwilioOptions.SectionName)
            .ValidateDataAnnotations().ValidateOnStart();

        builder.Services.AddSingleton<CallEventWriter>();
        builder.Services.AddSingleton<ICallEventLog>(sp => sp.GetRequiredService<CallEventWriter>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CallEventWriter>());

        // Readiness (PostgreSQL, Redis, the call-log spool) as the degraded modes see it.
        builder.AddDegradedModes();
        return builder;
    }

    private static void AddCallCenterRedis(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Redis")
            ?? throw new InvalidOperationException("ConnectionStrings:Redis is not configured (environment ConnectionStrings__Redis).");
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => RedisConnection.Connect(connectionString));
    }

    public static WebApplication MapCallCenter(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseTransportSecurity();
        app.UseCrossSiteRequestGuard();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Twilio's webhooks carry no session (each endpoint checks the request's signature instead), so they skip the
        // cookie handler that every staff request needs: at thousands of webhooks a second its per-request set-up shows.
        app.UseWhen(c => !c.Request.Path.StartsWithSegments("/twilio", StringComparison.OrdinalIgnoreCase), staff => staff.UseAuthentication());
        // UseAuthentication marks the pipeline it joins, and WebApplication puts one at the front of any pipeline left unmarked.
        // The branch's mark stays in the branch, so without this one every webhook still ran the cookie handler.
        ((IApplicationBuilder)app).Properties["__AuthenticationMiddlewareSet"] = true;
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        app.MapOpenApi();
        app.MapTwilioVoiceApi();
        app.MapPromptsApi();
        app.MapStaffApi();
        app.MapEmergencyAnnouncementApi();
        app.MapSurgeModeApi();
        app.MapMetricsApi();
        app.MapAgentApi();
        app.MapInCall();
        app.MapSimulationClock();
        app.MapArchiveApi();
        app.MapOperationLogApi();
        app.MapKnowledgeBase();
        app.MapChannels();
        app.MapQuality();
        app.MapComplaints();
        app.MapCallbacks();
        app.MapHub<AgentHub>(AgentHub.Path);
        app.MapConsole();
        // Fail at start-up, not on the first call, when a flow file is invalid.
        app.Services.GetRequiredService<IvrFlowCatalog>();
        return app;
    }
}
