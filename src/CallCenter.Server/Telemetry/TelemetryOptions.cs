namespace CallCenter.Server.Telemetry;

/// <summary>Where traces and metrics go: OTLP when an endpoint is set, the console only when asked.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "Telemetry";

    /// <summary>OTLP endpoint, e.g. http://collector:4317; the standard OTEL_EXPORTER_OTLP_ENDPOINT also works.</summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>Writes spans and metrics to the console; off by default because it is noisy.</summary>
    public bool Console { get; set; }
}
