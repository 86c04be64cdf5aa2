using System.Diagnostics.Metrics;
using CallCenter.Core.Metrics;
using CallCenter.Server.Agents;
using CallCenter.Server.Data;
using CallCenter.Server.Routing;
using CallCenter.Server.Telemetry;
using Microsoft.AspNetCore.SignalR;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Metrics;

/// <summary>One queue on the wallboard: live state from the ACD and today's figures so far from the rollups.</summary>
public sealed record WallboardRow(string Queue, int Waiting, double? OldestWaitSeconds, int Staffed, int Available,
    int OfferedToday, int AnsweredToday, int AbandonedToday, double? ServiceLevelToday);

/// <summary>What supervisors see, refreshed every two seconds.</summary>
public sealed record WallboardSnapshot(DateTimeOffset At, string Definition, IReadOnlyList<WallboardRow> Queues);

/// <summary>
/// Every two seconds: reads the ACD's live queues and today's rollups, pushes the board to supervisors
/// over the agent hub, and keeps it for the per-queue OpenTelemetry gauges.
/// </summary>
public sealed class WallboardBroadcaster : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    private readonly AcdHost _acd;
    private readonly IServiceScopeFactory _scopes;
    private readonly IHubContext<AgentHub> _hub;
    private readonly IOptions<MetricsOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<WallboardBroadcaster> _logger;
    private volatile WallboardSnapshot _latest;

    public WallboardBroadcaster(AcdHost acd, IServiceScopeFactory scopes, IHubContext<AgentHub> hub, IOptions<MetricsOptions> options,
        TimeProvider clock, IMeterFactory meters, ILogger<WallboardBroadcaster> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(options);
        (_acd, _scopes, _hub, _options, _clock, _logger) = (acd, scopes, hub, options, clock, logger);
        _latest = new WallboardSnapshot(clock.GetUtcNow(), options.Value.Policy.Definition, []);
        var meter = meters.Create(CallCenterTelemetry.Name);
        meter.CreateObservableGauge("callcenter.queue.waiting", () => Gauge(q => q.Waiting), description: "Calls waiting per queue.");
        meter.CreateObservableGauge("callcenter.queue.oldest_wait", () => Gauge(q => q.OldestWaitSeconds ?? 0), unit: "s", description: "Longest current wait per queue.");
        meter.CreateObservableGauge("callcenter.queue.agents_available", () => Gauge(q => q.Available), description: "Available agents per queue.");
        meter.CreateObservableGauge("callcenter.queue.service_level_today", () => Gauge(q => q.ServiceLevelToday ?? double.NaN),
            description: "Service level so far today per queue, under the current policy.");
    }

    public WallboardSnapshot Latest => _latest;

    private IEnumerable<Measurement<double>> Gauge(Func<WallboardRow, double> value) =>
        _latest.Queues.Select(q => new Measurement<double>(value(q), new KeyValuePair<string, object?>("queue", q.Queue)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, _clock);
        do
        {
            try
            {
                _latest = await BuildAsync(stoppingToken);
                await _hub.Clients.Group(AgentHub.SupervisorsGroup).SendAsync("wallboard", _latest, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning(ex, "Wallboard refresh failed; the next one retries");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Builds the board now; "today" starts at local midnight in the metrics time zone.</summary>
    public async Task<WallboardSnapshot> BuildAsync(CancellationToken ct)
    {
        var now = _clock.GetUtcNow();
        var zone = TimeZoneInfo.FindSystemTimeZoneById(_options.Value.TimeZone);
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var midnight = new DateTimeOffset(local.Date, zone.GetUtcOffset(local.Date)).ToUniversalTime();
        var policy = _options.Value.Policy;

        var live = await _acd.QueuesAsync(ct);
        await using var scope = _scopes.CreateAsyncScope();
        var today = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().QueueIntervalRollups.AsNoTracking()
            .Where(r => r.IntervalStart >= midnight && r.PolicyVersion == policy.Version)
            .GroupBy(r => r.Queue)
            .Select(g => new { Queue = g.Key, Offered = g.Sum(r => r.Offered), Answered = g.Sum(r => r.Answered),
                OnTime = g.Sum(r => r.AnsweredWithinThreshold), Abandoned = g.Sum(r => r.Abandoned),
                Short = g.Sum(r => r.ShortAbandoned), Callbacks = g.Sum(r => r.CallbacksRequested) })
            .ToDictionaryAsync(x => x.Queue, ct);
        var queues = live.Select(q =>
        {
            var t = today.GetValueOrDefault(q.Queue);
            var figures = t is null ? null : QueueFigures.FromCounts(t.Offered, t.Answered, t.OnTime, t.Abandoned, t.Short, t.Callbacks, policy);
            return new WallboardRow(q.Queue, q.Waiting, q.OldestWaitSeconds, q.Staffed, q.Available,
                t?.Offered ?? 0, t?.Answered ?? 0, t?.Abandoned ?? 0, figures?.ServiceLevelOffered);
        }).ToList();
        return new WallboardSnapshot(now, policy.Definition, queues);
    }
}
