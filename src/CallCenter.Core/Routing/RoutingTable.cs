using System.Collections.Immutable;

namespace CallCenter.Core.Routing;

/// <summary>Skill names to dense ids, taken from configuration so every node derives the same ids.</summary>
public sealed class SkillCatalog
{
    /// <summary>Pseudo skill id that selects every idle agent (for a queue that requires no skill).</summary>
    public const int AnySkill = -1;

    public const int MaxLevel = 5;

    private readonly Dictionary<string, int> _ids;

    internal SkillCatalog(IEnumerable<string> names)
    {
        _ids = names.Distinct(StringComparer.OrdinalIgnoreCase)
            .Order(StringComparer.OrdinalIgnoreCase)
            .Select((name, id) => (name, id))
            .ToDictionary(p => p.name, p => p.id, StringComparer.OrdinalIgnoreCase);
    }

    public int Count => _ids.Count;

    /// <summary>Id of a configured skill, or -1 when no queue uses it (such skills cannot matter to routing).</summary>
    public int IdOf(string skill) => _ids.GetValueOrDefault(skill, -1);
}

/// <summary>One requirement state of a queue: the base requirement, or the base widened by escalation steps.</summary>
/// <param name="Id">Dense tier id, also the store's index key.</param>
/// <param name="QueueIndex">Owning queue.</param>
/// <param name="Alternatives">The call may go to an agent meeting any one of these sets.</param>
internal sealed record RoutingTier(int Id, int QueueIndex, ImmutableArray<ImmutableArray<SkillLevel>> Alternatives);

/// <summary>A configured queue with its escalation steps resolved to tier ids and queue indexes.</summary>
internal sealed record CompiledQueue(
    int Index,
    QueueOptions Options,
    ImmutableArray<EscalationStepOptions> Steps,
    ImmutableArray<int> TierAfterSteps,
    ImmutableArray<int> StepTargets,
    int OverflowIndex);

/// <summary>Configuration compiled once into tiers and reverse indexes so routing never walks the whole configuration.</summary>
internal sealed class RoutingTable
{
    public RoutingTable(AcdOptions options)
    {
        var errors = Validate(options);
        if (errors.Count > 0)
            throw new ArgumentException("Invalid ACD configuration: " + string.Join("; ", errors), nameof(options));

        Skills = new SkillCatalog(options.Queues.SelectMany(q => q.RequiredSkills.Concat(q.Escalations.SelectMany(e => e.SkillGroup))).Select(r => r.Skill));
        var queueIndex = options.Queues.Select((q, i) => (q.Name, i)).ToDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        var tiers = new List<RoutingTier>();
        var queues = new List<CompiledQueue>();
        foreach (var (q, index) in options.Queues.Select((q, i) => (q, i)))
        {
            var steps = q.Escalations.OrderBy(s => s.After).ToImmutableArray();
            var current = ImmutableArray.Create(ToLevels(q.RequiredSkills));
            tiers.Add(new RoutingTier(tiers.Count, index, current));
            var tierAfter = ImmutableArray.CreateBuilder<int>(steps.Length + 1);
            tierAfter.Add(tiers.Count - 1);
            var targets = ImmutableArray.CreateBuilder<int>(steps.Length);
            foreach (var step in steps)
            {
                targets.Add(step.TargetQueue is { } t ? queueIndex[t] : -1);
                var next = step.Action switch
                {
                    EscalationAction.WidenProficiency => current.Select(alt => alt.Select(r => r with { Level = Math.Max(1, r.Level - step.WidenBy) }).ToImmutableArray()).ToImmutableArray(),
                    EscalationAction.AddSkillGroup => current.Add(ToLevels(step.SkillGroup)),
                    _ => current,
                };
                if (next != current)
                {
                    current = next;
                    tiers.Add(new RoutingTier(tiers.Count, index, current));
                }
                tierAfter.Add(tiers.Count - 1);
            }
            var overflow = q.OverflowQueue is { } o ? queueIndex[o] : -1;
            queues.Add(new CompiledQueue(index, q, steps, tierAfter.MoveToImmutable(), targets.MoveToImmutable(), overflow));
        }
        Tiers = [.. tiers];
        Queues = [.. queues];
        QueueIndex = queueIndex;

        var bySkill = new List<int>[Skills.Count];
        for (var s = 0; s < bySkill.Length; s++)
            bySkill[s] = [];
        var open = new List<int>();
        foreach (var tier in Tiers)
        {
            foreach (var alt in tier.Alternatives)
            {
                if (alt.IsEmpty)
                    open.Add(tier.Id);
                foreach (var r in alt)
                    bySkill[r.SkillId].Add(tier.Id);
            }
        }
        TiersBySkill = [.. bySkill.Select(l => l.Distinct().ToImmutableArray())];
        OpenTiers = [.. open.Distinct()];

        ImmutableArray<SkillLevel> ToLevels(IEnumerable<SkillRequirementOptions> requirements) =>
            [.. requirements.Select(r => new SkillLevel(Skills.IdOf(r.Skill), r.MinLevel)).OrderBy(r => r.SkillId)];
    }

