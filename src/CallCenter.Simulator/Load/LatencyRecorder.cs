using System.Collections.Concurrent;

namespace CallCenter.Simulator.Load;

/// <summary>Collects request latencies and outcomes; percentiles are exact (every sample is kept).</summary>
public sealed class LatencyRecorder
{
    private readonly ConcurrentBag<double> _millis = [];
    private readonly ConcurrentDictionary<string, int> _outcomes = new(StringComparer.Ordinal);

    public void Record(double millis, string outcome)
    {
        _millis.Add(millis);
        _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
    }

    public int Count => _millis.Count;

    public IReadOnlyDictionary<string, int> Outcomes => _outcomes;

    public LatencySummary Summarise(TimeSpan elapsed)
    {
        var sorted = _millis.ToArray();
        Array.Sort(sorted);
        double At(double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new LatencySummary(sorted.Length, sorted.Length / elapsed.TotalSeconds, At(0.50), At(0.99), At(0.999),
            sorted.Length == 0 ? 0 : sorted[^1], new Dictionary<string, int>(_outcomes));
    }
}

/// <summary>What a load run measured: throughput and latency percentiles in milliseconds.</summary>
public sealed record LatencySummary(int Requests, double PerSecond, double P50, double P99, double P999, double Max,
    IReadOnlyDictionary<string, int> Outcomes);
