using System.Runtime.InteropServices;

namespace CallCenter.Simulator.Load;

/// <summary>
/// One caller's request latencies and outcomes of one kind. Each caller writes only its own (no shared collection on the hot
/// path); the run merges them at the end, so percentiles are exact (every sample is kept).
/// </summary>
public sealed class LatencyRecorder
{
    private readonly List<double> _millis = [];
    private readonly Dictionary<string, int> _outcomes = new(StringComparer.Ordinal);

    public void Record(double millis, string outcome)
    {
        _millis.Add(millis);
        CollectionsMarshal.GetValueRefOrAddDefault(_outcomes, outcome, out _)++;
    }

    /// <summary>The latency percentiles and outcomes of every sample the recorders hold.</summary>
    public static Latency Merge(IEnumerable<LatencyRecorder> recorders)
    {
        ArgumentNullException.ThrowIfNull(recorders);
        var all = recorders.ToList();
        var sorted = all.SelectMany(r => r._millis).ToArray();
        Array.Sort(sorted);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (outcome, count) in all.SelectMany(r => r._outcomes))
            CollectionsMarshal.GetValueRefOrAddDefault(outcomes, outcome, out _) += count;
        double At(double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new Latency(sorted.Length, At(0.50), At(0.99), At(0.999), sorted.Length == 0 ? 0 : sorted[^1], outcomes);
    }
}

/// <summary>Latency percentiles in milliseconds and the outcomes (status codes, or what went wrong) of some requests.</summary>
public sealed record Latency(int Requests, double P50, double P99, double P999, double Max, IReadOnlyDictionary<string, int> Outcomes);

/// <summary>
/// What a load run measured. The headline figures (throughput, percentiles, outcomes) are those of the requests on the
/// schedule, incoming calls and menu steps, whose latency counts from their scheduled time; each kind is also given on its
/// own, with the final status callbacks, which are sent off the schedule as each call ends. Also the calls dialled (warm-up
/// included) and the generator's own CPU per measured request on the schedule (it shares the machine with the server, so
/// what it costs is part of reading the figures).
/// </summary>
public sealed record LatencySummary(int Requests, double PerSecond, double P50, double P99, double P999, double Max,
    IReadOnlyDictionary<string, int> Outcomes, int Calls, double GeneratorCpuMsPerRequest, Latency Incoming, Latency Steps, Latency StatusCallbacks)
{
    internal static LatencySummary Of(IReadOnlyCollection<LoadCaller> callers, TimeSpan elapsed, int calls, double generatorCpuMs)
    {
        ArgumentNullException.ThrowIfNull(callers);
        var scheduled = LatencyRecorder.Merge(callers.SelectMany(c => new[] { c.Incoming, c.Steps }));
        return new LatencySummary(scheduled.Requests, scheduled.Requests / elapsed.TotalSeconds, scheduled.P50, scheduled.P99, scheduled.P999,
            scheduled.Max, scheduled.Outcomes, calls, scheduled.Requests == 0 ? 0 : generatorCpuMs / scheduled.Requests,
            LatencyRecorder.Merge(callers.Select(c => c.Incoming)), LatencyRecorder.Merge(callers.Select(c => c.Steps)),
            LatencyRecorder.Merge(callers.Select(c => c.StatusCallbacks)));
    }
}
