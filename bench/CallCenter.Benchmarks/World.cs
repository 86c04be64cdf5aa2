using CallCenter.Core.Routing;

namespace CallCenter.Benchmarks;

/// <summary>The benchmark population, generated from a fixed seed so engine and baseline see the same data.</summary>
internal sealed class World
{
    public const int SkillCount = 32;
    public const int QueueCount = 512;
    public const int AgentCount = 10_000;
    public const int WaitingCalls = 100_000;
    public const int SkillsPerAgent = 6;

    public World(int seed = 42)
    {
        Random = new Random(seed);
        Queues = new (int Skill, int Level)[QueueCount][];
        for (var q = 0; q < QueueCount; q++)
        {
            var count = Random.Next(1, 4);
            Queues[q] = [.. Enumerable.Range(0, SkillCount).OrderBy(_ => Random.Next()).Take(count).Select(s => (s, Random.Next(1, 4)))];
        }
        Agents = new (int Skill, int Level)[AgentCount][];
        for (var a = 0; a < AgentCount; a++)
            Agents[a] = [.. Enumerable.Range(0, SkillCount).OrderBy(_ => Random.Next()).Take(SkillsPerAgent).Select(s => (s, Random.Next(1, 6)))];
    }

    public Random Random { get; }

    public (int Skill, int Level)[][] Queues { get; }

    public (int Skill, int Level)[][] Agents { get; }

    public static string SkillName(int skill) => $"skill-{skill:D2}";

    // Formatted once: a host gets the queue name with the request, it does not build it per call.
    private static readonly string[] QueueNames = [.. Enumerable.Range(0, QueueCount).Select(q => $"queue-{q:D3}")];

    public static string QueueName(int queue) => QueueNames[queue];

    public static string AgentName(int agent) => $"agent-{agent:D5}";

    public int NextQueue() => Random.Next(QueueCount);

    public CustomerTier NextTier() => Random.Next(100) switch
    {
        < 2 => CustomerTier.PrivateBanking,
        < 10 => CustomerTier.Wealth,
        _ => CustomerTier.Ordinary,
    };

    public AcdOptions Options() => new()
    {
        Queues =
        [
            .. Queues.Select((skills, q) => new QueueOptions
            {
                Name = QueueName(q),
                RequiredSkills = [.. skills.Select(s => new SkillRequirementOptions { Skill = SkillName(s.Skill), MinLevel = s.Level })],
                // Escalation tiers exist (as in production) but do not fall due inside a run.
                Escalations = [new EscalationStepOptions { After = TimeSpan.FromHours(2), Action = EscalationAction.WidenProficiency }],
            }),
        ],
    };
}