    public SkillCatalog Skills { get; }

    public ImmutableArray<RoutingTier> Tiers { get; }

    public ImmutableArray<CompiledQueue> Queues { get; }

    public IReadOnlyDictionary<string, int> QueueIndex { get; }

    /// <summary>Tiers that mention a skill: the only tiers an agent with that skill can be eligible for.</summary>
    public ImmutableArray<ImmutableArray<int>> TiersBySkill { get; }

    /// <summary>Tiers with an alternative that requires no skill: every agent is eligible.</summary>
    public ImmutableArray<int> OpenTiers { get; }

    /// <summary>Configuration errors, empty when the options are usable.</summary>
    public static IReadOnlyList<string> Validate(AcdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var q in options.Queues)
        {
            if (string.IsNullOrWhiteSpace(q.Name) || !names.Add(q.Name))
                errors.Add($"queue name '{q.Name}' is empty or repeated");
        }
        foreach (var q in options.Queues)
        {
            foreach (var r in q.RequiredSkills.Concat(q.Escalations.SelectMany(e => e.SkillGroup)))
            {
                if (string.IsNullOrWhiteSpace(r.Skill) || r.MinLevel is < 1 or > SkillCatalog.MaxLevel)
                    errors.Add($"queue '{q.Name}': skill '{r.Skill}' needs a name and a level 1-{SkillCatalog.MaxLevel}");
            }
            var usesOverflow = q.MaxQueueSizeOutcome == QueueLimitOutcome.Overflow || (q.MaxWait is not null && q.MaxWaitOutcome == QueueLimitOutcome.Overflow);
            if (usesOverflow && (q.OverflowQueue is null || !names.Contains(q.OverflowQueue) || q.OverflowQueue == q.Name))
                errors.Add($"queue '{q.Name}': overflow outcome needs an existing, different OverflowQueue");
            if (q.RingTimeout <= TimeSpan.Zero || q.WrapUpTime < TimeSpan.Zero || q.MaxQueueSize < 0 || q.MaxWait <= TimeSpan.Zero)
                errors.Add($"queue '{q.Name}': ring timeout must be positive, wrap-up, size and max wait not negative");
            foreach (var step in q.Escalations)
            {
                if (step.After <= TimeSpan.Zero)
                    errors.Add($"queue '{q.Name}': escalation after {step.After} must be positive");
                if (step.Action == EscalationAction.MoveToQueue && (step.TargetQueue is null || !names.Contains(step.TargetQueue) || step.TargetQueue == q.Name))
                    errors.Add($"queue '{q.Name}': move-to-queue needs an existing, different TargetQueue");
                if (step.Action == EscalationAction.AddSkillGroup && step.SkillGroup.Count == 0)
                    errors.Add($"queue '{q.Name}': add-skill-group needs skills");
                if (step.Action == EscalationAction.WidenProficiency && step.WidenBy < 1)
                    errors.Add($"queue '{q.Name}': widen-proficiency needs WidenBy >= 1");
            }
        }
        var media = options.Queues.GroupBy(q => q.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Media, StringComparer.Ordinal);
        foreach (var q in options.Queues)
        {
            if (q.TextCapacity is < 1)
                errors.Add($"queue '{q.Name}': TextCapacity must be at least 1");
            var targets = q.Escalations.Select(e => e.TargetQueue).Append(q.OverflowQueue).OfType<string>();
            // A text moved to a phone queue (or a call to a text queue) would be offered as the wrong kind of work.
            foreach (var target in targets.Where(t => media.TryGetValue(t, out var m) && m != q.Media))
                errors.Add($"queue '{q.Name}': overflow or move target '{target}' holds other media ({media[target]})");
        }
        if (options.TextCapacity < 1)
            errors.Add("TextCapacity must be at least 1");
        if (options.HandleTimeWindow < 1 || options.SelectionScanLimit < 1)
            errors.Add("HandleTimeWindow and SelectionScanLimit must be at least 1");
        return errors;
    }
}
