using System.Diagnostics.Metrics;
using CallCenter.Server.Routing;
using CallCenter.Server.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Degraded;

/// <summary>
/// Which dependencies this instance is carrying on without, as the call path last saw them; exported as
/// OpenTelemetry gauges (spool depth, one 0/1 series per dependency) and reported by readiness.
/// </summary>
public sealed class DegradedState
{
    private int _databaseDown;
    private int _redisDown;

    public DegradedState(IMeterFactory meterFactory, CallLogSpool spool, IOptions<AcdStoreOptions> store)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(store);
        Spool = spool;
        SingleInstance = store.Value.Store == AcdStoreKind.InMemory;
        var meter = meterFactory.Create(CallCenterTelemetry.Name);
        meter.CreateObservableGauge("callcenter.degraded.spool_depth", () => spool.Depth,
            description: "Call-log writes waiting in this instance's local spool for PostgreSQL.");
        meter.CreateObservableGauge("callcenter.degraded.dependency_down", () => new[]
        {
            new Measurement<int>(Volatile.Read(ref _databaseDown), new KeyValuePair<string, object?>("dependency", "postgresql")),
            new Measurement<int>(Volatile.Read(ref _redisDown), new KeyValuePair<string, object?>("dependency", "redis")),
        }, description: "1 while the call path carries on without this dependency (degraded mode), else 0.");
    }

    public CallLogSpool Spool { get; }

    /// <summary>One instance (in-process ACD): it may carry on with in-process state while Redis is away.</summary>
    public bool SingleInstance { get; }

    public bool DatabaseDown => Volatile.Read(ref _databaseDown) == 1;

    public bool RedisDown => Volatile.Read(ref _redisDown) == 1;

    public void DatabaseFailed() => Volatile.Write(ref _databaseDown, 1);

    public void DatabaseAnswered() => Volatile.Write(ref _databaseDown, 0);

    public void RedisFailed() => Volatile.Write(ref _redisDown, 1);

    public void RedisAnswered() => Volatile.Write(ref _redisDown, 0);
}

/// <summary>Readiness: Degraded (still 200, still serving calls) while call-log writes wait in the spool.</summary>
public sealed class CallLogSpoolHealthCheck(DegradedState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var depth = state.Spool.Depth;
        return Task.FromResult(depth > 0 || state.DatabaseDown
            ? HealthCheckResult.Degraded($"PostgreSQL unreachable or catching up: {depth} call-log writes spooled on this instance.",
                data: new Dictionary<string, object> { ["spoolDepth"] = depth })
            : HealthCheckResult.Healthy());
    }
}
