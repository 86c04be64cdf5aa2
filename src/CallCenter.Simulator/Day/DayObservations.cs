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
public sealed class SimulatedCallRecord(string callSid, string path, TimeSpan placedAt, string from, string? repeatOf)
{
    public string CallSid { get; } = callSid;
    public string Path { get; } = path;
    public TimeSpan PlacedAt { get; } = placedAt;
    /// <summary>The caller's number: a repeat call comes from the same one.</summary>
    public string From { get; } = from;
    /// <summary>The unresolved call this one repeats, if it is a repeat.</summary>
    public string? RepeatOf { get; } = repeatOf;
    /// <summary>The agent's "resolved on this call" flag, once the wrap-up is in.</summary>
    public bool? Resolved { get; set; }
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

    /// <summary>The voice URL failed on every instance and Twilio played the fallback URL's TwiML instead.</summary>
    public bool ReachedFallback { get; set; }

    /// <summary>
    /// Each TwiML document the caller ran, in order (simulated second, the URL it came from, its verbs): a reconciliation
    /// mismatch names it, so a call the log and the caller disagree on can be followed without the server's logs.
    /// </summary>
    public List<string> Trail { get; } = [];

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

    private int _breaks;
    private long _breakTicks;

    public SimulatedCallRecord Place(string callSid, string path, TimeSpan at, string from, string? repeatOf = null) =>
        _calls[callSid] = new SimulatedCallRecord(callSid, path, at, from, repeatOf);

    /// <summary>Told of every call an agent wraps up unresolved; the day run may place a repeat call for it.</summary>
    public Action<SimulatedCallRecord>? UnresolvedWrappedUp { get; set; }

    /// <summary>Records the wrap-up's resolved flag (and lets a repeat call be scheduled for an unresolved one).</summary>
    public void WrappedUp(SimulatedCallRecord record, bool resolved)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.Resolved = resolved;
        if (!resolved) UnresolvedWrappedUp?.Invoke(record);
    }

    public void BreakTaken(TimeSpan length)
    {
        Interlocked.Increment(ref _breaks);
        Interlocked.Add(ref _breakTicks, length.Ticks);
    }

    public int Breaks => Volatile.Read(ref _breaks);
    public TimeSpan BreakTime => TimeSpan.FromTicks(Interlocked.Read(ref _breakTicks));

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

    private int _wrapUpRetries;
    private int _fallbacks;

    /// <summary>Wrap-ups an agent had to send again (the server refused one for a passing reason, or no instance took it).</summary>
    public int WrapUpRetries => Volatile.Read(ref _wrapUpRetries);

    public void WrapUpRetried() => Interlocked.Increment(ref _wrapUpRetries);

    /// <summary>Calls whose voice URL failed on every instance, so Twilio asked the fallback URL.</summary>
    public int Fallbacks => Volatile.Read(ref _fallbacks);

    public void FellBack() => Interlocked.Increment(ref _fallbacks);

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
