using System.Globalization;

namespace CallCenter.Core.Archive;

/// <summary>What a call was about, as far as how long its recording must be kept.</summary>
public enum CallCategory
{
    /// <summary>An ordinary service call.</summary>
    Service,
    /// <summary>The caller moved money (bill payment and the like): kept at least five years (art. 35.2.1).</summary>
    FundTransaction,
    /// <summary>The caller complained: kept at least five years (arts. 35.2.1, 41).</summary>
    Complaint,
}

/// <summary>When a recording may be destroyed, and under which rule, so the tombstone can say why.</summary>
public sealed record RetentionDecision(CallCategory Category, int Years, DateTimeOffset RetainUntil, string Rule);

/// <summary>
/// Years to keep a call's recording, per category, counted from the start of the call. Fund transactions
/// and complaints are never kept less than <see cref="StatutoryMinimumYears"/>, whatever the configuration says.
/// </summary>
public sealed class RetentionPolicy
{
    /// <summary>The floor the standard sets for fund transactions and complaints (art. 35.2.1).</summary>
    public const int StatutoryMinimumYears = 5;

    private readonly IReadOnlyDictionary<CallCategory, int> _years;

    private RetentionPolicy(string version, IReadOnlyDictionary<CallCategory, int> years)
    {
        Version = version;
        _years = years;
    }

    /// <summary>Five years for everything: the standard's rule for recordings and call logs.</summary>
    public static RetentionPolicy Default { get; } = Create("default", StatutoryMinimumYears, new Dictionary<CallCategory, int>());

    /// <summary>Names the policy in every tombstone it causes.</summary>
    public string Version { get; }

    /// <summary>
    /// Builds a policy from configuration; categories without their own figure take <paramref name="defaultYears"/>.
    /// Throws when any figure is below one year or a protected category is set below the statutory floor.
    /// </summary>
    public static RetentionPolicy Create(string version, int defaultYears, IReadOnlyDictionary<CallCategory, int> yearsByCategory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        ArgumentNullException.ThrowIfNull(yearsByCategory);
        var errors = new List<string>();
        var years = new Dictionary<CallCategory, int>();
        foreach (var category in Enum.GetValues<CallCategory>())
        {
            var configured = yearsByCategory.TryGetValue(category, out var y) ? y : defaultYears;
            if (configured < 1) errors.Add($"{category}: {configured} years; at least 1 year");
            else if (IsProtected(category) && configured < StatutoryMinimumYears)
                errors.Add($"{category}: {configured} years; fund transactions and complaints are kept at least {StatutoryMinimumYears} years");
            years[category] = configured;
        }
        if (errors.Count > 0) throw new ArgumentException("Invalid retention policy: " + string.Join("; ", errors), nameof(yearsByCategory));
        return new RetentionPolicy(version, years);
    }

    /// <summary>Fund transactions and complaints have the statutory floor.</summary>
    public static bool IsProtected(CallCategory category) => category is CallCategory.FundTransaction or CallCategory.Complaint;

    public int YearsFor(CallCategory category) => _years[category];

    /// <summary>The earliest instant the recording of a call that started at <paramref name="callStartedAt"/> may be destroyed.</summary>
    public RetentionDecision Decide(CallCategory category, DateTimeOffset callStartedAt)
    {
        var years = _years[category];
        return new RetentionDecision(category, years, callStartedAt.AddYears(years),
            string.Create(CultureInfo.InvariantCulture, $"{Version}: {category} {years} years from call start"));
    }
}

/// <summary>The facts of a call's log that decide its category: its event types and any core-banking operations.</summary>
public sealed record CallCategoryFacts(IReadOnlyCollection<string> EventTypes, IReadOnlyCollection<string> CoreOperations);

/// <summary>Derives a call's retention category from what its call log says happened.</summary>
public static class CallCategoryRules
{
    /// <summary>Core-banking operations that move money (the IVR's self-service operations, by name).</summary>
    public static readonly IReadOnlySet<string> MoneyMovingOperations = new HashSet<string>(StringComparer.Ordinal) { "BillPayment" };

    /// <summary>A complaint outranks a fund transaction only in name; both keep the statutory floor.</summary>
    public static CallCategory Classify(CallCategoryFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        // The IVR's complaint option, or a call the complaint desk linked to a ticket (a wrap-up, a later call about it).
        if (facts.EventTypes.Contains("ivr.complaint") || facts.EventTypes.Contains("complaint.linked")) return CallCategory.Complaint;
        if (facts.CoreOperations.Any(MoneyMovingOperations.Contains)) return CallCategory.FundTransaction;
        return CallCategory.Service;
    }
}
