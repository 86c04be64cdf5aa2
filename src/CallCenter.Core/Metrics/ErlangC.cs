namespace CallCenter.Core.Metrics;

/// <summary>
/// The Erlang C queueing model (M/M/N): how likely a caller waits, how long on average, and what
/// service level N agents give for a load. Used for staffing and to check the simulator against theory.
/// </summary>
public static class ErlangC
{
    /// <summary>Offered load in Erlangs: arrivals per second × average handle time in seconds.</summary>
    public static double Load(double callsPerHour, TimeSpan averageHandleTime) =>
        callsPerHour / 3600.0 * averageHandleTime.TotalSeconds;

    /// <summary>Probability an arriving call has to wait; 1 when the agents cannot keep up (N ≤ A).</summary>
    public static double ProbabilityOfWaiting(int agents, double erlangs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(agents);
        ArgumentOutOfRangeException.ThrowIfNegative(erlangs);
        if (agents == 0 || agents <= erlangs) return 1.0;
        // Erlang B by its recurrence (no factorials, stable for hundreds of agents), then C from B.
        var b = 1.0;
        for (var k = 1; k <= agents; k++) b = erlangs * b / (k + erlangs * b);
        return agents * b / (agents - erlangs * (1 - b));
    }

    /// <summary>Share of calls answered within <paramref name="threshold"/>: 1 − C·e^(−(N−A)·t/AHT).</summary>
    public static double ServiceLevel(int agents, double erlangs, TimeSpan averageHandleTime, TimeSpan threshold)
    {
        if (agents <= erlangs) return 0.0;
        var c = ProbabilityOfWaiting(agents, erlangs);
        return 1 - c * Math.Exp(-(agents - erlangs) * threshold.TotalSeconds / averageHandleTime.TotalSeconds);
    }

    /// <summary>Average speed of answer over all calls: C·AHT/(N−A); infinite when N ≤ A.</summary>
    public static TimeSpan AverageSpeedOfAnswer(int agents, double erlangs, TimeSpan averageHandleTime) =>
        agents <= erlangs
            ? TimeSpan.MaxValue
            : TimeSpan.FromSeconds(ProbabilityOfWaiting(agents, erlangs) * averageHandleTime.TotalSeconds / (agents - erlangs));

    /// <summary>The fewest agents whose service level meets the target (e.g. 0.8 within 20 s).</summary>
    public static int AgentsFor(double erlangs, TimeSpan averageHandleTime, TimeSpan threshold, double targetServiceLevel)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetServiceLevel, 0.999999);
        var agents = Math.Max(1, (int)Math.Floor(erlangs) + 1);
        while (ServiceLevel(agents, erlangs, averageHandleTime, threshold) < targetServiceLevel) agents++;
        return agents;
    }
}
