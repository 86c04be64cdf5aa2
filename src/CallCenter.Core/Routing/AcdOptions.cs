namespace CallCenter.Core.Routing;

/// <summary>Root ACD configuration, bound by the host from the <c>Acd</c> configuration section.</summary>
public sealed record AcdOptions
{
    public const string SectionName = "Acd";

    public IList<QueueOptions> Queues { get; init; } = [];

    public PriorityOptions Priority { get; init; } = new();

    /// <summary>How many recent handle times per queue feed the wait estimate.</summary>
    public int HandleTimeWindow { get; init; } = 50;

    /// <summary>
    /// Eligible idle agents examined per decision for the non-longest-idle policies; bounds the
    /// hot path instead of ranking every idle agent.
    /// </summary>
    public int SelectionScanLimit { get; init; } = 32;

    /// <summary>Text requests an agent may hold at once, for text queues that set no <see cref="QueueOptions.TextCapacity"/> of their own.</summary>
    public int TextCapacity { get; init; } = 1;
}

/// <summary>Priority head starts: a call is ordered as if it had entered the queue this much earlier.</summary>
public sealed record PriorityOptions
{
    public TimeSpan PrivateBanking { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Shared by wealth and platinum customers.</summary>
    public TimeSpan WealthOrPlatinum { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan Complaint { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>One ACD queue: who may answer it, its limits and its escalation ladder.</summary>
public sealed record QueueOptions
{
    public string Name { get; init; } = "";

    public IList<SkillRequirementOptions> RequiredSkills { get; init; } = [];

    /// <summary>Waiting calls allowed in the queue; 0 means unlimited.</summary>
    public int MaxQueueSize { get; init; }

    public QueueLimitOutcome MaxQueueSizeOutcome { get; init; } = QueueLimitOutcome.CallbackOffer;

    /// <summary>Longest wait in this queue before <see cref="MaxWaitOutcome"/> applies; null means no limit.</summary>
    public TimeSpan? MaxWait { get; init; }

    public QueueLimitOutcome MaxWaitOutcome { get; init; } = QueueLimitOutcome.CallbackOffer;

    /// <summary>Target of the <see cref="QueueLimitOutcome.Overflow"/> outcome.</summary>
    public string? OverflowQueue { get; init; }

    public TimeSpan RingTimeout { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan WrapUpTime { get; init; } = TimeSpan.FromSeconds(30);

    public AgentSelectionPolicy AgentSelection { get; init; } = AgentSelectionPolicy.LongestIdle;

    /// <summary>A repeat caller goes to the agent of their last call within this window, if that agent is free.</summary>
    public TimeSpan? LastAgentWindow { get; init; }

    /// <summary>Extra head start for every call of this queue, on top of customer priority.</summary>
    public TimeSpan PriorityBoost { get; init; }

    public IList<EscalationStepOptions> Escalations { get; init; } = [];

    /// <summary>Calls (one per agent) or text requests (several per agent, never beside a call).</summary>
    public QueueMedia Media { get; init; } = QueueMedia.Voice;

    /// <summary>
    /// For a text queue: an agent takes a request from it while holding fewer than this many texts of any channel;
    /// null uses <see cref="AcdOptions.TextCapacity"/>.
    /// </summary>
    public int? TextCapacity { get; init; }
}

/// <summary>What a queue holds: phone calls, or text requests an agent may hold several of.</summary>
public enum QueueMedia
{
    Voice,
    Text,
}

/// <summary>A skill a queue requires and the lowest proficiency (1–5) accepted.</summary>
public sealed record SkillRequirementOptions
{
    public string Skill { get; init; } = "";

    public int MinLevel { get; init; } = 1;
}

/// <summary>A rule applied once a call has waited <see cref="After"/> in its current queue.</summary>
public sealed record EscalationStepOptions
{
    public TimeSpan After { get; init; }

    public EscalationAction Action { get; init; }

    /// <summary>For <see cref="EscalationAction.WidenProficiency"/>: levels taken off every minimum (floor 1).</summary>
    public int WidenBy { get; init; } = 1;

    /// <summary>For <see cref="EscalationAction.AddSkillGroup"/>: an alternative set of skills that may also answer.</summary>
    public IList<SkillRequirementOptions> SkillGroup { get; init; } = [];

    /// <summary>For <see cref="EscalationAction.MoveToQueue"/>.</summary>
    public string? TargetQueue { get; init; }
}

/// <summary>What an escalation step does to a waiting call.</summary>
public enum EscalationAction
{
    WidenProficiency,
    AddSkillGroup,
    MoveToQueue,
    OfferCallback,
}

/// <summary>Declared outcome when a queue limit (size or wait) is hit.</summary>
public enum QueueLimitOutcome
{
    CallbackOffer,
    Voicemail,
    Overflow,
}

/// <summary>How an agent is chosen among the eligible idle agents.</summary>
public enum AgentSelectionPolicy
{
    LongestIdle,
    MostSkilled,
    LeastCallsToday,
}

/// <summary>Customer tier from the core bank, used for call priority.</summary>
public enum CustomerTier
{
    Ordinary,
    Platinum,
    Wealth,
    PrivateBanking,
}
