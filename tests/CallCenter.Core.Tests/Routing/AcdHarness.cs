using CallCenter.Core.Routing;

namespace CallCenter.Core.Tests.Routing;

/// <summary>An engine over the in-process store with a hand-moved clock and short helpers.</summary>
internal sealed class AcdHarness
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    public AcdHarness(params QueueOptions[] queues)
        : this(new AcdOptions { Queues = queues })
    {
    }

    public AcdHarness(AcdOptions options)
    {
        Engine = new AcdEngine(options, Store);
    }

    public InMemoryAcdStateStore Store { get; } = new();

    public AcdEngine Engine { get; }

    public DateTimeOffset Now { get; private set; } = T0;

    public AcdDecisions Advance(TimeSpan by)
    {
        Now += by;
        return Engine.Tick(Now);
    }

    public AcdDecisions AdvanceSeconds(double seconds) => Advance(TimeSpan.FromSeconds(seconds));

    public AcdDecisions Login(string agentId, params (string Skill, int Level)[] skills) =>
        Engine.Login(agentId, skills.Select(s => new AgentSkill(s.Skill, s.Level)), Now);

    public AcdDecisions Call(string callId, string queue = "general", CustomerTier tier = CustomerTier.Ordinary, bool complaint = false, string? customer = null) =>
        Engine.Enqueue(new CallRequest(callId, queue) { CustomerTier = tier, IsComplaint = complaint, CustomerId = customer }, Now);

    /// <summary>Accepts, talks for <paramref name="talk"/>, ends the call and finishes wrap-up at once.</summary>
    public void Handle(string agentId, string callId, TimeSpan talk)
    {
        Engine.Accept(agentId, callId, Now);
        Now += talk;
        Engine.EndCall(agentId, callId, Now);
    }

    public AgentState StateOf(string agentId) => Engine.FindAgent(agentId)?.State ?? AgentState.Offline;
}

/// <summary>Queue options with valid defaults.</summary>
internal static class Queues
{
    public static QueueOptions Queue(string name, params (string Skill, int Level)[] skills) => new()
    {
        Name = name,
        RequiredSkills = [.. skills.Select(s => new SkillRequirementOptions { Skill = s.Skill, MinLevel = s.Level })],
    };

    public static QueueOptions General => Queue("general", ("cards", 1));
}

internal static class DecisionsExtensions
{
    public static IEnumerable<(string CallId, string AgentId)> Pairs(this AcdDecisions decisions) =>
        decisions.Offers.Select(o => (o.CallId, o.AgentId));

    public static CallEvent Single(this AcdDecisions decisions, CallEventKind kind) =>
        decisions.CallEvents.Single(e => e.Kind == kind);
}
