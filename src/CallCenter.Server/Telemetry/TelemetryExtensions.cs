using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CallCenter.Server.Telemetry;

/// <summary>Registers OpenTelemetry tracing and metrics for the host.</summary>
public static class TelemetryExtensions
{
    public static IHostApplicationBuilder AddCallCenterTelemetry(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new();
        builder.Services.AddSingleton<CallCenterTelemetry>();

        var endpoint = options.OtlpEndpoint?.ToString() ?? builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var exporting = !string.IsNullOrWhiteSpace(endpoint);

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("callcenter-server"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(CallCenterTelemetry.Name, "Npgsql")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (options.Console) metrics.AddConsoleExporter();
            });
        // Spans nobody receives still cost every webhook their allocation; trace only when they go somewhere.
        if (exporting || options.Console)
        {
            otel.WithTracing(tracing =>
            {
                tracing.AddSource(CallCenterTelemetry.Name, "Npgsql")
                    .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !ctx.Request.Path.StartsWithSegments("/health"))
                    .AddHttpClientInstrumentation();
                if (options.Console) tracing.AddConsoleExporter();
            });
        }
        if (exporting)
            otel.UseOtlpExporter(OpenTelemetry.Exporter.OtlpExportProtocol.Grpc, new Uri(endpoint!));

        builder.Logging.AddOpenTelemetry(o => o.IncludeScopes = true);
        return builder;
    }
}
