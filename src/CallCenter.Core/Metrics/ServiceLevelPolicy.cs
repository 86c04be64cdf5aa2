namespace CallCenter.Core.Metrics;

/// <summary>
/// The centre's own definition of service level (the standard leaves X and Y to each centre), versioned:
/// every published figure names the policy version that produced it, and a new version never rewrites
/// figures already published under an old one.
/// </summary>
/// <param name="Version">Increases with every change.</param>
/// <param name="Threshold">X: answered within this counts as on time.</param>
/// <param name="Target">Y: the share the centre promises, e.g. 0.80.</param>
/// <param name="ShortAbandon">Callers who hang up sooner than this are left out entirely (misdials, changed minds).</param>
/// <param name="AbandonsCount">Whether abandons after the short-abandon threshold count as missed in the "offered" figure.</param>
/// <param name="CallbacksCount">Whether callbacks requested from the queue count as offered calls.</param>
public sealed record ServiceLevelPolicy(
    int Version,
    TimeSpan Threshold,
    double Target,
    TimeSpan ShortAbandon,
    bool AbandonsCount = true,
    bool CallbacksCount = false)
{
    /// <summary>A common default: 80% within 20 seconds, abandons under 5 seconds ignored.</summary>
    public static ServiceLevelPolicy Default { get; } = new(1, TimeSpan.FromSeconds(20), 0.80, TimeSpan.FromSeconds(5));

    /// <summary>The definition in words, published next to every figure.</summary>
    public string Definition
    {
        get
        {
            var denominator = (AbandonsCount ? Invariant($"answered + abandoned after {ShortAbandon.TotalSeconds:0} s") : "answered")
                + (CallbacksCount ? " + callbacks requested in queue" : "");
            return Invariant($"v{Version}: answered within {Threshold.TotalSeconds:0} s ÷ ({denominator}); target {Target * 100:0}%");
        }
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}

/// <summary>How one call that reached the queue ended, as the metrics need it.</summary>
public enum QueueOutcome
{
    Answered,
    Abandoned,
    /// <summary>The caller left the queue asking to be called back.</summary>
    CallbackRequested,
    /// <summary>Still waiting when the figure was taken.</summary>
    Waiting,
}

/// <summary>One call transferred to human service: how long it waited and how it ended.</summary>
public sealed record QueuedCall(TimeSpan Wait, QueueOutcome Outcome);

/// <summary>Service level and connect rate over a set of queued calls, under a policy.</summary>
public sealed record QueueFigures(
    int Offered, int Answered, int AnsweredWithinThreshold, int Abandoned, int ShortAbandoned, int CallbacksRequested,
    double? ConnectRate, double? ServiceLevelOffered, double? ServiceLevelAnswered, int PolicyVersion)
{
    /// <summary>
    /// Connect rate (requirements art. 17) = answered by an agent ÷ transferred to human service; service level
    /// published both ways: "offered" under the policy, and "answered-only" (within X ÷ answered). A figure
    /// with nothing to divide by is null, never 0 or 100%.
    /// </summary>
    public static QueueFigures From(IEnumerable<QueuedCall> calls, ServiceLevelPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(policy);
        int offered = 0, answered = 0, onTime = 0, abandoned = 0, shortAbandoned = 0, callbacks = 0;
        foreach (var call in calls)
        {
            if (call.Outcome == QueueOutcome.Waiting) continue;
            offered++;
            switch (call.Outcome)
            {
                case QueueOutcome.Answered:
                    answered++;
                    if (call.Wait <= policy.Threshold) onTime++;
                    break;
                case QueueOutcome.Abandoned when call.Wait < policy.ShortAbandon:
                    shortAbandoned++;
                    break;
                case QueueOutcome.Abandoned:
                    abandoned++;
                    break;
                case QueueOutcome.CallbackRequested:
                    callbacks++;
                    break;
            }
        }
        return FromCounts(offered, answered, onTime, abandoned, shortAbandoned, callbacks, policy);
    }

    /// <summary>The same figures from counts already classified (e.g. interval rows summed into a day).</summary>
    public static QueueFigures FromCounts(int offered, int answered, int onTime, int abandoned, int shortAbandoned, int callbacks, ServiceLevelPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var slDenominator = answered + (policy.AbandonsCount ? abandoned : 0) + (policy.CallbacksCount ? callbacks : 0);
        return new QueueFigures(offered, answered, onTime, abandoned, shortAbandoned, callbacks,
            Ratio(answered, offered), Ratio(onTime, slDenominator), Ratio(onTime, answered), policy.Version);
    }

    private static double? Ratio(int numerator, int denominator) => denominator == 0 ? null : (double)numerator / denominator;
}
