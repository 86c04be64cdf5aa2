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
        meter.CreateObservableGauge("callcenter.archive.backlog", () => Interlocked.Read(ref _backlog),
            description: "Recordings waiting to be archived (unfinished ingest jobs), as of this instance's last ingest run.");
    }

    private long _backlog;

    /// <summary>Keeps the unfinished-job count the backlog gauge reports; the ingest worker sets it after every run.</summary>
    public void RecordBacklog(long unfinishedJobs) => Interlocked.Exchange(ref _backlog, unfinishedJobs);

    public Counter<long> Ingests { get; }
    public Counter<long> Destroyed { get; }
    public Counter<long> IntegrityProblems { get; }
    public Counter<long> Accesses { get; }
}
