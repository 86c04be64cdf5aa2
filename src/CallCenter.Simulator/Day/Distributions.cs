namespace CallCenter.Simulator.Day;

/// <summary>The random draws of a simulated day, from one seeded generator so a run can be repeated.</summary>
public sealed class Distributions(int seed)
{
    private readonly Random _random = new(seed);
    private readonly Lock _lock = new();

    public double Uniform()
    {
        lock (_lock) return _random.NextDouble();
    }

    /// <summary>Exponential with the given mean (Poisson gaps, M/M/N handle times, patience).</summary>
    public TimeSpan Exponential(TimeSpan mean) => TimeSpan.FromTicks((long)(-Math.Log(1 - Uniform()) * mean.Ticks));

    /// <summary>Log-normal with the given mean and coefficient of variation.</summary>
    public TimeSpan LogNormal(TimeSpan mean, double variation)
    {
        var sigma2 = Math.Log(1 + variation * variation);
        var mu = Math.Log(mean.TotalSeconds) - sigma2 / 2;
        // Box–Muller: one standard normal from two uniforms.
        var normal = Math.Sqrt(-2 * Math.Log(1 - Uniform())) * Math.Cos(2 * Math.PI * Uniform());
        return TimeSpan.FromSeconds(Math.Exp(mu + Math.Sqrt(sigma2) * normal));
    }

    public bool Chance(double probability) => Uniform() < probability;

    public T Pick<T>(IReadOnlyList<T> items, Func<T, double> weight)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(weight);
        var total = items.Sum(weight);
        var x = Uniform() * total;
        foreach (var item in items)
        {
            x -= weight(item);
            if (x < 0) return item;
        }
        return items[^1];
    }
}
