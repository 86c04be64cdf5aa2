using System.Collections.Concurrent;

namespace CallCenter.Simulator.Day;

/// <summary>How a simulated call ended, as the simulator saw it.</summary>
public enum CallOutcome
{
    InProgress,
    /// <summary>Connected to an agent and completed.</summary>
    Answered,
    /// <summary>Hung up while waiting in the queue.</summary>
    Abandoned,
    /// <summary>Moved out of the queue to leave a callback request.</summary>
    CallbackRequested,
    /// <summary>Ended without reaching a queue (self-service, after hours, ...).</summary>
    EndedInIvr,
    /// <summary>The server refused or failed a webhook.</summary>
    Failed,
}

/// <summary>One simulated call, with simulated times counted from the start of the run.</summary>
public sealed class SimulatedCallRecord(string callSid, string path, TimeSpan placedAt)
{
    public string CallSid { get; } = callSid;
    public string Path { get; } = path;
    public TimeSpan PlacedAt { get; } = placedAt;
    public TimeSpan? EnqueuedAt { get; set; }
    public TimeSpan? AnsweredAt { get; set; }
    public TimeSpan? LeftQueueAt { get; set; }
    public TimeSpan? EndedAt { get; set; }
    public string? Agent { get; set; }
    public TimeSpan? HandleTime { get; set; }
    /// <summary>When the answering agent heard the offer: from here until <see cref="FreedAt"/> the call held that agent.</summary>
    public TimeSpan? OfferedAt { get; set; }
    /// <summary>When the answering agent was free again after the wrap-up.</summary>
    public TimeSpan? FreedAt { get; set; }
    public CallOutcome Outcome { get; set; } = CallOutcome.InProgress;
    public string? Failure { get; set; }

    /// <summary>Time in the queue until answered or abandoned.</summary>
    public TimeSpan? Wait => EnqueuedAt is { } q && (AnsweredAt ?? LeftQueueAt) is { } left ? left - q : null;
}

/// <summary>A sample of the live state, taken every simulated minute for the plots.</summary>
public sealed record StateSample(double Minute, int Waiting, int Talking, int AgentsAvailable);

/// <summary>Everything the simulator saw during a day: every call, live counters and periodic samples.</summary>
public sealed class DayObservations
{
    private readonly ConcurrentDictionary<string, SimulatedCallRecord> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<StateSample> _samples = new();
    private int _waiting;
    private int _talking;
    private int _agentsAvailable;
    private int _webhookErrors;
    private readonly ConcurrentQueue<double> _arrivalLateness = new();

    public SimulatedCallRecord Place(string callSid, string path, TimeSpan at) => _calls[callSid] = new SimulatedCallRecord(callSid, path, at);

    public IReadOnlyCollection<SimulatedCallRecord> Calls => [.. _calls.Values];

    public SimulatedCallRecord? Find(string callSid) => _calls.GetValueOrDefault(callSid);

    public IReadOnlyList<StateSample> Samples => [.. _samples];

    public int Waiting => Volatile.Read(ref _waiting);
    public int Talking => Volatile.Read(ref _talking);
    public int WebhookErrors => Volatile.Read(ref _webhookErrors);

    public void WaitingChanged(int delta) => Interlocked.Add(ref _waiting, delta);
    public void TalkingChanged(int delta) => Interlocked.Add(ref _talking, delta);
    public void AvailableChanged(int delta) => Interlocked.Add(ref _agentsAvailable, delta);
    public void WebhookError() => Interlocked.Increment(ref _webhookErrors);

    public void ArrivalLate(TimeSpan late) => _arrivalLateness.Enqueue(Math.Max(0, late.TotalSeconds));

    /// <summary>How late arrivals were placed against their Poisson schedule, simulated seconds: mean, p99, max.</summary>
    public (double Mean, double P99, double Max) ArrivalLateness()
    {
        var sorted = _arrivalLateness.ToArray();
        if (sorted.Length == 0) return (0, 0, 0);
        Array.Sort(sorted);
        return (sorted.Average(), sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(0.99 * sorted.Length) - 1)], sorted[^1]);
    }

    public void Sample(TimeSpan at) => _samples.Enqueue(new StateSample(Math.Round(at.TotalMinutes, 2), Waiting, Talking, Volatile.Read(ref _agentsAvailable)));
}
