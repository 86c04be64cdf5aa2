namespace CallCenter.Core.Simulation;

/// <summary>
/// A clock that runs <see cref="Rate"/> times faster than the one it wraps, for simulated days:
/// now = start + real elapsed × rate, and every timer (Task.Delay, PeriodicTimer, ITimer) fires after
/// its simulated due time divided by the rate. Elapsed-time measurements (GetTimestamp) scale the same way.
/// </summary>
public sealed class ScaledTimeProvider : TimeProvider
{
    private readonly TimeProvider _real;
    private readonly DateTimeOffset _start;
    private readonly long _realStartTimestamp;

    /// <param name="real">The clock being sped up (TimeProvider.System outside tests).</param>
    /// <param name="rate">Simulated seconds per real second; at least 1.</param>
    /// <param name="startAt">The simulated instant at the start; the real now when null.</param>
    public ScaledTimeProvider(TimeProvider real, double rate, DateTimeOffset? startAt = null)
    {
        ArgumentNullException.ThrowIfNull(real);
        if (!double.IsFinite(rate) || rate < 1) throw new ArgumentOutOfRangeException(nameof(rate), rate, "The clock rate must be at least 1.");
        _real = real;
        Rate = rate;
        // GetUtcNow must answer in UTC (offset zero), whatever offset the start was written with.
        _start = (startAt ?? real.GetUtcNow()).ToUniversalTime();
        _realStartTimestamp = real.GetTimestamp();
    }

    /// <summary>Simulated seconds per real second.</summary>
    public double Rate { get; }

    public override DateTimeOffset GetUtcNow() => _start + Simulated(_real.GetElapsedTime(_realStartTimestamp));

    public override TimeZoneInfo LocalTimeZone => _real.LocalTimeZone;

    public override long TimestampFrequency => _real.TimestampFrequency;

    public override long GetTimestamp() => _realStartTimestamp + (long)((_real.GetTimestamp() - _realStartTimestamp) * Rate);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(_real.CreateTimer(callback, state, Real(dueTime), Real(period)), this);

    /// <summary>The simulated span that passes while <paramref name="real"/> passes on the wrapped clock.</summary>
    public TimeSpan Simulated(TimeSpan real) => TimeSpan.FromTicks((long)(real.Ticks * Rate));

    /// <summary>The real span a simulated one takes; infinite stays infinite and a positive span never becomes zero.</summary>
    public TimeSpan Real(TimeSpan simulated) =>
        simulated == Timeout.InfiniteTimeSpan || simulated <= TimeSpan.Zero
            ? simulated
            : TimeSpan.FromTicks(Math.Max(1, (long)(simulated.Ticks / Rate)));

    private sealed class ScaledTimer(ITimer inner, ScaledTimeProvider clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.Real(dueTime), clock.Real(period));

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
