using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CallCenter.Server.Telemetry;

/// <summary>The server's own traces and metrics, exported through OpenTelemetry.</summary>
public sealed class CallCenterTelemetry
{
    public const string Name = "CallCenter";

    // One ActivitySource per process is the documented pattern; it is cheap when nobody listens.
    public static readonly ActivitySource ActivitySource = new(Name);

    public CallCenterTelemetry(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(Name);
        Webhooks = meter.CreateCounter<long>("callcenter.twilio.webhooks", description: "Twilio webhooks handled, by route and outcome.");
        EventsAppended = meter.CreateCounter<long>("callcenter.call_log.events_appended", description: "Call events written to the call log.");
        EventsDeduplicated = meter.CreateCounter<long>("callcenter.call_log.events_deduplicated", description: "Replayed call events that changed nothing.");
        AppendBatchSize = meter.CreateHistogram<int>("callcenter.call_log.batch_size", description: "Events per call-log write transaction.");
        AppendDuration = meter.CreateHistogram<double>("callcenter.call_log.batch_duration", unit: "ms", description: "Time to write one call-log batch.");
        EntriesSpooled = meter.CreateCounter<long>("callcenter.call_log.spooled", description: "Call-log writes put in the local spool because PostgreSQL did not answer.");
        EntriesDrained = meter.CreateCounter<long>("callcenter.call_log.spool_drained", description: "Spooled call-log writes written to PostgreSQL once it answered again.");
    }

    public Counter<long> Webhooks { get; }
    public Counter<long> EventsAppended { get; }
    public Counter<long> EventsDeduplicated { get; }
    public Histogram<int> AppendBatchSize { get; }
    public Histogram<double> AppendDuration { get; }
    public Counter<long> EntriesSpooled { get; }
    public Counter<long> EntriesDrained { get; }
}
