namespace CallCenter.Core.Metrics;

/// <summary>
/// Sums of durations stored as seconds, kept exact: added as whole ticks and divided once, so a recount, a batch's
/// differences applied to a stored sum and days added into months all give the same double, bit for bit.
/// </summary>
public static class ExactSeconds
{
    public static double Sum(IEnumerable<TimeSpan> spans) => FromTicks(spans.Sum(s => s.Ticks));

    /// <summary>Adds (or with <paramref name="sign"/> -1 takes away) one stored sum to another.</summary>
    public static double Add(double seconds, double other, int sign = 1) => FromTicks(Ticks(seconds) + sign * Ticks(other));

    /// <summary>The whole ticks a stored sum stands for; rounding recovers them from any sum made here.</summary>
    public static long Ticks(double seconds) => (long)Math.Round(seconds * TimeSpan.TicksPerSecond);

    public static double FromTicks(long ticks) => (double)ticks / TimeSpan.TicksPerSecond;
}
