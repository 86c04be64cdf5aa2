using System.Diagnostics;
using CallCenter.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Metrics;

/// <summary>Runs the rollups on a timer, each run in its own DI scope; one failed run is logged and the next one tries again.</summary>
public sealed class MetricsWorker(IServiceScopeFactory scopes, IOptions<MetricsOptions> options, TimeProvider clock, ILogger<MetricsWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RunEvery, clock);
        do
        {
            await RunOnceAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One run; public so tests and an operator command can force it.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("metrics.rollup");
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var rows = await scope.ServiceProvider.GetRequiredService<RollupCalculator>().RunAsync(options.Value, ct);
            activity?.SetTag("metrics.rows", rows);
            return rows;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            logger.LogError(ex, "Metrics rollup run failed; the next run retries from the same watermark");
            return 0;
        }
    }
}
