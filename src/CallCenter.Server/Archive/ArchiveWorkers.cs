using System.Diagnostics;
using CallCenter.Server.Scheduling;
using CallCenter.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Archive;

/// <summary>Wakes the ingest worker when a callback has queued a job, instead of waiting for its next poll.</summary>
public sealed class IngestSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        if (_signal.CurrentCount == 0)
        {
            try { _signal.Release(); }
            catch (SemaphoreFullException) { } // already woken: one wake-up is enough
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);

    public void Dispose() => _signal.Dispose();
}

/// <summary>Runs the ingest jobs: on every callback and at least every poll interval; one failed run never stops the host.</summary>
public sealed class ArchiveIngestWorker(ArchiveIngestor ingestor, IngestSignal signal, IOptions<ArchiveOptions> options,
    ILogger<ArchiveIngestWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ingestor.ProcessDueAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Archive ingest run failed; the next run retries");
            }
            try
            {
                await signal.WaitAsync(options.Value.IngestPollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}

/// <summary>
/// Once per maintenance period across all instances: the retention sweep, then the integrity check of files and
/// call log. Every instance asks every few minutes; the scheduled-run lease lets exactly one of them run it.
/// </summary>
public sealed class ArchiveMaintenanceWorker(IServiceScopeFactory scopes, ScheduledRuns runs, IOptions<ArchiveOptions> options, TimeProvider clock,
    ArchiveMetrics metrics, ILogger<ArchiveMaintenanceWorker> logger) : BackgroundService
{
    public const string JobName = "archive.maintenance";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.Value.MaintenanceEvery;
        using var timer = new PeriodicTimer(ScheduledRuns.PollEvery(period), clock);
        do
        {
            try
            {
                await runs.RunIfDueAsync(JobName, period, RunOnceAsync, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "Archive maintenance run failed; the next period retries");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task RunOnceAsync(CancellationToken ct)
    {
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("archive.maintenance");
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var sweep = await scope.ServiceProvider.GetRequiredService<RetentionSweep>()
                .RunAsync(clock.GetUtcNow(), dryRun: false, options.Value.SweepBatchSize, ct);
            metrics.Destroyed.Add(sweep.Destroyed);
            activity?.SetTag("archive.destroyed", sweep.Destroyed);
            var integrity = await scope.ServiceProvider.GetRequiredService<ArchiveIntegrityCheck>().RunAsync(ct);
            metrics.IntegrityProblems.Add(integrity.Problems.Count);
            activity?.SetTag("archive.checked", integrity.RecordingsChecked);
            activity?.SetTag("archive.problems", integrity.Problems.Count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
    }
}
