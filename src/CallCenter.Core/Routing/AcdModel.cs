using System.Collections.Immutable;

namespace CallCenter.Core.Routing;

/// <summary>Agent states of the ACD state machine.</summary>
public enum AgentState
{
    Offline,
    Available,
    Reserved,
    OnCall,
    WrapUp,
    Break,

    /// <summary>Holding text requests (SMS, e-mail, web) and no call: offered more texts up to the queue's capacity, never a call.</summary>
    OnText,
}

/// <summary>Where a call is inside the ACD.</summary>
public enum CallState
{
    Waiting,
    Offered,
    Connected,
}

/// <summary>A skill held by an agent (or required by a tier) as a catalogue id and a level 1–5.</summary>
public readonly record struct SkillLevel(int SkillId, int Level);

/// <summary>A skill and level an agent logs in with, by name.</summary>
public sealed record AgentSkill(string Skill, int Level);

/// <summary>Stored agent snapshot; immutable, replaced on every change so a store can compare versions.</summary>
public sealed record AcdAgent
{
    public required string AgentId { get; init; }

    public AgentState State { get; init; }

    public string? BreakReason { get; init; }

    /// <summary>Sorted by skill id.</summary>
    public ImmutableArray<SkillLevel> Skills { get; init; } = [];

    /// <summary>Tier ids this agent may answer, computed at login so routing never tests every queue.</summary>
    public ImmutableArray<int> EligibleTiers { get; init; } = [];

    /// <summary>Orders the idle index: the smallest value has waited longest.</summary>
    public DateTimeOffset IdleSince { get; init; }

    public DateTimeOffset StateSince { get; init; }

    public string? CallId { get; init; }

    /// <summary>Queue of the current or last call; its wrap-up time applies.</summary>
    public int QueueIndex { get; init; } = -1;

    public DateTimeOffset? AnsweredAt { get; init; }

    /// <summary>
    /// Text requests offered to or held by the agent, oldest first (each call record says which: offered or connected).
    /// Non-empty only in <see cref="AgentState.OnText"/>, or on a break taken while finishing them.
    /// </summary>
    public ImmutableArray<string> Texts { get; init; } = [];

    public int CallsToday { get; init; }

    public DateOnly CallsDay { get; init; }

    /// <summary>Bumped on every save; <see cref="IAcdStateStore.TryClaim"/> compares it.</summary>
    public long Version { get; init; }
}

/// <summary>Stored call snapshot; immutable, replaced on every change so a store can compare versions.</summary>
public sealed record AcdCall
{
    public required string CallId { get; init; }

    public CallState State { get; init; }

    public int QueueIndex { get; init; }

    public int TierId { get; init; }

    /// <summary>Escalation steps of the current queue already applied.</summary>
    public int StepsApplied { get; init; }

    /// <summary>First entry into the ACD; wait times and ordering use it, so overflow and ring-no-answer keep the caller's place.</summary>
    public DateTimeOffset EnteredAt { get; init; }

    /// <summary>Entry into the current queue; that queue's escalation and max-wait clocks start here.</summary>
    public DateTimeOffset QueueEnteredAt { get; init; }

    /// <summary>Entry time minus priority head start, in ticks: smaller is served first, and ageing needs no re-sort.</summary>
    public long Score { get; init; }

    /// <summary>Returned after ring-no-answer: ahead of every ordinary waiting call.</summary>
    public bool AtHead { get; init; }

    public long Sequence { get; init; }

    public string? CustomerId { get; init; }

    public CustomerTier CustomerTier { get; init; }

    public bool IsComplaint { get; init; }

    /// <summary>A callback holding the caller's place (<see cref="CallRequest.IsCallback"/>): exempt from queue limits.</summary>
    public bool IsCallback { get; init; }

    /// <summary>The agent who owns the connected call: answered it, or took it over by a transfer.</summary>
    public string? AgentId { get; init; }

    /// <summary>Other agents on the connected call: a warm transfer's target while consulting, or a conference party.</summary>
    public ImmutableArray<string> Guests { get; init; } = [];

    /// <summary>When a text request was accepted (a call's answer time lives on its agent, who holds only one).</summary>
    public DateTimeOffset? ConnectedAt { get; init; }

    public long Version { get; init; }
}

/// <summary>Kinds of timer the engine schedules in the store.</summary>
public enum AcdTimerKind
{
    /// <summary>Next escalation step or max wait of a waiting call.</summary>
    CallDue,
    RingTimeout,
    WrapUpEnd,

    /// <summary>An offered text request not accepted in time; keyed by the request (an agent may have several offers).</summary>
    TextOfferTimeout,
}

/// <summary>A scheduled check; stale timers are recognised by <see cref="Version"/> and ignored.</summary>
public readonly record struct AcdTimer(DateTimeOffset Due, AcdTimerKind Kind, string Id, long Version);

/// <summary>The customer's last answered call, for last-agent preference.</summary>
public sealed record LastContact(string CustomerId, string AgentId, DateTimeOffset At);
