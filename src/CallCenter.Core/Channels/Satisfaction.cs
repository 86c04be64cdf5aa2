namespace CallCenter.Core.Channels;

/// <summary>Which 1–5 rating counts as satisfied and the centre's target rate; both are configuration (the standard leaves them open).</summary>
public sealed record SatisfactionPolicy(int SatisfiedFrom, double Target)
{
    /// <summary>4 or 5 of 5 is satisfied; a bank manual's 85 % target.</summary>
    public static SatisfactionPolicy Default { get; } = new(4, 0.85);

    /// <summary>How the published figure is defined.</summary>
    public string Definition =>
        $"Satisfaction rate = surveyed customers who rated {SatisfiedFrom} or more of 5 ÷ surveyed customers who answered; target {Target:P0}.";

    /// <summary>Whether a rating counts as satisfied.</summary>
    public bool IsSatisfied(int rating) => rating >= SatisfiedFrom;
}

/// <summary>Answered surveys and the satisfied among them; they add up across queues, agents and days.</summary>
public sealed record SatisfactionTotals(int Surveyed, int Satisfied)
{
    /// <summary>Nothing counted yet.</summary>
    public static SatisfactionTotals Empty { get; } = new(0, 0);

    /// <summary>Satisfied ÷ surveyed, or null with no answered survey.</summary>
    public double? Rate => Surveyed == 0 ? null : (double)Satisfied / Surveyed;

    /// <summary>Whether the rate reaches the policy's target; null with no answered survey.</summary>
    public bool? MeetsTarget(SatisfactionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Rate is { } rate ? rate >= policy.Target : null;
    }

    /// <summary>Adds one answered survey.</summary>
    public SatisfactionTotals Add(int rating, SatisfactionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new(Surveyed + 1, Satisfied + (policy.IsSatisfied(rating) ? 1 : 0));
    }
}
