using System.Runtime.InteropServices;

namespace CallCenter.Simulator.Load;

/// <summary>
/// One caller's request latencies and outcomes. Each caller writes only its own (no shared collection on the hot path);
/// the run merges them at the end, so percentiles are exact (every sample is kept).
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

    public static LatencySummary Summarise(IReadOnlyCollection<LatencyRecorder> recorders, TimeSpan elapsed, int calls, double generatorCpuMs)
    {
        ArgumentNullException.ThrowIfNull(recorders);
        var sorted = recorders.SelectMany(r => r._millis).ToArray();
        Array.Sort(sorted);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (outcome, count) in recorders.SelectMany(r => r._outcomes))
            CollectionsMarshal.GetValueRefOrAddDefault(outcomes, outcome, out _) += count;
        double At(double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new LatencySummary(sorted.Length, sorted.Length / elapsed.TotalSeconds, At(0.50), At(0.99), At(0.999),
            sorted.Length == 0 ? 0 : sorted[^1], outcomes, calls, sorted.Length == 0 ? 0 : generatorCpuMs / sorted.Length);
    }
}

/// <summary>
/// What a load run measured: throughput and latency percentiles in milliseconds, the calls dialled (warm-up included), and
/// the generator's own CPU per measured request (it shares the machine with the server, so what it costs is part of reading
/// the figures).
/// </summary>
public sealed record LatencySummary(int Requests, double PerSecond, double P50, double P99, double P999, double Max,
    IReadOnlyDictionary<string, int> Outcomes, int Calls, double GeneratorCpuMsPerRequest);
