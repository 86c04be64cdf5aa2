namespace CallCenter.Server.Agents;

/// <summary>A person who can log in to a seat and take calls, known by their work number.</summary>
public sealed class Agent
{
    public long Id { get; private set; }
    public required string WorkNumber { get; init; }
    public required string DisplayName { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public List<AgentSkill> Skills { get; } = [];
}

/// <summary>How well an agent masters one skill, from 1 (novice) to 5 (expert).</summary>
public sealed class AgentSkill
{
    public long AgentId { get; init; }
    public required string SkillCode { get; init; }
    public int Proficiency { get; set; }
}
