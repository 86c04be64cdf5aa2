using CallCenter.Core.Metrics;
using CallCenter.Core.Simulation;
using CallCenter.Server.Metrics;

namespace CallCenter.Simulator.Day;

/// <summary>Queue figures for one source (the simulator's observation or the server's rollups), in seconds.</summary>
public sealed record QueueSummary(int Offered, int Answered, int AnsweredWithinThreshold, int Abandoned, int ShortAbandoned,
    double? ServiceLevel, double? AverageSpeedOfAnswer, double? AverageHandleTime);

/// <summary>The server's rollups for the run's period, added up over its 15-minute intervals and queues, and its first-call resolution.</summary>
public sealed record ServerFigures(DateTimeOffset From, DateTimeOffset To, QueueSummary Totals, IReadOnlyList<IntervalPoint> Intervals, string? Definition)
{
    /// <summary>The server's first-call resolution for the run's period (<c>/api/metrics/fcr</c>).</summary>
    public FcrFigure? FirstCallResolution { get; init; }

    public static ServerFigures Sum(IReadOnlyList<QueueIntervalRollup> rows, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int offered = rows.Sum(r => r.Offered), answered = rows.Sum(r => r.Answered), onTime = rows.Sum(r => r.AnsweredWithinThreshold);
        int abandoned = rows.Sum(r => r.Abandoned), shortAbandoned = rows.Sum(r => r.ShortAbandoned);
        double? Weighted(Func<QueueIntervalRollup, double?> value) => answered == 0 ? null
            : rows.Where(r => value(r) is not null).Sum(r => value(r)!.Value * r.Answered) / answered;
        var totals = new QueueSummary(offered, answered, onTime, abandoned, shortAbandoned,
            answered + abandoned == 0 ? null : (double)onTime / (answered + abandoned), Weighted(r => r.AverageSpeedOfAnswer), Weighted(r => r.AverageTalkTime));
        var intervals = rows.GroupBy(r => r.IntervalStart).OrderBy(g => g.Key).Select(g =>
        {
            int a = g.Sum(r => r.Answered), ab = g.Sum(r => r.Abandoned);
            return new IntervalPoint((g.Key - from).TotalMinutes, g.Sum(r => r.Offered), a + ab == 0 ? null : (double)g.Sum(r => r.AnsweredWithinThreshold) / (a + ab));
        }).ToList();
        return new ServerFigures(from, to, totals, intervals, rows.Count == 0 ? null : rows[0].Definition);
    }
}

/// <summary>One 15-minute interval: calls that entered the queue in it and their service level.</summary>
public sealed record IntervalPoint(double StartMinute, int Offered, double? ServiceLevel);

/// <summary>
/// How late the simulator placed calls against their Poisson schedule (simulated seconds). Accelerated time is only
/// faithful while this stays small next to the threshold and the handle time; a starved machine shows it here.
/// </summary>
public sealed record ArrivalLateness(double Mean, double P99, double Max)
{
    public static ArrivalLateness From((double Mean, double P99, double Max) x) => new(Math.Round(x.Mean, 3), Math.Round(x.P99, 3), Math.Round(x.Max, 3));
}

/// <summary>What Erlang C predicts for the configured load (per hour of the profile, weighted by calls).</summary>
public sealed record ErlangCPrediction(double Erlangs, int Agents, double ProbabilityOfWaiting, double ServiceLevel, double? AverageSpeedOfAnswer);

/// <summary>
/// The day's answered calls replayed through an ideal first-come-first-served queue with the same agents and no
/// decision delay (<see cref="IdealQueueing"/>): each call keeps its arrival, the time it held its agent (offer to
/// free again) and its connect time after the offer. The gap to the simulator's figures is the ACD's own doing;
/// the gap to Erlang C is the day's luck.
/// </summary>
/// <param name="Calls">Answered calls replayed.</param>
/// <param name="ServiceLevel">Share answered within the threshold in the replay.</param>
/// <param name="AverageSpeedOfAnswer">Mean wait in the replay, seconds.</param>
/// <param name="ImmediateLatency">
/// Mean wait of the calls the ideal queue would have answered at once: the system's own latency (webhook, offer push,
/// accept, bridge), which a busy machine stretches by the clock rate; the ACD's queueing is judged beyond it.
/// </param>
public sealed record IdealReplay(int Calls, double ServiceLevel, double AverageSpeedOfAnswer, double ImmediateLatency)
{
    public static IdealReplay? From(IReadOnlyCollection<SimulatedCallRecord> calls, int agents, TimeSpan threshold)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var answered = calls.Where(c => c is { Outcome: CallOutcome.Answered, EnqueuedAt: not null, AnsweredAt: not null, OfferedAt: not null, FreedAt: not null })
            .ToList();
        if (answered.Count == 0) return null;
        var queued = IdealQueueing.Waits(agents, [.. answered.Select(c => new QueueArrival(c.EnqueuedAt!.Value, c.FreedAt!.Value - c.OfferedAt!.Value))]);
        var waits = answered.Select((c, i) => queued[i] + (c.AnsweredAt!.Value - c.OfferedAt!.Value)).ToList();
        var immediate = answered.Where((_, i) => queued[i] == TimeSpan.Zero).Select(c => (c.AnsweredAt!.Value - c.EnqueuedAt!.Value).TotalSeconds).ToList();
        return new IdealReplay(answered.Count, Math.Round(waits.Count(w => w <= threshold) / (double)waits.Count, 4),
            Math.Round(waits.Average(w => w.TotalSeconds), 3), Math.Round(immediate.Count == 0 ? 0 : immediate.Average(), 3));
    }
}

