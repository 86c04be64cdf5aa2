using System.Collections.Immutable;

namespace CallCenter.Core.Routing;

/// <summary>
/// ACD state behind one interface: an in-process store for a single node and a Redis store for
/// several. Saves keep the store's indexes (waiting calls per tier, idle agents per skill and level,
/// staffed agents per tier) in step with the saved record, so a store needs no routing knowledge.
/// </summary>
public interface IAcdStateStore
{
    /// <summary>Monotonic number used to keep FIFO order among equal scores.</summary>
    long NextSequence();

    /// <summary>
    /// Called by the engine at the start of an operation with what it is about to read, so a remote store can fetch
    /// it in one round trip instead of one per read. Purely a hint: it changes no state and no result, and a store
    /// may ignore it (the in-process store does, at the cost of one empty call).
    /// </summary>
    void Prefetch(in AcdReadHint hint)
    {
    }

    AcdCall? FindCall(string callId);

    AcdAgent? FindAgent(string agentId);

    /// <summary>Upsert; the call is in the waiting index of its tier exactly when its state is <see cref="CallState.Waiting"/>.</summary>
    void SaveCall(AcdCall call);

    void DeleteCall(string callId);

    /// <summary>Upsert; the agent is in the idle index exactly when <see cref="AgentState.Available"/>.</summary>
    void SaveAgent(AcdAgent agent);

    /// <summary>Best waiting call across the given tiers, in <see cref="AcdOrdering.Waiting"/> order; null when all are empty.</summary>
    AcdCall? PeekBestWaiting(ImmutableArray<int> tierIds);

    /// <summary>Waiting calls of a tier ahead of the given one.</summary>
    int CountAhead(AcdCall call);

    /// <summary>
    /// Live callers waiting across every tier of a queue: what its size limit counts. Waiting callbacks are left out, since
    /// they hold no line; they keep their place in the order (and in <see cref="CountAhead"/>) all the same.
    /// </summary>
    int CountWaitingCallers(int queueIndex);

    /// <summary>Idle agents holding the skill at or above the level, longest idle first.</summary>
    /// <param name="skillId">A catalogue id, or <see cref="SkillCatalog.AnySkill"/> for every idle agent.</param>
    /// <param name="minLevel">Lowest accepted level, 1–5.</param>
    IEnumerable<AcdAgent> IdleAgents(int skillId, int minLevel);

    int CountIdle(int skillId, int minLevel);

    /// <summary>
    /// Agents in <see cref="AgentState.OnText"/> holding the skill at or above the level, in <see cref="AcdOrdering.Texting"/>
    /// order (fewest texts first); the agent is in this index exactly when it is in that state.
    /// </summary>
    IEnumerable<AcdAgent> TextingAgents(int skillId, int minLevel);

    /// <summary>Staffed agents (logged in, not on break) eligible for a tier.</summary>
    int CountStaffed(int tierId);

    /// <summary>
    /// The one atomic step: if both stored versions still equal the expected ones, write the
    /// reserved agent and the offered call together and return true; otherwise change nothing.
    /// </summary>
    bool TryClaim(AcdAgent expectedAgent, AcdCall expectedCall, AcdAgent reserved, AcdCall offered);

    /// <summary>
    /// Adds a timer. A store may silently drop a timer once the version of its call or agent has moved
    /// on, since the engine ignores such timers anyway.
    /// </summary>
    void Schedule(AcdTimer timer);

    /// <summary>Removes and returns the earliest timer due at or before <paramref name="now"/>.</summary>
    bool TryTakeDue(DateTimeOffset now, out AcdTimer timer);

    LastContact? FindLastContact(string customerId);

    void SaveLastContact(LastContact contact);

    void AddHandleTime(int queueIndex, TimeSpan handleTime);

    /// <summary>Mean of the recent handle times of a queue, or null without history.</summary>
    TimeSpan? MeanHandleTime(int queueIndex);
}

/// <summary>What an engine operation is about to read (<see cref="IAcdStateStore.Prefetch"/>); every part is optional.</summary>
/// <param name="AgentId">The agent record it reads.</param>
/// <param name="CallId">The call record it reads (possibly absent: a new call).</param>
/// <param name="AgentSeeksWork">The agent may become free and look at the heads of its eligible tiers.</param>
/// <param name="TakesSequence">It takes a <see cref="IAcdStateStore.NextSequence"/> (a call entering the ACD).</param>
/// <param name="IdleSlots">Idle-agent indexes (skill, minimum level) a call's routing counts and walks; default when none.</param>
public readonly record struct AcdReadHint(
    string? AgentId = null,
    string? CallId = null,
    bool AgentSeeksWork = false,
    bool TakesSequence = false,
    ImmutableArray<SkillLevel> IdleSlots = default);
