using System.Diagnostics.Metrics;
using CallCenter.Server.Telemetry;

namespace CallCenter.Server.Routing;

/// <summary>The ACD's metrics, on the server's own meter so the existing OpenTelemetry export picks them up.</summary>
public sealed class AcdMetrics
{
    public AcdMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        // The factory hands back the same Meter for the same name, so these sit beside CallCenterTelemetry's.
        var meter = meterFactory.Create(CallCenterTelemetry.Name);
        Decisions = meter.CreateCounter<long>("callcenter.acd.decisions", description: "ACD operations, by operation and outcome (ok, illegal, error).");
        DecisionDuration = meter.CreateHistogram<double>("callcenter.acd.decision_duration", unit: "ms", description: "Time of one ACD operation, gate wait included.");
        Offers = meter.CreateCounter<long>("callcenter.acd.offers", description: "Calls offered to agents, by queue.");
        Requeued = meter.CreateCounter<long>("callcenter.acd.requeued", description: "Offers that came back to the queue (no answer, declined).");
        WaitTime = meter.CreateHistogram<double>("callcenter.acd.wait_time", unit: "s", description: "Caller wait from entering the ACD to answer or abandonment.");
        ConnectFailures = meter.CreateCounter<long>("callcenter.acd.connect_failures", description: "Accepted offers Twilio could not connect.");
        Conflicts = meter.CreateCounter<long>("callcenter.acd.conflicts", description: "Units of work (an operation, or a batch of them) run again because another instance changed the shared ACD state they read.");
        BatchSize = meter.CreateHistogram<int>("callcenter.acd.batch_size", description: "Operations committed together in one unit of work over the shared ACD store.");
    }

    public Counter<long> Decisions { get; }
    public Histogram<double> DecisionDuration { get; }
    public Counter<long> Offers { get; }
    public Counter<long> Requeued { get; }
    public Histogram<double> WaitTime { get; }
    public Counter<long> ConnectFailures { get; }
    public Counter<long> Conflicts { get; }
    public Histogram<int> BatchSize { get; }
}
