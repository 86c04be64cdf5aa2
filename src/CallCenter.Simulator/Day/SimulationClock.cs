using CallCenter.Core.Simulation;

namespace CallCenter.Simulator.Day;

/// <summary>The simulator's own clock, at the server's rate: every wait of callers and agents is simulated time.</summary>
public sealed class SimulationClock(double rate)
{
    private readonly ScaledTimeProvider _clock = new(TimeProvider.System, rate);
    private long _started = TimeProvider.System.GetTimestamp();

    public double Rate => _clock.Rate;

    /// <summary>Simulated time since the run started.</summary>
    public TimeSpan Elapsed => _clock.Simulated(TimeProvider.System.GetElapsedTime(Volatile.Read(ref _started)));

    /// <summary>Counts the day from now: staffing takes real time that is not part of the day.</summary>
    public void Restart() => Volatile.Write(ref _started, TimeProvider.System.GetTimestamp());

    /// <summary>Simulated time since a real timestamp of the system clock.</summary>
    public TimeSpan Since(long realTimestamp) => _clock.Simulated(TimeProvider.System.GetElapsedTime(realTimestamp));

    public Task Delay(TimeSpan simulated, CancellationToken ct) =>
        simulated <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(simulated, _clock, ct);

    /// <summary>The real time a simulated span takes.</summary>
    public TimeSpan Real(TimeSpan simulated) => _clock.Real(simulated);
}
