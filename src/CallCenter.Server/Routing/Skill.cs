namespace CallCenter.Server.Routing;

/// <summary>A capability calls need and agents have, e.g. "cards.zh" or "complaints".</summary>
public sealed class Skill
{
    public required string Code { get; init; }
    public required string Name { get; set; }
}

/// <summary>A waiting line for calls that need the same skills.</summary>
public sealed class QueueDefinition
{
    public long Id { get; private set; }
    public required string Name { get; init; }
    public required string DisplayName { get; set; }
    public List<QueueSkill> RequiredSkills { get; } = [];
}

/// <summary>A skill a queue requires, with the lowest proficiency an agent needs for it.</summary>
public sealed class QueueSkill
{
    public long QueueId { get; init; }
    public required string SkillCode { get; init; }
    public int MinProficiency { get; set; }
}
