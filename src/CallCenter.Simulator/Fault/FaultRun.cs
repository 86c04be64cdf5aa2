using System.Diagnostics;
using CallCenter.Simulator.Day;

namespace CallCenter.Simulator.Fault;

/// <summary>Readiness answers of one instance, sampled through the run: how often it said each thing (or did not answer).</summary>
public sealed record InstanceReadiness(string Instance, int Healthy, int Degraded, int Unhealthy, int Down);

/// <summary>The fault-mode part of a run's report.</summary>
public sealed record FaultReport(
    IReadOnlyList<string> Instances,
    IReadOnlyList<FaultExecuted> Faults,
    int Failovers,
    int FallbackCalls,
    int WrapUpRetries,
    IReadOnlyList<InstanceReadiness> Readiness,
    ReconciliationReport Reconciliation);

/// <summary>
/// A simulated day against several instances behind a <see cref="LoadBalancer"/>, with faults injected on schedule through
/// <see cref="IFaultHooks"/>, every instance's readiness sampled, and at the end every placed call reconciled with the call log.
/// </summary>
public sealed class FaultRun(DayConnection connection, DayScenario scenario, IReadOnlyList<ScheduledFault> faults, IFaultHooks hooks,
    string postgres, TextWriter progress)
{
    /// <summary>Longest real time the reconciliation waits for the instances' spools to drain and the log to settle.</summary>
    public TimeSpan ReconcileWithin { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Where each instance answers directly (readiness is asked of each, not through the balancer).</summary>
    public async Task<DayResult> RunAsync(TwilioStandIn standIn, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(standIn);
        var balancer = connection.Balancer ?? throw new InvalidOperationException("Fault mode needs the instances behind a load balancer.");
        var executed = new List<FaultExecuted>();
        var day = new DayRun(connection, scenario, progress) { AlongsideDay = (clock, token) => InjectAsync(clock, executed, token) };
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var samples = connection.Instances.Select(i => new int[4]).ToList();
        var sampling = SampleReadinessAsync(probe, samples, stopSampling.Token);
        DayResult result;
        try
        {
            result = await day.RunAsync(standIn, ct);
        }
        finally
        {
            await stopSampling.CancelAsync();
            await sampling;
        }
        var reconciliation = await Reconciliation.RunAsync(postgres, day.Observations.Calls, token => AllHealthyAsync(probe, token), ReconcileWithin, ct);
        return result with
        {
            Faults = new FaultReport([.. connection.Instances.Select(i => i.ToString())], executed, balancer.Failovers, day.Observations.Fallbacks,
                day.Observations.WrapUpRetries,
                [.. connection.Instances.Select((i, n) => new InstanceReadiness(i.ToString(), samples[n][0], samples[n][1], samples[n][2], samples[n][3]))],
                reconciliation),
        };
    }

    private async Task InjectAsync(SimulationClock clock, List<FaultExecuted> executed, CancellationToken ct)
    {
        foreach (var fault in faults.OrderBy(f => f.At))
        {
            await clock.Delay(fault.At - clock.Elapsed, ct);
            var at = clock.Elapsed;
            progress.WriteLine();
            progress.WriteLine(FormattableString.Invariant($"fault at {at:hh\\:mm\\:ss}: {fault}"));
            var down = Stopwatch.StartNew();
            switch (fault.Kind)
            {
                case FaultKind.KillServer:
                    await hooks.KillServerAsync(fault.Instance, ct);
                    await clock.Delay(fault.Down, ct);
                    await hooks.StartServerAsync(fault.Instance, ct);
                    break;
                case FaultKind.RestartRedis:
                    await hooks.StopRedisAsync(ct);
                    await clock.Delay(fault.Down, ct);
                    await hooks.StartRedisAsync(ct);
                    break;
                case FaultKind.StopPostgres:
                    await hooks.StopPostgresAsync(ct);
                    await clock.Delay(fault.Down, ct);
                    await hooks.StartPostgresAsync(ct);
                    break;
            }
            lock (executed) executed.Add(new FaultExecuted(fault.ToString(), Math.Round(at.TotalMinutes, 2), Math.Round(down.Elapsed.TotalSeconds, 2)));
        }
    }

    // Every 250 ms (real) each instance's /health/ready: Healthy, Degraded (200) or Unhealthy (503), or no answer at all.
    private async Task SampleReadinessAsync(HttpClient probe, List<int[]> samples, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                for (var n = 0; n < connection.Instances.Count; n++)
                    Interlocked.Increment(ref samples[n][await ReadinessAsync(probe, connection.Instances[n], ct)]);
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<int> ReadinessAsync(HttpClient probe, Uri instance, CancellationToken ct)
    {
        try
        {
            using var response = await probe.GetAsync(new Uri(instance, "/health/ready"), ct);
            return await response.Content.ReadAsStringAsync(ct) switch { "Healthy" => 0, "Degraded" => 1, _ => 2 };
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return 3;
        }
    }

    // Settled when every instance is up and healthy: PostgreSQL and Redis answer and no spool holds anything.
    private async Task<bool> AllHealthyAsync(HttpClient probe, CancellationToken ct)
    {
        foreach (var instance in connection.Instances)
        {
            if (await ReadinessAsync(probe, instance, ct) != 0) return false;
        }
        return true;
    }
}
