using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace CallCenter.Core.Routing;

/// <summary>Single-node <see cref="IAcdStateStore"/>: dictionaries plus sorted sets; not thread-safe, the engine's caller serialises access.</summary>
public sealed class InMemoryAcdStateStore : IAcdStateStore
{
    private readonly Dictionary<string, CallEntry> _calls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AcdAgent> _agents = new(StringComparer.Ordinal);
    private readonly List<TierHeap?> _waitingByTier = [];

    // Head of every tier kept inline so choosing among an agent's tiers touches one array, not trees.
    private WaitKey[] _heads = new WaitKey[64];
    private readonly List<int> _waitingByQueue = [];
    private readonly List<int> _staffedByTier = [];

    // Slot 0 is every idle agent; then five slots per skill, one per minimum level.
    private readonly List<SortedSet<AcdAgent>?> _idle = [];
    // Agents on texts, same slots as the idle sets, fewest texts first.
    private readonly List<SortedSet<AcdAgent>?> _texting = [];
    // Call timers (one per waiting call) apart from the few agent timers, so ring and wrap-up timers
    // churn through a small heap.
    private readonly PriorityQueue<AcdTimer, (long Ticks, long Seq)> _callTimers = new();
    private readonly PriorityQueue<AcdTimer, (long Ticks, long Seq)> _agentTimers = new();
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

    public AcdCall? FindCall(string callId) => _calls.TryGetValue(callId, out var entry) ? entry.Call : null;

    public AcdAgent? FindAgent(string agentId) => _agents.GetValueOrDefault(agentId);

    public void SaveCall(AcdCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_calls, call.CallId, out var existed);
        if (existed)
            Unindex(slot!);
        else
            slot = new CallEntry();
        slot!.Call = call;
        Index(slot);
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

    public AcdCall? PeekBestWaiting(ImmutableArray<int> tierIds)
    {
        var heads = _heads;
        var best = -1;
        foreach (var tier in tierIds)
        {
            if (tier < heads.Length && heads[tier].Call is not null && (best < 0 || WaitKey.Compare(heads[tier], heads[best]) < 0))
                best = tier;
        }
        return best < 0 ? null : heads[best].Call;
    }

    // O(calls in the tier) here; a Redis store answers with ZRANK. Only estimates ask, never routing.
    public int CountAhead(AcdCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (!_calls.TryGetValue(call.CallId, out var entry) || entry.HeapIndex < 0)
            return 0;
        return _waitingByTier[entry.Call.TierId]!.CountBefore(WaitKey.Of(entry.Call));
    }

    public int CountWaitingCallers(int queueIndex) => queueIndex < _waitingByQueue.Count ? _waitingByQueue[queueIndex] : 0;

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

    public IEnumerable<AcdAgent> TextingAgents(int skillId, int minLevel)
    {
        var slot = IdleSlot(skillId, minLevel);
        return slot < _texting.Count && _texting[slot] is { } set ? set : [];
    }

    public int CountStaffed(int tierId) => tierId < _staffedByTier.Count ? _staffedByTier[tierId] : 0;

    public bool TryClaim(AcdAgent expectedAgent, AcdCall expectedCall, AcdAgent reserved, AcdCall offered)
    {
        ArgumentNullException.ThrowIfNull(expectedAgent);
        ArgumentNullException.ThrowIfNull(expectedCall);
        if (!_agents.TryGetValue(expectedAgent.AgentId, out var agent) || agent.Version != expectedAgent.Version)
            return false;
        if (!_calls.TryGetValue(expectedCall.CallId, out var call) || call.Call.Version != expectedCall.Version)
            return false;
        SaveAgent(reserved);
        SaveCall(offered);
        return true;
    }

