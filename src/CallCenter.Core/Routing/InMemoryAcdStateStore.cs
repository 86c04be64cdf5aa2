using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace CallCenter.Core.Routing;

/// <summary>
/// Single-node <see cref="IAcdStateStore"/>: each call and agent lives in a mutable slot of a struct array, found by its
/// id once and by slot number after that; not thread-safe, the engine's caller serialises access.
/// </summary>
/// <remarks>
/// Records stay the interface's currency, but the store does not keep them: a save copies the record's fields into the
/// slot and a find builds a fresh record from it. Keeping the engine's records would keep ~100,000 waiting calls and
/// every busy agent as objects replaced on each change, which outlive a gen0 collection and make every collection pay
/// for them; copied into slots, a record dies young, and the indexes (tier heaps, timers) hold slot numbers, not
/// references, so a collection has almost nothing to trace in them.
/// </remarks>
public sealed class InMemoryAcdStateStore : IAcdStateStore
{
    private const int NoSlot = -1;

    // Id to slot without holding the id (see _callIds): a Dictionary<string, int> would keep a reference to each new call's
    // id in its long-lived entries array.
    private readonly CallIndex _callSlots = new();
    private CallSlot[] _calls = new CallSlot[64];
    // Per call slot: the call's id, apart from the slots. Each new call's id is a young string written into a long-lived array,
    // which every collection until the id is promoted finds through the card table; in this dense array those references
    // share a few cards instead of one card each across the much larger slot array.
    private string?[] _callIds = new string?[64];
    // Per call slot: its place in its tier's heap, -1 when not waiting. Apart from the slots so a sift touches a dense array.
    private int[] _heapIndex = new int[64];
    private int _callsUsed;
    private readonly Stack<int> _freeCalls = new();

    private readonly Dictionary<string, int> _agentSlots = new(StringComparer.Ordinal);
    private AgentSlot[] _agents = new AgentSlot[64];
    private int _agentsUsed;

    // The slot found last for each kind: an engine operation reads and saves the same call or agent several times,
    // and a reference check on the id skips the string hash. Valid while the slot still holds that very id string.
    private int _lastCallSlot = NoSlot;
    // The id a call lookup last failed for and its hash: a new call is looked up and then saved, and the save need not look
    // again nor hash the id twice.
    private string? _missedCallId;
    private int _missedHash;
    private int _lastAgentSlot = NoSlot;

    // The record a find or save handed out last for each kind, while its slot has not changed since: the repeated
    // reads of one operation then share one record instead of building one each.
    private AcdCall? _lastCall;
    private int _lastCallOf = NoSlot;
    private AcdAgent? _lastAgent;
    private int _lastAgentOf = NoSlot;

    private readonly List<TierHeap?> _waitingByTier = [];

    // Head of every tier kept inline so choosing among an agent's tiers touches one array, not the heaps.
    private WaitKey[] _heads = NewHeads(64);
    private readonly List<int> _waitingByQueue = [];
    private readonly List<int> _staffedByTier = [];

    // Slot 0 is every idle agent; then five slots per skill, one per minimum level.
    private readonly List<SortedSet<AgentKey>?> _idle = [];
    // Agents on texts, same slots as the idle sets, fewest texts first.
    private readonly List<SortedSet<AgentKey>?> _texting = [];
    // Ring and wrap-up timers of known agents; the engine acts only on a timer of the agent's current version, so the ones
    // an agent has moved past are dropped when they reach the head of their run (or by the sweep), never handed out.
    private readonly AgentTimerRuns _agentTimers = new();
    // IsStale as a delegate made once, not per use.
    private readonly TimerTest _isStale;
    // Call timers, and agent timers no run takes (scheduled before the agent existed, or due before the end of every run).
    // Calls keep a plain heap: their timers are mostly added in due order (an append) and dropped in bulk once stale,
    // which measured cheaper than moving a slot's entry in a 100,000-entry heap on every change.
    private readonly PriorityQueue<TimerEntry, (long Ticks, long Seq)> _timers = new();
    private List<(TimerEntry, (long Ticks, long Seq))>? _liveTimers;
    private readonly Dictionary<string, LastContact> _lastContacts = new(StringComparer.Ordinal);
    private readonly Dictionary<int, HandleTimeWindow> _handleTimes = [];
    private readonly int _handleTimeWindow;
    private long _sequence;

