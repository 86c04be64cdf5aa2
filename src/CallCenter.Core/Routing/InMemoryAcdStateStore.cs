using System.Runtime.InteropServices;

namespace CallCenter.Core.Routing;

/// <summary>Single-node <see cref="IAcdStateStore"/>: dictionaries plus sorted sets; not thread-safe, the engine's caller serialises access.</summary>
public sealed class InMemoryAcdStateStore : IAcdStateStore
{
    private readonly Dictionary<string, AcdCall> _calls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AcdAgent> _agents = new(StringComparer.Ordinal);
    private readonly List<SortedSet<AcdCall>?> _waitingByTier = [];
    private readonly List<int> _waitingByQueue = [];
    private readonly List<int> _staffedByTier = [];

    // Slot 0 is every idle agent; then five slots per skill, one per minimum level.
    private readonly List<SortedSet<AcdAgent>?> _idle = [];
    private readonly PriorityQueue<AcdTimer, (long Ticks, long Seq)> _timers = new();
    private readonly Dictionary<string, LastContact> _lastContacts = new(StringComparer.Ordinal);
    private readonly Dictionary<int, HandleTimeWindow> _handleTimes = [];
    private readonly int _handleTimeWindow;
    private long _sequence;

    public InMemoryAcdStateStore(int handleTimeWindow = 50)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(handleTimeWindow, 1);
        _handleTimeWindow = handleTimeWindow;
    }

    public long NextSequence() => ++_sequence;

    public AcdCall? FindCall(string callId) => _calls.GetValueOrDefault(callId);

    public AcdAgent? FindAgent(string agentId) => _agents.GetValueOrDefault(agentId);

    public void SaveCall(AcdCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_calls, call.CallId, out var existed);
        if (existed)
            Unindex(slot!);
        slot = call;
        Index(call);
    }

    public void DeleteCall(string callId)
    {
        if (_calls.Remove(callId, out var old))
            Unindex(old);
    }

    public void SaveAgent(AcdAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_agents, agent.AgentId, out var existed);
        var old = slot;
        slot = agent;
        // Staffed-to-staffed moves (ringing, answering, wrapping up) leave the per-tier counts alone.
        var recount = !(existed && IsStaffed(old!.State) && IsStaffed(agent.State) && old.EligibleTiers == agent.EligibleTiers);
        if (existed)
            Unindex(old!, recount);
        Index(agent, recount);
    }

    public AcdCall? PeekWaiting(int tierId)
    {
        var set = tierId < _waitingByTier.Count ? _waitingByTier[tierId] : null;
        return set is { Count: > 0 } ? set.Min : null;
    }

    // O(position) here; a Redis store answers with ZRANK. Only estimates ask, never routing.
    public int CountAhead(AcdCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var set = call.TierId < _waitingByTier.Count ? _waitingByTier[call.TierId] : null;
        if (set is null || !set.Contains(call))
            return 0;
        return set.GetViewBetween(set.Min!, call).Count - 1;
    }

    public int CountWaiting(int queueIndex) => queueIndex < _waitingByQueue.Count ? _waitingByQueue[queueIndex] : 0;

    public IEnumerable<AcdAgent> IdleAgents(int skillId, int minLevel)
    {
        var slot = IdleSlot(skillId, minLevel);
        return slot < _idle.Count && _idle[slot] is { } set ? set : [];
    }

    public int CountIdle(int skillId, int minLevel)
    {
        var slot = IdleSlot(skillId, minLevel);
        return slot < _idle.Count && _idle[slot] is { } set ? set.Count : 0;
    }

    public int CountStaffed(int tierId) => tierId < _staffedByTier.Count ? _staffedByTier[tierId] : 0;

    public bool TryClaim(AcdAgent expectedAgent, AcdCall expectedCall, AcdAgent reserved, AcdCall offered)
    {
        ArgumentNullException.ThrowIfNull(expectedAgent);
        ArgumentNullException.ThrowIfNull(expectedCall);
        if (!_agents.TryGetValue(expectedAgent.AgentId, out var agent) || agent.Version != expectedAgent.Version)
            return false;
        if (!_calls.TryGetValue(expectedCall.CallId, out var call) || call.Version != expectedCall.Version)
            return false;
        SaveAgent(reserved);
        SaveCall(offered);
        return true;
    }

    public void Schedule(AcdTimer timer) => _timers.Enqueue(timer, (timer.Due.UtcTicks, ++_sequence));

    public bool TryTakeDue(DateTimeOffset now, out AcdTimer timer)
    {
        if (_timers.TryPeek(out timer, out var priority) && priority.Ticks <= now.UtcTicks)
        {
            _timers.Dequeue();
            return true;
        }
        timer = default;
        return false;
    }

    public LastContact? FindLastContact(string customerId) => _lastContacts.GetValueOrDefault(customerId);

    public void SaveLastContact(LastContact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        _lastContacts[contact.CustomerId] = contact;
    }

    public void AddHandleTime(int queueIndex, TimeSpan handleTime)
    {
        if (!_handleTimes.TryGetValue(queueIndex, out var window))
            _handleTimes[queueIndex] = window = new HandleTimeWindow(_handleTimeWindow);
        window.Add(handleTime);
    }

    public TimeSpan? MeanHandleTime(int queueIndex) =>
        _handleTimes.TryGetValue(queueIndex, out var window) ? window.Mean : null;

    private static int IdleSlot(int skillId, int minLevel) =>
        skillId == SkillCatalog.AnySkill ? 0 : 1 + (skillId * SkillCatalog.MaxLevel) + (Math.Clamp(minLevel, 1, SkillCatalog.MaxLevel) - 1);

    private static T Slot<T>(List<T?> list, int index, Func<T> create)
        where T : class
    {
        while (list.Count <= index)
            list.Add(null);
        return list[index] ??= create();
    }

    private static void Bump(List<int> counts, int index, int delta)
    {
        while (counts.Count <= index)
            counts.Add(0);
        counts[index] += delta;
    }

    private static bool IsStaffed(AgentState state) => state is AgentState.Available or AgentState.Reserved or AgentState.OnCall or AgentState.WrapUp;

    private void Index(AcdCall call)
    {
        if (call.State != CallState.Waiting)
            return;
        Slot(_waitingByTier, call.TierId, static () => new SortedSet<AcdCall>(AcdOrdering.Waiting)).Add(call);
        Bump(_waitingByQueue, call.QueueIndex, 1);
    }

    private void Unindex(AcdCall call)
    {
        if (call.State != CallState.Waiting)
            return;
        _waitingByTier[call.TierId]!.Remove(call);
        Bump(_waitingByQueue, call.QueueIndex, -1);
    }

    private void Index(AcdAgent agent, bool recount)
    {
        if (recount && IsStaffed(agent.State))
        {
            foreach (var tier in agent.EligibleTiers)
                Bump(_staffedByTier, tier, 1);
        }
        if (agent.State != AgentState.Available)
            return;
        Slot(_idle, 0, NewIdleSet).Add(agent);
        foreach (var skill in agent.Skills)
        {
            for (var level = 1; level <= skill.Level; level++)
                Slot(_idle, IdleSlot(skill.SkillId, level), NewIdleSet).Add(agent);
        }
    }

    private void Unindex(AcdAgent agent, bool recount)
    {
        if (recount && IsStaffed(agent.State))
        {
            foreach (var tier in agent.EligibleTiers)
                Bump(_staffedByTier, tier, -1);
        }
        if (agent.State != AgentState.Available)
            return;
        _idle[0]!.Remove(agent);
        foreach (var skill in agent.Skills)
        {
            for (var level = 1; level <= skill.Level; level++)
                _idle[IdleSlot(skill.SkillId, level)]!.Remove(agent);
        }
    }

    private static SortedSet<AcdAgent> NewIdleSet() => new(AcdOrdering.Idle);

    private sealed class HandleTimeWindow(int capacity)
    {
        private readonly long[] _ticks = new long[capacity];
        private int _count;
        private int _next;
        private long _sum;

        public TimeSpan? Mean => _count == 0 ? null : TimeSpan.FromTicks(_sum / _count);

        public void Add(TimeSpan value)
        {
            if (_count == _ticks.Length)
                _sum -= _ticks[_next];
            else
                _count++;
            _ticks[_next] = value.Ticks;
            _sum += value.Ticks;
            _next = (_next + 1) % _ticks.Length;
        }
    }
}