    public void Schedule(AcdTimer timer)
    {
        var isCall = IsCallTimer(timer.Kind);
        var heap = isCall ? _callTimers : _agentTimers;
        heap.Enqueue(timer, (timer.Due.UtcTicks, ++_sequence));
        // Answered calls and busy agents leave stale timers behind; dropping them once they outnumber
        // the records keeps the heaps bounded (amortised O(1)) instead of growing until they fall due.
        var records = isCall ? _calls.Count : _agents.Count;
        if (heap.Count > 1024 && heap.Count > 2 * records)
            DropStale(heap);
    }

    public bool TryTakeDue(DateTimeOffset now, out AcdTimer timer)
    {
        var hasCall = _callTimers.TryPeek(out var callTimer, out var callAt) && callAt.Ticks <= now.UtcTicks;
        var hasAgent = _agentTimers.TryPeek(out var agentTimer, out var agentAt) && agentAt.Ticks <= now.UtcTicks;
        if (hasCall && (!hasAgent || callAt.CompareTo(agentAt) < 0))
        {
            timer = _callTimers.Dequeue();
            return true;
        }
        if (hasAgent)
        {
            timer = _agentTimers.Dequeue();
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

    private void DropStale(PriorityQueue<AcdTimer, (long Ticks, long Seq)> heap)
    {
        var live = heap.UnorderedItems.Where(t => IsLive(t.Element)).ToList();
        heap.Clear();
        heap.EnqueueRange(live);
    }

    private static bool IsCallTimer(AcdTimerKind kind) => kind is AcdTimerKind.CallDue or AcdTimerKind.TextOfferTimeout;

    private bool IsLive(AcdTimer timer) => IsCallTimer(timer.Kind)
        ? _calls.TryGetValue(timer.Id, out var call) && call.Call.Version == timer.Version
        : _agents.TryGetValue(timer.Id, out var agent) && agent.Version == timer.Version;

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

    private static bool IsStaffed(AgentState state) => state is AgentState.Available or AgentState.Reserved or AgentState.OnCall or AgentState.WrapUp or AgentState.OnText;

    private void Index(CallEntry entry)
    {
        var call = entry.Call;
        if (call.State != CallState.Waiting)
            return;
        var heap = Slot(_waitingByTier, call.TierId, static () => new TierHeap());
        heap.Add(WaitKey.Of(call), entry);
        if (_heads.Length <= call.TierId)
            Array.Resize(ref _heads, Math.Max(_heads.Length * 2, call.TierId + 1));
        _heads[call.TierId] = heap.Min;
        if (!call.IsCallback)
            Bump(_waitingByQueue, call.QueueIndex, 1);
    }

    private void Unindex(CallEntry entry)
    {
        if (entry.HeapIndex < 0)
            return;
        var call = entry.Call;
        var heap = _waitingByTier[call.TierId]!;
        heap.RemoveAt(entry.HeapIndex);
        _heads[call.TierId] = heap.Count > 0 ? heap.Min : default;
        if (!call.IsCallback)
            Bump(_waitingByQueue, call.QueueIndex, -1);
    }

    private void Index(AcdAgent agent, bool recount)
    {
        if (recount && IsStaffed(agent.State))
        {
            foreach (var tier in agent.EligibleTiers)
                Bump(_staffedByTier, tier, 1);
        }
        var sets = agent.State switch
        {
            AgentState.Available => _idle,
            AgentState.OnText => _texting,
            _ => null,
        };
        if (sets is null)
            return;
        Func<SortedSet<AcdAgent>> create = agent.State == AgentState.Available ? NewIdleSet : NewTextingSet;
        Slot(sets, 0, create).Add(agent);
        foreach (var skill in agent.Skills)
        {
            for (var level = 1; level <= skill.Level; level++)
                Slot(sets, IdleSlot(skill.SkillId, level), create).Add(agent);
        }
    }

    private void Unindex(AcdAgent agent, bool recount)
    {
        if (recount && IsStaffed(agent.State))
        {
            foreach (var tier in agent.EligibleTiers)
                Bump(_staffedByTier, tier, -1);
        }
        var sets = agent.State switch
        {
            AgentState.Available => _idle,
            AgentState.OnText => _texting,
            _ => null,
        };
        if (sets is null)
            return;
        sets[0]!.Remove(agent);
        foreach (var skill in agent.Skills)
        {
            for (var level = 1; level <= skill.Level; level++)
                sets[IdleSlot(skill.SkillId, level)]!.Remove(agent);
        }
    }

    private static SortedSet<AcdAgent> NewIdleSet() => new(AcdOrdering.Idle);

    private static SortedSet<AcdAgent> NewTextingSet() => new(AcdOrdering.Texting);

    /// <summary>The waiting order's fields copied inline so tree comparisons never chase the call record.</summary>
    private readonly record struct WaitKey(bool AtHead, long Score, long Sequence, AcdCall Call)
    {
        public static WaitKey Of(AcdCall call) => new(call.AtHead, call.Score, call.Sequence, call);

        // Same order as AcdOrdering.Waiting.
        public static int Compare(WaitKey x, WaitKey y)
        {
            if (x.AtHead != y.AtHead)
                return x.AtHead ? -1 : 1;
            var c = x.Score.CompareTo(y.Score);
            return c != 0 ? c : x.Sequence.CompareTo(y.Sequence);
        }
    }

    /// <summary>A stored call plus its slot in its tier's heap, so removal needs no search.</summary>
    private sealed class CallEntry
    {
        public AcdCall Call { get; set; } = null!;

        public int HeapIndex { get; set; } = -1;
    }

    /// <summary>Binary min-heap of a tier's waiting calls in waiting order; entries track their slot.</summary>
    private sealed class TierHeap
    {
        private WaitKey[] _keys = new WaitKey[8];
        private CallEntry[] _entries = new CallEntry[8];

        public int Count { get; private set; }

        public WaitKey Min => _keys[0];

        public void Add(WaitKey key, CallEntry entry)
        {
            if (Count == _keys.Length)
            {
                Array.Resize(ref _keys, Count * 2);
                Array.Resize(ref _entries, Count * 2);
            }
            Place(Count, key, entry);
            Count++;
            SiftUp(Count - 1);
        }

        public void RemoveAt(int index)
        {
            var last = --Count;
            _entries[index].HeapIndex = -1;
            if (index != last)
            {
                Place(index, _keys[last], _entries[last]);
                _keys[last] = default;
                _entries[last] = null!;
                SiftDown(index);
                SiftUp(index);
            }
            else
            {
                _keys[last] = default;
                _entries[last] = null!;
            }
        }

        public int CountBefore(WaitKey key)
        {
            var count = 0;
            for (var i = 0; i < Count; i++)
            {
                if (WaitKey.Compare(_keys[i], key) < 0)
                    count++;
            }
            return count;
        }

        private void SiftUp(int index)
        {
            while (index > 0)
            {
                var parent = (index - 1) / 2;
                if (WaitKey.Compare(_keys[index], _keys[parent]) >= 0)
                    return;
                Swap(index, parent);
                index = parent;
            }
        }

        private void SiftDown(int index)
        {
            while (true)
            {
                var smallest = index;
                var left = (2 * index) + 1;
                if (left < Count && WaitKey.Compare(_keys[left], _keys[smallest]) < 0)
                    smallest = left;
                if (left + 1 < Count && WaitKey.Compare(_keys[left + 1], _keys[smallest]) < 0)
                    smallest = left + 1;
                if (smallest == index)
                    return;
                Swap(index, smallest);
                index = smallest;
            }
        }

        private void Swap(int a, int b)
        {
            var (keyA, entryA) = (_keys[a], _entries[a]);
            Place(a, _keys[b], _entries[b]);
            Place(b, keyA, entryA);
        }

        private void Place(int index, WaitKey key, CallEntry entry)
        {
            _keys[index] = key;
            _entries[index] = entry;
            entry.HeapIndex = index;
        }
    }

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