    public InMemoryAcdStateStore(int handleTimeWindow = 50)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(handleTimeWindow, 1);
        _handleTimeWindow = handleTimeWindow;
        _isStale = IsStale;
    }

    public long NextSequence() => ++_sequence;

    public AcdCall? FindCall(string callId)
    {
        ArgumentNullException.ThrowIfNull(callId);
        var slot = CallSlotOf(callId);
        return slot == NoSlot ? null : CallRecord(slot);
    }

    public AcdAgent? FindAgent(string agentId)
    {
        ArgumentNullException.ThrowIfNull(agentId);
        var slot = AgentSlotOf(agentId);
        return slot == NoSlot ? null : AgentRecord(slot);
    }

    public void SaveCall(AcdCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var slot = CallSlotOf(call.CallId);
        if (slot == NoSlot)
            slot = NewCallSlot(call.CallId);
        else
            Unindex(slot);
        _calls[slot].Copy(call);
        (_lastCall, _lastCallOf) = (call, slot);
        Index(slot);
    }

    public void DeleteCall(string callId)
    {
        ArgumentNullException.ThrowIfNull(callId);
        var slot = CallSlotOf(callId);
        if (slot == NoSlot)
            return;
        Unindex(slot);
        _callSlots.Remove(slot, callId.GetHashCode());
        ref var entry = ref _calls[slot];
        var generation = entry.Generation + 1;
        // Cleared so neither the strings nor the guest list outlive the call; the generation tells stale timers apart.
        entry = default;
        entry.Generation = generation;
        _callIds[slot] = null;
        _freeCalls.Push(slot);
        if (_lastCallOf == slot)
            (_lastCall, _lastCallOf) = (null, NoSlot);
    }

    public void SaveAgent(AcdAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var slot = AgentSlotOf(agent.AgentId);
        var existed = slot != NoSlot;
        if (!existed)
            slot = NewAgentSlot(agent.AgentId);
        ref var entry = ref _agents[slot];
        // Staffed-to-staffed moves (ringing, answering, wrapping up) leave the per-tier counts alone.
        var recount = !(existed && IsStaffed(entry.State) && IsStaffed(agent.State) && entry.EligibleTiers == agent.EligibleTiers);
        if (existed)
            Unindex(slot, recount);
        entry.Copy(agent);
        // Found now while the call is at hand (a claim or an answer has just read it), so the agent's next operation on
        // that call finds it without hashing the id.
        entry.CallSlot = agent.CallId is { } callId ? CallSlotOf(callId) : NoSlot;
        (_lastAgent, _lastAgentOf) = (agent, slot);
        Index(slot, recount);
    }

    public AcdCall? PeekBestWaiting(ImmutableArray<int> tierIds)
    {
        var heads = _heads;
        var best = -1;
        foreach (var tier in tierIds)
        {
            if (tier < heads.Length && heads[tier].Slot != NoSlot && (best < 0 || WaitKey.Compare(heads[tier], heads[best]) < 0))
                best = tier;
        }
        return best < 0 ? null : CallRecord(heads[best].Slot);
    }

    // O(calls in the tier) here; a Redis store answers with ZRANK. Only estimates ask, never routing.
    public int CountAhead(AcdCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var slot = CallSlotOf(call.CallId);
        if (slot == NoSlot || _heapIndex[slot] < 0)
            return 0;
        return _waitingByTier[_calls[slot].TierId]!.CountBefore(WaitKey.Of(in _calls[slot], slot));
    }

    public int CountWaitingCallers(int queueIndex) => queueIndex < _waitingByQueue.Count ? _waitingByQueue[queueIndex] : 0;

    public IEnumerable<AcdAgent> IdleAgents(int skillId, int minLevel) => Agents(_idle, skillId, minLevel);

    public int CountIdle(int skillId, int minLevel)
    {
        var slot = IdleSlot(skillId, minLevel);
        return slot < _idle.Count && _idle[slot] is { } set ? set.Count : 0;
    }

    public IEnumerable<AcdAgent> TextingAgents(int skillId, int minLevel) => Agents(_texting, skillId, minLevel);

    public int CountStaffed(int tierId) => tierId < _staffedByTier.Count ? _staffedByTier[tierId] : 0;

    public bool TryClaim(AcdAgent expectedAgent, AcdCall expectedCall, AcdAgent reserved, AcdCall offered)
    {
        ArgumentNullException.ThrowIfNull(expectedAgent);
        ArgumentNullException.ThrowIfNull(expectedCall);
        var agent = AgentSlotOf(expectedAgent.AgentId);
        if (agent == NoSlot || _agents[agent].Version != expectedAgent.Version)
            return false;
        var call = CallSlotOf(expectedCall.CallId);
        if (call == NoSlot || _calls[call].Version != expectedCall.Version)
            return false;
        SaveAgent(reserved);
        SaveCall(offered);
        return true;
    }

    public void Schedule(AcdTimer timer)
    {
        if (IsCallTimer(timer.Kind) || AgentSlotOf(timer.Id) is not (var slot and not NoSlot))
        {
            AddTimer(timer, ++_sequence);
            return;
        }
        var version = _agents[slot].Version;
        // The agent has moved on: the engine would ignore this timer when it falls due.
        if (timer.Version < version)
            return;
        if (!_agentTimers.TryAdd(new AgentTimer(timer.Due, timer.Kind, timer.Version, ++_sequence, slot)))
        {
            AddTimer(timer, _sequence);
            return;
        }
        // Superseded timers stay in their run until they fall due; without ticks they would pile up, so past a bound the
        // runs are swept of them (amortised O(1), as for call timers).
        if (_agentTimers.Count > 1024 && _agentTimers.Count > 2 * _agentsUsed)
            _agentTimers.RemoveAll(_isStale);
    }

    // The agent has moved past the version the timer was scheduled for, so the engine would ignore it.
    private bool IsStale(in AgentTimer timer) => timer.Version < _agents[timer.Slot].Version;

    public bool TryTakeDue(DateTimeOffset now, out AcdTimer timer)
    {
        var due = now.UtcTicks;
        while (true)
        {
            var run = _agentTimers.EarliestDue(due, _isStale);
            var hasOther = _timers.TryPeek(out _, out var otherAt) && otherAt.Ticks <= due;
            if (hasOther && (run < 0 || otherAt.CompareTo(_agentTimers.Head(run).Order) < 0))
            {
                // A call timer whose slot has since been freed names a call that left: dropped, as the engine would ignore it.
                if (TimerOf(_timers.Dequeue()) is { } taken)
                {
                    timer = taken;
                    return true;
                }
                continue;
            }
            if (run < 0)
            {
                timer = default;
                return false;
            }
            var next = _agentTimers.Take(run);
            timer = new AcdTimer(next.Due, next.Kind, _agents[next.Slot].AgentId, next.Version);
            return true;
        }
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

    private int CallSlotOf(string callId)
    {
        var slot = _lastCallSlot;
        if (slot != NoSlot && ReferenceEquals(_callIds[slot], callId))
            return slot;
        // The call of the agent read last (ending or answering it): its slot is linked, valid while the slot holds that id.
        var agent = _lastAgentSlot;
        if (agent != NoSlot && ReferenceEquals(_agents[agent].CallId, callId))
        {
            slot = _agents[agent].CallSlot;
            if (slot != NoSlot && ReferenceEquals(_callIds[slot], callId))
                return _lastCallSlot = slot;
        }
        if (ReferenceEquals(callId, _missedCallId))
            return NoSlot;
        var hash = callId.GetHashCode();
        slot = _callSlots.Find(callId, hash, _callIds);
        if (slot == NoSlot)
        {
            (_missedCallId, _missedHash) = (callId, hash);
            return NoSlot;
        }
        _lastCallSlot = slot;
        return slot;
    }

    private int AgentSlotOf(string agentId)
    {
        var slot = _lastAgentSlot;
        if (slot != NoSlot && ReferenceEquals(_agents[slot].AgentId, agentId))
            return slot;
        if (!_agentSlots.TryGetValue(agentId, out slot))
            return NoSlot;
        _lastAgentSlot = slot;
        return slot;
    }

    private int NewCallSlot(string callId)
    {
        if (!_freeCalls.TryPop(out var slot))
        {
            if (_callsUsed == _calls.Length)
            {
                Array.Resize(ref _calls, _calls.Length * 2);
                Array.Resize(ref _heapIndex, _calls.Length);
                Array.Resize(ref _callIds, _calls.Length);
            }
            slot = _callsUsed++;
            _heapIndex[slot] = NoSlot;
        }
        _callSlots.Add(slot, ReferenceEquals(callId, _missedCallId) ? _missedHash : callId.GetHashCode());
        _callIds[slot] = callId;
        (_lastCallSlot, _missedCallId) = (slot, null);
        return slot;
    }

    private int NewAgentSlot(string agentId)
    {
        if (_agentsUsed == _agents.Length)
            Array.Resize(ref _agents, _agents.Length * 2);
        var slot = _agentsUsed++;
        _agentSlots.Add(agentId, slot);
        _lastAgentSlot = slot;
        return slot;
    }

    private AcdCall CallRecord(int slot)
    {
        if (_lastCallOf == slot)
        {
            _lastCallSlot = slot;
            return _lastCall!;
        }
        var record = _calls[slot].ToRecord(_callIds[slot]!);
        (_lastCall, _lastCallOf, _lastCallSlot) = (record, slot, slot);
        return record;
    }

    private AcdAgent AgentRecord(int slot)
    {
        if (_lastAgentOf == slot)
        {
            _lastAgentSlot = slot;
            return _lastAgent!;
        }
        var record = _agents[slot].ToRecord();
        (_lastAgent, _lastAgentOf, _lastAgentSlot) = (record, slot, slot);
        return record;
    }

    private IEnumerable<AcdAgent> Agents(List<SortedSet<AgentKey>?> sets, int skillId, int minLevel)
    {
        var index = IdleSlot(skillId, minLevel);
        if (index >= sets.Count || sets[index] is not { Count: > 0 } set)
            return [];
        return Records(set);

        IEnumerable<AcdAgent> Records(SortedSet<AgentKey> keys)
        {
            foreach (var key in keys)
                yield return AgentRecord(key.Slot);
        }
    }

    private void AddTimer(AcdTimer timer, long sequence)
    {
        // The slot and its generation let the clean-up below test a call timer by array index instead of by id.
        var slot = IsCallTimer(timer.Kind) ? CallSlotOf(timer.Id) : NoSlot;
        var generation = slot == NoSlot ? 0 : _calls[slot].Generation;
        _timers.Enqueue(new TimerEntry(timer.Due, timer.Kind, slot == NoSlot ? timer.Id : null, timer.Version, slot, generation), (timer.Due.UtcTicks, sequence));
        // Answered calls leave stale timers behind; dropping them once they outnumber the calls keeps the heap bounded
        // (amortised O(1)) instead of growing until they fall due.
        if (_timers.Count > 1024 && _timers.Count > 2 * _callSlots.Count)
            DropStale();
    }

    private void DropStale()
    {
        // Kept between clean-ups: the list is large-object-heap sized, and a fresh one each time would count towards gen2.
        var live = _liveTimers ??= new(_timers.Count / 2);
        foreach (var item in _timers.UnorderedItems)
        {
            if (IsLive(item.Element))
                live.Add(item);
        }
        _timers.Clear();
        _timers.EnqueueRange(live);
        live.Clear();
    }

    private static bool IsCallTimer(AcdTimerKind kind) => kind is AcdTimerKind.CallDue or AcdTimerKind.TextOfferTimeout;

    // Call timers scheduled for a record are checked by slot; any other timer is looked up by id.
    private bool IsLive(in TimerEntry entry)
    {
        if (entry.Slot == NoSlot)
        {
            if (!IsCallTimer(entry.Kind))
            {
                var agent = AgentSlotOf(entry.Id!);
                return agent != NoSlot && _agents[agent].Version == entry.Version;
            }
            var slot = CallSlotOf(entry.Id!);
            return slot != NoSlot && _calls[slot].Version == entry.Version;
        }
        // A freed slot has a new generation, so a timer of the call that left it is stale even once the slot is reused.
        ref readonly var call = ref _calls[entry.Slot];
        return call.Generation == entry.Generation && call.Version == entry.Version;
    }

    // The timer an entry stands for; null for a call timer whose call has left its slot (the id is gone with it).
    private AcdTimer? TimerOf(in TimerEntry entry)
    {
        if (entry.Slot == NoSlot)
            return new AcdTimer(entry.Due, entry.Kind, entry.Id!, entry.Version);
        ref readonly var call = ref _calls[entry.Slot];
        return call.Generation == entry.Generation ? new AcdTimer(entry.Due, entry.Kind, _callIds[entry.Slot]!, entry.Version) : null;
    }

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
        CollectionsMarshal.AsSpan(counts)[index] += delta;
    }

    private static bool IsStaffed(AgentState state) => state is AgentState.Available or AgentState.Reserved or AgentState.OnCall or AgentState.WrapUp or AgentState.OnText;

    private static WaitKey[] NewHeads(int length)
    {
        var heads = new WaitKey[length];
        heads.AsSpan().Fill(WaitKey.Empty);
        return heads;
    }

    private void Index(int slot)
    {
        ref readonly var call = ref _calls[slot];
        if (call.State != CallState.Waiting)
            return;
        var heap = Slot(_waitingByTier, call.TierId, static () => new TierHeap());
        heap.Add(WaitKey.Of(in call, slot), _heapIndex);
        if (_heads.Length <= call.TierId)
        {
            var grown = NewHeads(Math.Max(_heads.Length * 2, call.TierId + 1));
            _heads.CopyTo(grown, 0);
            _heads = grown;
        }
        _heads[call.TierId] = heap.Min;
        if (!call.IsCallback)
            Bump(_waitingByQueue, call.QueueIndex, 1);
    }

    private void Unindex(int slot)
    {
        if (_heapIndex[slot] < 0)
            return;
        ref readonly var call = ref _calls[slot];
        var heap = _waitingByTier[call.TierId]!;
        heap.RemoveAt(_heapIndex[slot], _heapIndex);
        _heads[call.TierId] = heap.Count > 0 ? heap.Min : WaitKey.Empty;
        if (!call.IsCallback)
            Bump(_waitingByQueue, call.QueueIndex, -1);
    }

    private void Index(int slot, bool recount)
    {
        ref readonly var agent = ref _agents[slot];
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
        Func<SortedSet<AgentKey>> create = agent.State == AgentState.Available ? NewIdleSet : NewTextingSet;
        var key = AgentKey.Of(in agent, slot);
        Slot(sets, 0, create).Add(key);
        foreach (var skill in agent.Skills)
        {
            for (var level = 1; level <= skill.Level; level++)
                Slot(sets, IdleSlot(skill.SkillId, level), create).Add(key);
        }
    }

    private void Unindex(int slot, bool recount)
    {
        ref readonly var agent = ref _agents[slot];
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
        var key = AgentKey.Of(in agent, slot);
        sets[0]!.Remove(key);
        foreach (var skill in agent.Skills)
        {
            for (var level = 1; level <= skill.Level; level++)
                sets[IdleSlot(skill.SkillId, level)]!.Remove(key);
        }
    }

    private static SortedSet<AgentKey> NewIdleSet() => new(AgentKey.IdleOrder);

    private static SortedSet<AgentKey> NewTextingSet() => new(AgentKey.TextingOrder);

    /// <summary>A stored call's fields.</summary>
    private struct CallSlot
    {
        public string? CustomerId;
        public string? AgentId;
        public ImmutableArray<string> Guests;
        public DateTimeOffset EnteredAt;
        public DateTimeOffset QueueEnteredAt;
        public DateTimeOffset? ConnectedAt;
        public long Score;
        public long Sequence;
        public long Version;
        public int QueueIndex;
        public int TierId;
        public int StepsApplied;
        // Bumped when the slot is freed, so a timer taken out for an earlier call in this slot is recognised.
        public int Generation;
        public CallState State;
        public CustomerTier CustomerTier;
        public bool AtHead;
        public bool IsComplaint;
        public bool IsCallback;

        public void Copy(AcdCall call)
        {
            // References are written only when they change: a reference store into this long-lived array can mark a card
            // for the next gen0 collection to scan, and most saves change no reference at all.
            if (!ReferenceEquals(CustomerId, call.CustomerId))
                CustomerId = call.CustomerId;
            if (!ReferenceEquals(AgentId, call.AgentId))
                AgentId = call.AgentId;
            if (Guests != call.Guests)
                Guests = call.Guests;
            EnteredAt = call.EnteredAt;
            QueueEnteredAt = call.QueueEnteredAt;
            ConnectedAt = call.ConnectedAt;
            Score = call.Score;
            Sequence = call.Sequence;
            Version = call.Version;
            QueueIndex = call.QueueIndex;
            TierId = call.TierId;
            StepsApplied = call.StepsApplied;
            State = call.State;
            CustomerTier = call.CustomerTier;
            AtHead = call.AtHead;
            IsComplaint = call.IsComplaint;
            IsCallback = call.IsCallback;
        }

        public readonly AcdCall ToRecord(string callId) => new()
        {
            CallId = callId,
            State = State,
            QueueIndex = QueueIndex,
            TierId = TierId,
            StepsApplied = StepsApplied,
            EnteredAt = EnteredAt,
            QueueEnteredAt = QueueEnteredAt,
            Score = Score,
            AtHead = AtHead,
            Sequence = Sequence,
            CustomerId = CustomerId,
            CustomerTier = CustomerTier,
            IsComplaint = IsComplaint,
            IsCallback = IsCallback,
            AgentId = AgentId,
            Guests = Guests,
            ConnectedAt = ConnectedAt,
            Version = Version,
        };
    }

    /// <summary>A stored agent's fields.</summary>
    private struct AgentSlot
    {
        public string AgentId;
        public string? BreakReason;
        public string? CallId;
        public ImmutableArray<SkillLevel> Skills;
        public ImmutableArray<int> EligibleTiers;
        public ImmutableArray<string> Texts;
        public DateTimeOffset IdleSince;
        public DateTimeOffset StateSince;
        public DateTimeOffset? AnsweredAt;
        public long Version;
        // Slot of the call CallId names when the agent was saved, or -1; checked against the slot's id before use.
        public int CallSlot;
        public DateOnly CallsDay;
        public int QueueIndex;
        public int CallsToday;
        public AgentState State;

        public void Copy(AcdAgent agent)
        {
            // As for calls: a reference is written only when it changes, so a save marks no card it need not.
            if (!ReferenceEquals(AgentId, agent.AgentId))
                AgentId = agent.AgentId;
            if (!ReferenceEquals(BreakReason, agent.BreakReason))
                BreakReason = agent.BreakReason;
            if (!ReferenceEquals(CallId, agent.CallId))
                CallId = agent.CallId;
            if (Skills != agent.Skills)
                Skills = agent.Skills;
            if (EligibleTiers != agent.EligibleTiers)
                EligibleTiers = agent.EligibleTiers;
            if (Texts != agent.Texts)
                Texts = agent.Texts;
            IdleSince = agent.IdleSince;
            StateSince = agent.StateSince;
            AnsweredAt = agent.AnsweredAt;
            Version = agent.Version;
            CallsDay = agent.CallsDay;
            QueueIndex = agent.QueueIndex;
            CallsToday = agent.CallsToday;
            State = agent.State;
        }

        public readonly AcdAgent ToRecord() => new()
        {
            AgentId = AgentId,
            State = State,
            BreakReason = BreakReason,
            Skills = Skills,
            EligibleTiers = EligibleTiers,
            IdleSince = IdleSince,
            StateSince = StateSince,
            CallId = CallId,
            QueueIndex = QueueIndex,
            AnsweredAt = AnsweredAt,
            Texts = Texts,
            CallsToday = CallsToday,
            CallsDay = CallsDay,
            Version = Version,
        };
    }

    /// <summary>
    /// A timer with the call slot it was scheduled for (-1 for none). A slot's timer holds no id, only the slot and its
    /// generation: the heap is large and long-lived, and each new call's id written into it would be a reference from an old
    /// object to a young one, which every collection until that id is promoted has to find through the card table.
    /// </summary>
    private readonly record struct TimerEntry(DateTimeOffset Due, AcdTimerKind Kind, string? Id, long Version, int Slot, int Generation);

    /// <summary>A ring or wrap-up timer of the agent in a slot, ordered by due time and then scheduling order.</summary>
    private readonly record struct AgentTimer(DateTimeOffset Due, AcdTimerKind Kind, long Version, long Sequence, int Slot)
    {
        public (long Ticks, long Seq) Order => (Due.UtcTicks, Sequence);
    }

    private delegate bool TimerTest(in AgentTimer timer);

    /// <summary>
    /// Agent timers as a few first-in-first-out runs, each in due order. An agent's timers are a queue setting's ring or
    /// wrap-up time after now, so a new one is almost always due no earlier than the last of some run: adding and taking are
    /// O(1) and sequential in memory, where a heap of 10,000 agents moved an entry through ~13 levels twice per call.
    /// A timer fitting no run (due before every run's last, with the runs at their limit) is left to the caller.
    /// </summary>
    private sealed class AgentTimerRuns
    {
        private const int MaxRuns = 8;

        private readonly List<Queue<AgentTimer>> _runs = [];
        private readonly List<long> _lastTicks = [];

        public int Count { get; private set; }

        public bool TryAdd(AgentTimer timer)
        {
            var ticks = timer.Due.UtcTicks;
            var run = -1;
            for (var i = 0; i < _runs.Count; i++)
            {
                // The run ending latest at or before the timer keeps the runs' ends apart, so later timers fit somewhere.
                if (_lastTicks[i] <= ticks && (run < 0 || _lastTicks[i] > _lastTicks[run]))
                    run = i;
            }
            if (run < 0)
            {
                if (_runs.Count == MaxRuns)
                    return false;
                _runs.Add(new Queue<AgentTimer>());
                _lastTicks.Add(ticks);
                run = _runs.Count - 1;
            }
            _runs[run].Enqueue(timer);
            _lastTicks[run] = ticks;
            Count++;
            return true;
        }

        /// <summary>The run whose head is the earliest timer due at or before <paramref name="dueTicks"/>, or -1; stale heads are dropped on the way.</summary>
        public int EarliestDue(long dueTicks, TimerTest isStale)
        {
            var best = -1;
            for (var i = 0; i < _runs.Count; i++)
            {
                var run = _runs[i];
                while (run.TryPeek(out var head) && isStale(head))
                {
                    run.Dequeue();
                    Count--;
                }
                if (run.Count > 0 && run.Peek().Due.UtcTicks <= dueTicks && (best < 0 || run.Peek().Order.CompareTo(_runs[best].Peek().Order) < 0))
                    best = i;
            }
            return best;
        }

        public AgentTimer Head(int run) => _runs[run].Peek();

        public AgentTimer Take(int run)
        {
            Count--;
            return _runs[run].Dequeue();
        }

        public void RemoveAll(TimerTest isStale)
        {
            foreach (var run in _runs)
            {
                for (var n = run.Count; n > 0; n--)
                {
                    var timer = run.Dequeue();
                    if (isStale(timer))
                        Count--;
                    else
                        run.Enqueue(timer);
                }
            }
        }
    }

    /// <summary>An agent's place in the idle and texting indexes: the order's fields copied, and its slot.</summary>
    private readonly record struct AgentKey(int Texts, long IdleTicks, string AgentId, int Slot)
    {
        /// <summary>Same order as <see cref="AcdOrdering.Idle"/>.</summary>
        public static IComparer<AgentKey> IdleOrder { get; } = Comparer<AgentKey>.Create(CompareIdle);

        /// <summary>Same order as <see cref="AcdOrdering.Texting"/>.</summary>
        public static IComparer<AgentKey> TextingOrder { get; } = Comparer<AgentKey>.Create(static (x, y) =>
        {
            var c = x.Texts.CompareTo(y.Texts);
            return c != 0 ? c : CompareIdle(x, y);
        });

        public static AgentKey Of(in AgentSlot agent, int slot) => new(agent.Texts.Length, agent.IdleSince.UtcTicks, agent.AgentId, slot);

        private static int CompareIdle(AgentKey x, AgentKey y)
        {
            var c = x.IdleTicks.CompareTo(y.IdleTicks);
            return c != 0 ? c : string.CompareOrdinal(x.AgentId, y.AgentId);
        }
    }

    /// <summary>The waiting order's fields copied inline with the call's slot, so the heaps hold no references.</summary>
    private readonly record struct WaitKey(long Score, long Sequence, int Slot, bool AtHead)
    {
        public static readonly WaitKey Empty = new(0, 0, NoSlot, false);

        public static WaitKey Of(in CallSlot call, int slot) => new(call.Score, call.Sequence, slot, call.AtHead);

        // Same order as AcdOrdering.Waiting.
        public static int Compare(in WaitKey x, in WaitKey y)
        {
            if (x.AtHead != y.AtHead)
                return x.AtHead ? -1 : 1;
            var c = x.Score.CompareTo(y.Score);
            return c != 0 ? c : x.Sequence.CompareTo(y.Sequence);
        }
    }

    /// <summary>Four-ary min-heap of a tier's waiting calls in waiting order; each call slot tracks its place.</summary>
    private sealed class TierHeap
    {
        // Every level a key moves writes its slot's place, a random access into a large array; four children per node
        // halve the levels a served head's replacement sifts through, and the children compared share a cache line or two.
        private const int Arity = 4;

        private WaitKey[] _keys = new WaitKey[8];

        public int Count { get; private set; }

        public WaitKey Min => _keys[0];

        public void Add(WaitKey key, int[] places)
        {
            if (Count == _keys.Length)
                Array.Resize(ref _keys, Count * 2);
            Count++;
            SiftUp(Count - 1, key, places);
        }

        public void RemoveAt(int index, int[] places)
        {
            var last = --Count;
            places[_keys[index].Slot] = NoSlot;
            if (index == last)
                return;
            var moved = _keys[last];
            if (index > 0 && WaitKey.Compare(moved, _keys[(index - 1) / Arity]) < 0)
                SiftUp(index, moved, places);
            else
                SiftDown(index, moved, places);
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

        // Moves the hole at index up until the key fits, then drops the key in: one write per level, not a swap.
        private void SiftUp(int index, WaitKey key, int[] places)
        {
            var keys = _keys;
            while (index > 0)
            {
                var parent = (index - 1) / Arity;
                if (WaitKey.Compare(key, keys[parent]) >= 0)
                    break;
                Place(index, keys[parent], places);
                index = parent;
            }
            Place(index, key, places);
        }

        private void SiftDown(int index, WaitKey key, int[] places)
        {
            var keys = _keys;
            var count = Count;
            while (true)
            {
                var first = (Arity * index) + 1;
                if (first >= count)
                    break;
                var child = first;
                for (var c = first + 1; c < Math.Min(first + Arity, count); c++)
                {
                    if (WaitKey.Compare(keys[c], keys[child]) < 0)
                        child = c;
                }
                if (WaitKey.Compare(keys[child], key) >= 0)
                    break;
                Place(index, keys[child], places);
                index = child;
            }
            Place(index, key, places);
        }

        private void Place(int index, WaitKey key, int[] places)
        {
            _keys[index] = key;
            places[key.Slot] = index;
        }
    }

    /// <summary>
    /// Call id to slot: open addressing with linear probing over (hash, slot + 1) pairs, 0 marking an empty bucket. It holds
    /// no string: a candidate's id is read from the slot ids it is given. Deletion shifts the following run back, so no
    /// tombstones build up under the steady add-and-remove of calls.
    /// </summary>
    private sealed class CallIndex
    {
        private (int Hash, int Slot)[] _buckets = new (int, int)[128];

        public int Count { get; private set; }

        public int Find(string id, int hash, string?[] ids)
        {
            var mask = _buckets.Length - 1;
            for (var i = hash & mask; ; i = (i + 1) & mask)
            {
                var (h, s) = _buckets[i];
                if (s == 0)
                    return NoSlot;
                if (h == hash && string.Equals(ids[s - 1], id, StringComparison.Ordinal))
                    return s - 1;
            }
        }

        /// <summary>Adds an id known to be absent.</summary>
        public void Add(int slot, int hash)
        {
            // At most half full keeps the probe runs short.
            if (2 * (Count + 1) > _buckets.Length)
                Grow();
            Insert(_buckets, hash, slot + 1);
            Count++;
        }

        public void Remove(int slot, int hash)
        {
            var buckets = _buckets;
            var mask = buckets.Length - 1;
            var i = hash & mask;
            while (buckets[i].Slot != slot + 1)
            {
                if (buckets[i].Slot == 0)
                    return;
                i = (i + 1) & mask;
            }
            // Moves back every later entry of the run whose home is not between the hole and itself, so lookups that probed
            // past the removed entry still find it.
            for (var j = (i + 1) & mask; buckets[j].Slot != 0; j = (j + 1) & mask)
            {
                var home = buckets[j].Hash & mask;
                var stays = i <= j ? i < home && home <= j : i < home || home <= j;
                if (!stays)
                {
                    buckets[i] = buckets[j];
                    i = j;
                }
            }
            buckets[i] = default;
            Count--;
        }

        private void Grow()
        {
            var grown = new (int Hash, int Slot)[_buckets.Length * 2];
            foreach (var (hash, slot) in _buckets)
            {
                if (slot != 0)
                    Insert(grown, hash, slot);
            }
            _buckets = grown;
        }

        private static void Insert((int Hash, int Slot)[] buckets, int hash, int slotPlusOne)
        {
            var mask = buckets.Length - 1;
            var i = hash & mask;
            while (buckets[i].Slot != 0)
                i = (i + 1) & mask;
            buckets[i] = (hash, slotPlusOne);
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
