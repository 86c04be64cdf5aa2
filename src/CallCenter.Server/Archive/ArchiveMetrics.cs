using System.Diagnostics.Metrics;
using CallCenter.Server.Telemetry;

namespace CallCenter.Server.Archive;

/// <summary>The archive's OpenTelemetry instruments, on the server's meter.</summary>
public sealed class ArchiveMetrics
{
    public ArchiveMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(CallCenterTelemetry.Name);
        Ingests = meter.CreateCounter<long>("callcenter.archive.ingests", description: "Recording ingest attempts, by outcome (archived, retry).");
        Destroyed = meter.CreateCounter<long>("callcenter.archive.destroyed", description: "Recordings destroyed by the retention sweep.");
        IntegrityProblems = meter.CreateCounter<long>("callcenter.archive.integrity_problems", description: "Archived files found missing or corrupt.");
        Accesses = meter.CreateCounter<long>("callcenter.archive.accesses", description: "Recording playbacks, downloads and exports, by action and result.");
    }

    public Counter<long> Ingests { get; }
    public Counter<long> Destroyed { get; }
    public Counter<long> IntegrityProblems { get; }
    public Counter<long> Accesses { get; }
}