/// <summary>
/// First-call resolution as the simulator knows it: every wrapped-up call is a need, resolved when the agent said so.
/// Only unresolved calls are repeated (same number, same menu path, so the same reason family), so the server's
/// figure, which also undoes "resolved" on a repeat within its window, must come out the same.
/// </summary>
public sealed record SimulatedFcr(int Needs, int Resolved, int RepeatCalls, double? Rate)
{
    public static SimulatedFcr From(IReadOnlyCollection<SimulatedCallRecord> calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var needs = calls.Where(c => c.Resolved is not null).ToList();
        var resolved = needs.Count(c => c.Resolved == true);
        return new SimulatedFcr(needs.Count, resolved, calls.Count(c => c.RepeatOf is not null),
            needs.Count == 0 ? null : Math.Round((double)resolved / needs.Count, 4));
    }
}

/// <summary>The outcome of a simulated day: configuration, both sides' figures, the prediction, and the series for plots.</summary>
public sealed record DayResult(
    DayScenario Scenario,
    double SimulatedMinutes,
    int CallsPlaced,
    int EndedInIvr,
    int CallbacksRequested,
    int Failed,
    int WebhookErrors,
    int RestRedirects,
    int RestRefused,
    ArrivalLateness ArrivalLateness,
    int Breaks,
    double BreakMinutes,
    SimulatedFcr FirstCallResolution,
    QueueSummary Simulator,
    ServerFigures Server,
    ErlangCPrediction ErlangC,
    IdealReplay? Ideal,
    IReadOnlyList<IntervalPoint> SimulatorIntervals,
    IReadOnlyList<StateSample> Samples)
{
    /// <summary>Fault mode: the faults, how the system rode them out, and the reconciliation of every call with the call log.</summary>
    public Fault.FaultReport? Faults { get; init; }

    public static DayResult From(DayScenario scenario, DayObservations observations, ServerFigures server, (int Applied, int Refused) rest, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(observations);
        var calls = observations.Calls;
        var policy = ServiceLevelPolicy.Default with { Threshold = scenario.ServiceLevelThreshold };
        var queued = calls.Where(c => c.EnqueuedAt is not null).ToList();
        var simulator = Summarise(queued, policy);
        var intervals = queued.GroupBy(c => (int)(c.EnqueuedAt!.Value.TotalMinutes / 15)).OrderBy(g => g.Key)
            .Select(g => new IntervalPoint(g.Key * 15, g.Count(), Summarise([.. g], policy).ServiceLevel)).ToList();
        return new DayResult(scenario, Math.Round(elapsed.TotalMinutes, 1), calls.Count,
            calls.Count(c => c.Outcome == CallOutcome.EndedInIvr), calls.Count(c => c.Outcome == CallOutcome.CallbackRequested),
            calls.Count(c => c.Outcome == CallOutcome.Failed), observations.WebhookErrors, rest.Applied, rest.Refused,
            ArrivalLateness.From(observations.ArrivalLateness()), observations.Breaks, Math.Round(observations.BreakTime.TotalMinutes, 1),
            SimulatedFcr.From(calls), simulator, server, Predict(scenario),
            IdealReplay.From(calls, scenario.Agents, scenario.ServiceLevelThreshold), intervals, observations.Samples);
    }

    private static QueueSummary Summarise(IReadOnlyList<SimulatedCallRecord> queued, ServiceLevelPolicy policy)
    {
        var figures = QueueFigures.From(queued.Select(c => new QueuedCall(c.Wait ?? TimeSpan.Zero, c.Outcome switch
        {
            CallOutcome.Answered => QueueOutcome.Answered,
            CallOutcome.Abandoned => QueueOutcome.Abandoned,
            CallOutcome.CallbackRequested => QueueOutcome.CallbackRequested,
            _ => QueueOutcome.Waiting,
        })), policy);
        var answered = queued.Where(c => c.Outcome == CallOutcome.Answered).ToList();
        return new QueueSummary(figures.Offered, figures.Answered, figures.AnsweredWithinThreshold, figures.Abandoned, figures.ShortAbandoned,
            figures.ServiceLevelOffered,
            answered.Count == 0 ? null : answered.Average(c => c.Wait!.Value.TotalSeconds),
            answered.Count == 0 ? null : answered.Average(c => c.HandleTime!.Value.TotalSeconds));
    }

    // Erlang C per simulated hour of the profile; the day's figures are those hours weighted by their calls.
    private static ErlangCPrediction Predict(DayScenario scenario)
    {
        var hours = Math.Max(1, (int)Math.Ceiling(scenario.Duration.TotalHours));
        double weight = 0, erlangs = 0, wait = 0, sl = 0, asa = 0;
        for (var h = 0; h < hours; h++)
        {
            var length = Math.Min(1, scenario.Duration.TotalHours - h);
            var calls = scenario.RateAt(TimeSpan.FromHours(h)) * length;
            var load = Core.Metrics.ErlangC.Load(scenario.RateAt(TimeSpan.FromHours(h)), scenario.MeanHandleTime);
            weight += calls;
            erlangs += load * calls;
            wait += Core.Metrics.ErlangC.ProbabilityOfWaiting(scenario.Agents, load) * calls;
            sl += Core.Metrics.ErlangC.ServiceLevel(scenario.Agents, load, scenario.MeanHandleTime, scenario.ServiceLevelThreshold) * calls;
            // An hour with more load than agents has no steady state: no finite ASA to predict.
            asa += load >= scenario.Agents ? double.PositiveInfinity : Core.Metrics.ErlangC.AverageSpeedOfAnswer(scenario.Agents, load, scenario.MeanHandleTime).TotalSeconds * calls;
        }
        return new ErlangCPrediction(erlangs / weight, scenario.Agents, wait / weight, sl / weight, double.IsFinite(asa) ? asa / weight : null);
    }
}
