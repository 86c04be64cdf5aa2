namespace CallCenter.Server.Scheduling;

/// <summary>
/// A periodic job every instance runs while <see cref="ScheduledRuns"/> lets exactly one of them run it at a time and at
/// most once per period: each instance asks several times a period, one failed run is logged and retried at the next
/// ask, and only shutdown stops the loop.
/// </summary>
public abstract class ScheduledWorker(ScheduledRuns runs, TimeProvider clock, ILogger logger) : BackgroundService
{
    /// <summary>The server's clock, for the work of a run.</summary>
    protected TimeProvider Clock { get; } = clock;

    /// <summary>The worker's logger.</summary>
    protected ILogger Logger { get; } = logger;

    /// <summary>The job's row in <c>scheduled_runs</c>.</summary>
    public abstract string JobName { get; }

    /// <summary>How often the job runs across all instances.</summary>
    protected abstract TimeSpan Period { get; }

    /// <summary>The work of one run.</summary>
    protected abstract Task RunAsync(CancellationToken ct);

    /// <summary>Runs the job here if it is due and no other instance holds it; whether it ran. Public so tests can tick instances.</summary>
    public Task<bool> TickAsync(CancellationToken ct) => runs.RunIfDueAsync(JobName, Period, RunAsync, ct);

    // Asking four times a period keeps a run's start within a quarter period of due even when the last run took a while.
    private TimeSpan AskEvery => TimeSpan.FromTicks(Math.Max(1, Math.Min(ScheduledRuns.PollEvery(Period).Ticks, Period.Ticks / 4)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(AskEvery, Clock);
        do
        {
            try
            {
                await TickAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Logger.LogError(ex, "Scheduled job {Job} failed; the next tick retries", JobName);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
