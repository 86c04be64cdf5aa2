using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CallCenter.Core.Routing;
using StackExchange.Redis;

namespace CallCenter.Server.Routing;

/// <summary>
/// <see cref="IAcdStateStore"/> in Redis, shared by several server instances. Inside a unit of work
/// (<see cref="Begin()"/>) reads are remembered with their versions and writes are held back; <see cref="Commit()"/>
/// sends them in one Lua script that first checks every version read (this is the atomic claim: the agent's and
/// the call's versions together) and the generation of every index the decision consulted, then writes records,
/// indexes and timers together. Outside a unit of work every write commits on its own, like the in-process store.
/// Not thread-safe: one operation at a time.
/// </summary>
public class RedisAcdStateStore : ISharedAcdStateStore
{
    // Keys share one hash tag so the scripts' keys sit in one slot should Redis ever be a cluster.
    private readonly string _p;
    private readonly IDatabase _db;
    private readonly int _handleTimeWindow;
    private readonly TimeSpan _timerLease;
    private readonly RedisKey _gens;
    private readonly RedisKey _timers;
    private Work? _work;

    // Sequence numbers this instance took from Redis as a block and hands out in order; unique across instances, so a call's
    // place among calls of the same score depends on which instance queued it, as it already did on which INCR came first.
    private const int SequenceBlock = 64;
    private long _nextSequence;

    // Every commit leaves a receipt with its answer under a key of its own (this instance's id and a counter), kept a minute.
    private readonly string _receipts;
    private long _commits;

    // The turn (TryTakeTurn): this instance's token in the turn key while it holds it; every commit checks the key.
    private readonly string _turn;
    private readonly string _instance;
    private bool _holdsTurn;
    private long _sequenceEnd = -1;

    // Idle lines (slots) this instance last saw empty, with their generation. An entering call whose lines are all here is
    // decided without a prefetch: the commit checks those generations (an insert bumps one) and that the call does not exist,
    // so a line that gained an agent meanwhile, or a call already in the ACD, fails the commit and the re-run reads afresh.
    private readonly Dictionary<int, SlotRead> _emptySlots = [];

    /// <param name="redis">The shared connection.</param>
    /// <param name="keyPrefix">Every key starts with <c>{prefix}:</c>; instances sharing state use the same prefix.</param>
    /// <param name="handleTimeWindow">Recent handle times kept per queue for estimates.</param>
    /// <param name="timerLease">
    /// A taken timer is pushed this far out rather than deleted until its operation commits, so a node dying
    /// in between leaves it to fire again on another node.
    /// </param>
    public RedisAcdStateStore(IConnectionMultiplexer redis, string keyPrefix, int handleTimeWindow = 50, TimeSpan? timerLease = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyPrefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(handleTimeWindow, 1);
        _db = redis.GetDatabase();
        _p = "{" + keyPrefix + "}:";
        _handleTimeWindow = handleTimeWindow;
        _timerLease = timerLease ?? TimeSpan.FromSeconds(5);
        _gens = _p + "gen";
        _timers = _p + "timers";
        _instance = Guid.NewGuid().ToString("N");
        _receipts = _p + "receipt:" + _instance + ":";
        _turn = _p + "turn";
    }

    public bool TookTimer { get; private set; }

    public bool TurnHeldElsewhere { get; private set; }

    public bool TryTakeTurn(TimeSpan lease)
    {
        if (_work is not null)
            throw new InvalidOperationException("The turn is taken before the unit of work it is for.");
        _holdsTurn = (long)Db.ScriptEvaluate(Scripts.TakeTurn, [_turn], [_instance, (long)lease.TotalMilliseconds]) == 1;
        return _holdsTurn;
    }

    // Nothing waits for the reply: this node's next command comes after it on the connection, and were it lost, the lease runs out.
    private void ReleaseTurn()
    {
        if (!_holdsTurn)
            return;
        _holdsTurn = false;
        _db.ScriptEvaluate(Scripts.ReleaseTurn, [_turn], [_instance], CommandFlags.FireAndForget);
    }

    /// <summary>
    /// Commands and scripts sent to Redis and waited for: the cost of an operation that does not depend on the machine.
    /// </summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    private long _roundTrips;

    // Every synchronous command goes through here, so RoundTrips counts each one.
    private IDatabase Db
    {
        get
        {
            Interlocked.Increment(ref _roundTrips);
            return _db;
        }
    }

    public void Begin() => Begin(null);

    public void Begin(SharedReads? reads)
    {
        if (_work is not null)
            throw new InvalidOperationException("A unit of work is already open.");
        _work = new Work();
        TookTimer = false;
        if (reads is null)
            return;
        // Served like a prefetch: the first read of each is the one the commit checks, so a stale record only costs a re-run.
        foreach (var (id, data) in reads.Agents)
            _work.AgentData[id] = data;
        foreach (var (id, data) in reads.Calls)
            _work.CallData[id] = data;
    }

    /// <summary>Waiting-line members read ahead per tier for a batch: one per operation that may claim, at most this many.</summary>
    private const int MaxHeadDepth = 64;

    public void BeginBatch(IReadOnlyList<AcdReadHint> hints, SharedReads? reads)
    {
        ArgumentNullException.ThrowIfNull(hints);
        Begin(reads);
        var work = _work!;
        work.Batched = true;
        var agents = new Dictionary<string, bool>(StringComparer.Ordinal);
        var calls = new HashSet<string>(StringComparer.Ordinal);
        var tiers = new HashSet<int>();
        var slots = new HashSet<int>();
        var seekers = 0;
        foreach (var hint in hints)
        {
            if (hint.AgentSeeksWork)
                seekers++;
            if (hint.AgentId is { } agentId)
            {
                // An agent read before the batch (an accept's check) has its tiers here; the others' come from their stored records.
                if (work.AgentData.TryGetValue(agentId, out var known))
                {
                    if (hint.AgentSeeksWork && Deserialize<AcdAgent>(known) is { } agent)
                        tiers.UnionWith(agent.EligibleTiers);
                }
                else
                {
                    agents[agentId] = agents.GetValueOrDefault(agentId) || hint.AgentSeeksWork;
                }
            }
            if (hint.CallId is { } callId && !work.CallData.ContainsKey(callId))
                calls.Add(callId);
            if (!hint.IdleSlots.IsDefaultOrEmpty)
                slots.UnionWith(hint.IdleSlots.Select(l => IdleSlot(l.SkillId, l.Level)));
        }
        if (agents.Count == 0 && calls.Count == 0 && tiers.Count == 0 && slots.Count == 0)
            return;
        var args = new List<RedisValue>(6 + (2 * agents.Count) + calls.Count + tiers.Count + slots.Count)
        {
            _p, Math.Clamp(seekers, 1, MaxHeadDepth), agents.Count,
        };
        foreach (var (agentId, seeks) in agents)
            args.AddRange([agentId, seeks ? 1 : 0]);
        args.Add(calls.Count);
        args.AddRange(calls.Select(c => (RedisValue)c));
        args.Add(tiers.Count);
        args.AddRange(tiers.Select(t => (RedisValue)t));
        args.Add(slots.Count);
        args.AddRange(slots.Select(slot => (RedisValue)slot));
        var result = (RedisResult[])Db.ScriptEvaluate(Scripts.PrefetchBatch, [_gens], [.. args])!;
        var fetchedAgents = (RedisResult[])result[0]!;
        for (var i = 0; i < fetchedAgents.Length; i += 2)
            work.AgentData.TryAdd((string)fetchedAgents[i]!, (RedisValue)fetchedAgents[i + 1]);
        var fetchedCalls = (RedisResult[])result[1]!;
        for (var i = 0; i < fetchedCalls.Length; i += 2)
            work.CallData.TryAdd((string)fetchedCalls[i]!, (RedisValue)fetchedCalls[i + 1]);
        AbsorbIndexes(work, (RedisResult[])result[2]!, (RedisResult[])result[3]!);
    }

    public int Mark()
    {
        var work = _work ?? throw new InvalidOperationException("No unit of work is open.");
        work.Marks.Add(new Savepoint(
            work.Calls.ToDictionary(e => e.Key, e => (e.Value.Current, e.Value.Dirty), StringComparer.Ordinal),
            work.Agents.ToDictionary(e => e.Key, e => (e.Value.Current, e.Value.Dirty), StringComparer.Ordinal),
            new Dictionary<string, long>(work.Gens, StringComparer.Ordinal), work.Timers.Count, work.HandleTimes.Count, work.Released.Count,
            [.. work.UnreadNewCalls]));
        return work.Marks.Count - 1;
    }

    public void RollBackTo(int mark)
    {
        var work = _work ?? throw new InvalidOperationException("No unit of work is open.");
        var point = work.Marks[mark];
        RollBack(work.Calls, point.Calls);
        RollBack(work.Agents, point.Agents);
        work.Gens.Clear();
        foreach (var (field, gen) in point.Gens)
            work.Gens[field] = gen;
        work.Timers.RemoveRange(point.Timers, work.Timers.Count - point.Timers);
        work.HandleTimes.RemoveRange(point.HandleTimes, work.HandleTimes.Count - point.HandleTimes);
        work.Released.RemoveRange(point.Released, work.Released.Count - point.Released);
        work.UnreadNewCalls.IntersectWith(point.UnreadNewCalls);
        work.Marks.RemoveRange(mark, work.Marks.Count - mark);
    }

    // Records first read after the mark are forgotten (the commit does not check them), the others get back their state at the mark.
    private static void RollBack<T>(Dictionary<string, Tracked<T>> tracked, Dictionary<string, (T? Current, bool Dirty)> at)
        where T : class
    {
        foreach (var id in tracked.Keys.Where(id => !at.ContainsKey(id)).ToList())
            tracked.Remove(id);
        foreach (var (id, (current, dirty)) in at)
            tracked[id].Restore(current, dirty);
    }

    public SharedReads KeepReads()
    {
        var work = _work ?? throw new InvalidOperationException("No unit of work is open.");
        if (work.Agents.Values.Any(t => t.Dirty) || work.Calls.Values.Any(t => t.Dirty) || work.TakenTimer is not null)
            throw new InvalidOperationException("Only a read-only unit of work can be kept.");
        _work = null;
        return new SharedReads(Raw(work.AgentData, work.Agents), Raw(work.CallData, work.Calls));
    }

    // Records as first read, in stored form: prefetched data as fetched, or a record read on its own serialised back.
    private static Dictionary<string, RedisValue> Raw<T>(Dictionary<string, RedisValue> fetched, Dictionary<string, Tracked<T>> tracked)
        where T : class
    {
        var raw = new Dictionary<string, RedisValue>(fetched, StringComparer.Ordinal);
        foreach (var (id, t) in tracked)
        {
            if (!raw.ContainsKey(id))
                raw[id] = t.Original is null ? RedisValue.Null : t.Original switch
                {
                    AcdCall call => Serialize(call),
                    AcdAgent agent => Serialize(agent),
                    _ => RedisValue.Null,
                };
        }
        return raw;
    }

    public bool Commit() => Commit([], out _);

    public virtual bool Commit(IReadOnlyList<(string CallId, string Type)> events, out IReadOnlyList<long> numbers)
    {
        ArgumentNullException.ThrowIfNull(events);
        numbers = [];
        var work = _work ?? throw new InvalidOperationException("No unit of work is open.");
        _work = null;
        return Commit(work, events, out numbers);
    }

    private bool Commit(Work work, IReadOnlyList<(string CallId, string Type)> events, out IReadOnlyList<long> numbers)
    {
        numbers = [];
        TurnHeldElsewhere = false;
        // Refused while another instance holds the turn, so that instance's reads stay valid until its own commit.
        var args = new List<RedisValue> { "T", _turn, _instance };
        var writes = new List<RedisValue>();
        var checks = 1;
        var insertsUnmatched = false;
        foreach (var (id, t) in work.Calls)
        {
            if (!t.Dirty)
                continue;
            checks++;
            args.AddRange(["C", CallKey(id), t.BaseVersion]);
            WriteRecord(writes, CallKey(id), t.Current, static c => c.Version, Serialize);
            insertsUnmatched |= IndexCall(writes, t.Original, t.Current);
        }
        foreach (var (id, t) in work.Agents)
        {
            if (!t.Dirty)
                continue;
            checks++;
            args.AddRange(["C", AgentKey(id), t.BaseVersion]);
            WriteRecord(writes, AgentKey(id), t.Current, static a => a.Version, Serialize);
            insertsUnmatched |= IndexAgent(writes, t.Original, t.Current);
        }
        // A call taken not to exist without reading it must still not exist, whether or not the decision wrote it (a duplicate
        // that hits a full queue writes no record, only its event).
        foreach (var unread in work.UnreadNewCalls)
        {
            if (work.Calls.TryGetValue(unread, out var written) && written.Dirty)
                continue;
            checks++;
            args.AddRange(["C", CallKey(unread), "-"]);
        }
        // A call left waiting must not miss an agent another node made idle meanwhile (and the reverse):
        // the indexes this decision found empty or consulted must not have gained members since.
        if (insertsUnmatched)
        {
            foreach (var (field, gen) in work.Gens)
            {
                checks++;
                args.AddRange(["G", field, gen]);
            }
        }
        foreach (var timer in work.Timers)
            writes.AddRange(["TA", TimerScore(timer.Due), TimerMember(timer)]);
        if (work.TakenTimer is { } taken)
            writes.AddRange(["TR", taken.Member]);
        foreach (var (queue, ticks) in work.HandleTimes)
            writes.AddRange(["LP", HandleKey(queue), ticks, _handleTimeWindow]);
        foreach (var key in work.Released)
            writes.AddRange(["D", key]);
        foreach (var (callId, type) in events)
            writes.AddRange(["EN", _p + "evn:" + callId, type]);
        if (writes.Count == 0)
        {
            ReleaseTurn();
            return true;
        }
        // The check above found the key absent or this instance's, so it is deleted with the commit.
        if (_holdsTurn)
            writes.AddRange(["D", _turn]);

        var receipt = _receipts + (++_commits).ToString(CultureInfo.InvariantCulture);
        writes.AddRange(["RC", receipt]);
        args.Insert(0, checks);
        args.AddRange(writes);
        RedisResult[] result;
        try
        {
            result = EvaluateCommit([.. args]);
        }
        catch (Exception ex) when (Degraded.DependencyFailures.IsOutcomeUnknown(ex))
        {
            // Redis took the commit but its answer was lost. Its receipt settles whether it ran (asked on the same connection,
            // so after the commit): then this node acts on it as if the answer had come (its events, Twilio, the consoles);
            // otherwise nothing was written and the operation runs again. Unreadable too: Redis is away, and the caller decides.
            var answer = ReadReceipt(receipt);
            if (answer is null)
                throw;
            result = answer;
        }
        if ((long)result[0] != 1)
        {
            TurnHeldElsewhere = (long)result[0] == 2;
            PutBack(work);
            // A unit of work decided from remembered lines is re-run on lines read afresh (the check that failed may be theirs).
            if (work.UnreadNewCalls.Count > 0)
                _emptySlots.Clear();
            return false;
        }
        _holdsTurn = false;
        numbers = [.. result.Skip(1).Select(r => (long)r)];
        return true;
    }

    /// <summary>Runs the commit script; the one place a commit's answer can be lost.</summary>
    protected virtual RedisResult[] EvaluateCommit(RedisValue[] args) => (RedisResult[])Db.ScriptEvaluate(Scripts.Commit, [_gens, _timers], args)!;

    // The commit's answer as its receipt kept it ({ 1, event numbers... }), { 0 } when no receipt exists (the commit did not
    // run: its checks failing write none either), null when Redis cannot be asked.
    private RedisResult[]? ReadReceipt(string receipt)
    {
        RedisValue stored;
        try
        {
            stored = Db.StringGet(receipt);
        }
        catch (RedisException)
        {
            return null;
        }
        return stored.IsNull
            ? [RedisResult.Create(0)]
            : [.. stored.ToString().Split(',').Select(n => RedisResult.Create(long.Parse(n, CultureInfo.InvariantCulture)))];
    }

    public void Discard()
    {
        if (_work is { } work)
            PutBack(work);
        _work = null;
        ReleaseTurn();
    }

    // A timer taken by a unit of work that did not commit is due again at once. Nothing waits for the reply: commands on
    // the connection keep their order, so this node's next take sees it, and were it lost, the lease runs out anyway.
    private void PutBack(Work work)
    {
        if (work.TakenTimer is { } back)
            _db.SortedSetAdd(_timers, back.Member, back.Score, CommandFlags.FireAndForget);
    }

    public long NextSequence()
    {
        if (_work is { Sequence: { } reserved } work)
        {
            work.Sequence = null;
            return reserved;
        }
        if (TakeBlockSequence() is { } next)
            return next;
        return Db.StringIncrement(_p + "seq");
    }

    /// <summary>
    /// Fetches in one script what the engine's operation will read: the agent and the call, a new call's sequence, the heads
    /// of the agent's eligible tiers (read from its stored record) and the idle indexes a call's routing counts. Later reads
    /// in the unit of work take them from here; what they see is what Redis held when the script ran, so the commit's
    /// version and generation checks cover them exactly as they cover a read made later. Outside a unit of work it does nothing.
    /// </summary>
    public void Prefetch(in AcdReadHint hint)
    {
        if (_work is not { } work)
            return;
        var agentId = hint.AgentId is { } a && !work.Agents.ContainsKey(a) && !work.AgentData.ContainsKey(a) ? a : "";
        var callId = hint.CallId is { } c && !work.Calls.ContainsKey(c) && !work.CallData.ContainsKey(c) ? c : "";
        // An agent this unit of work already holds has its tiers here; otherwise the script reads them from the stored record.
        var tiers = hint.AgentSeeksWork && hint.AgentId is { } known && work.Agents.TryGetValue(known, out var tracked) && tracked.Current is { } current
            ? current.EligibleTiers.Where(t => !work.Heads.ContainsKey(t)).ToList()
            : [];
        var seekStored = hint.AgentSeeksWork && agentId.Length > 0;
        var slots = hint.IdleSlots.IsDefaultOrEmpty ? [] : hint.IdleSlots.Select(l => IdleSlot(l.SkillId, l.Level)).Distinct().Where(slot => !work.Slots.ContainsKey(slot)).ToList();
        if (hint.TakesSequence && work.Sequence is null)
            work.Sequence = TakeBlockSequence();
        var sequence = hint.TakesSequence && work.Sequence is null;
        if (agentId.Length == 0 && callId.Length == 0 && tiers.Count == 0 && slots.Count == 0 && !sequence)
            return;
        // A call entering the ACD (it takes a sequence) while every idle line it consults was last seen empty: no round trip.
        if (hint.TakesSequence && !sequence && callId.Length > 0 && agentId.Length == 0 && tiers.Count == 0 && slots.All(_emptySlots.ContainsKey))
        {
            work.CallData[callId] = RedisValue.Null;
            foreach (var slot in slots)
                work.Slots[slot] = _emptySlots[slot];
            work.UnreadNewCalls.Add(callId);
            return;
        }

        var args = new List<RedisValue>(8 + tiers.Count + slots.Count) { _p, agentId, callId, seekStored ? 1 : 0, sequence ? SequenceBlock : 0, tiers.Count };
        args.AddRange(tiers.Select(t => (RedisValue)t));
        args.Add(slots.Count);
        args.AddRange(slots.Select(slot => (RedisValue)slot));
        var result = (RedisResult[])Db.ScriptEvaluate(Scripts.Prefetch, [_gens], [.. args])!;
        if (sequence)
        {
            // The block's last number came back: this call takes its first, the rest wait for the next calls.
            _sequenceEnd = (long)result[0];
            _nextSequence = _sequenceEnd - SequenceBlock + 1;
            work.Sequence = TakeBlockSequence();
        }
        Absorb(work, agentId, (RedisResult[])result[1]!);
    }

    private long? TakeBlockSequence() => _nextSequence <= _sequenceEnd ? _nextSequence++ : null;

    // One result of the scripts' fetch(): agent record, call id and record, tier heads, idle slots.
    private void Absorb(Work work, string agentId, RedisResult[] fetched)
    {
        if (agentId.Length > 0)
            work.AgentData.TryAdd(agentId, (RedisValue)fetched[0]);
        if ((string?)fetched[1] is { Length: > 0 } callId)
            work.CallData.TryAdd(callId, (RedisValue)fetched[2]);
        AbsorbIndexes(work, (RedisResult[])fetched[3]!, (RedisResult[])fetched[4]!);
    }

    // The scripts' heads() and idle(): waiting lines' first members and idle slots, with their generations.
    private void AbsorbIndexes(Work work, RedisResult[] heads, RedisResult[] idle)
    {
        foreach (var entry in heads.Select(e => (RedisResult[])e!))
        {
            var members = new (string Member, RedisValue Data)[(entry.Length - 3) / 2];
            for (var i = 0; i < members.Length; i++)
                members[i] = ((string)entry[3 + (2 * i)]!, (RedisValue)entry[4 + (2 * i)]);
            work.Heads.TryAdd((int)entry[0], new TierHead((long)entry[1], (long)entry[2] == 1, members));
        }
        foreach (var entry in idle.Select(e => (RedisResult[])e!))
        {
            var read = new SlotRead((long)entry[1], (int)entry[2], [.. entry.Skip(3).Select(r => (RedisValue)r)]);
            work.Slots.TryAdd((int)entry[0], read);
            if (read.Count == 0)
                _emptySlots[(int)entry[0]] = read;
            else
                _emptySlots.Remove((int)entry[0]);
        }
    }

    public AcdCall? FindCall(string callId)
    {
        if (_work is { } work)
            return TrackCall(work, callId).Current;
        return Deserialize<AcdCall>(Db.HashGet(CallKey(callId), "d"));
    }

    public AcdAgent? FindAgent(string agentId)
    {
        if (_work is { } work)
            return TrackAgent(work, agentId).Current;
        return Deserialize<AcdAgent>(Db.HashGet(AgentKey(agentId), "d"));
    }

    public void SaveCall(AcdCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        InWork(work => TrackCall(work, call.CallId).Write(call));
    }

    public void DeleteCall(string callId) =>
        InWork(work => TrackCall(work, callId).Write(null));

    public void SaveAgent(AcdAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        InWork(work => TrackAgent(work, agent.AgentId).Write(agent));
    }

    public bool TryClaim(AcdAgent expectedAgent, AcdCall expectedCall, AcdAgent reserved, AcdCall offered)
    {
        ArgumentNullException.ThrowIfNull(expectedAgent);
        ArgumentNullException.ThrowIfNull(expectedCall);
        ArgumentNullException.ThrowIfNull(reserved);
        ArgumentNullException.ThrowIfNull(offered);
        var own = _work is null;
        if (own)
            Begin();
        var work = _work!;
        var agent = TrackAgent(work, expectedAgent.AgentId);
        var call = TrackCall(work, expectedCall.CallId);
        if (agent.Current?.Version != expectedAgent.Version || call.Current?.Version != expectedCall.Version)
        {
            if (own)
                Discard();
            return false;
        }
        agent.Write(reserved);
        call.Write(offered);
        // Alone, the claim is its own unit of work: the commit script's version check is the atomic claim.
        return !own || Commit();
    }

    public AcdCall? PeekBestWaiting(ImmutableArray<int> tierIds)
    {
        if (tierIds.IsEmpty)
            return null;
        var skip = _work?.Calls.Where(c => c.Value.Dirty).Select(c => c.Key).ToHashSet(StringComparer.Ordinal) ?? [];
        // Per tier: generation, first member not skipped (or null) and its record, from the prefetch when it holds every tier.
        var heads = HeadsFromPrefetch(tierIds, skip) ?? HeadsFromRedis(tierIds, skip);

        string? bestMember = null;
        RedisValue bestData = default;
        for (var i = 0; i < tierIds.Length; i++)
        {
            var (gen, member, data) = heads[i];
            ReadGen("w" + tierIds[i].ToString(CultureInfo.InvariantCulture), gen);
            // Ordinal order of members is waiting order.
            if (member is not null && (bestMember is null || string.CompareOrdinal(member, bestMember) < 0))
                (bestMember, bestData) = (member, data);
        }
        AcdCall? best = null;
        if (bestMember is not null && Deserialize<AcdCall>(bestData) is { } stored)
            best = _work is { } work ? RememberRead(work.Calls, stored.CallId, stored, stored.Version) : stored;

        // Calls this unit of work itself put in the waiting line compete too.
        if (_work is { } w)
        {
            foreach (var t in w.Calls.Values)
            {
                if (t is { Dirty: true, Current: { State: CallState.Waiting } c } && tierIds.Contains(c.TierId)
                    && (best is null || AcdOrdering.Waiting.Compare(c, best) < 0))
                    best = c;
            }
        }
        return best;
    }

    // Null when a tier was not prefetched, or when every prefetched member of a longer line is one to skip.
    private (long Gen, string? Member, RedisValue Data)[]? HeadsFromPrefetch(ImmutableArray<int> tierIds, HashSet<string> skip)
    {
        if (_work is not { } work)
            return null;
        var heads = new (long, string?, RedisValue)[tierIds.Length];
        for (var i = 0; i < tierIds.Length; i++)
        {
            if (!work.Heads.TryGetValue(tierIds[i], out var head))
                return null;
            var first = Array.FindIndex(head.Members, m => !skip.Contains(m.Member[WaitPrefixLength..]));
            if (first < 0 && !head.Complete)
                return null;
            heads[i] = first < 0 ? (head.Gen, null, default) : (head.Gen, head.Members[first].Member, head.Members[first].Data);
        }
        return heads;
    }

    private (long Gen, string? Member, RedisValue Data)[] HeadsFromRedis(ImmutableArray<int> tierIds, HashSet<string> skip)
    {
        var args = new List<RedisValue>(3 + (2 * tierIds.Length) + skip.Count) { tierIds.Length, _p + "call:" };
        foreach (var tier in tierIds)
            args.AddRange([WaitKey(tier), "w" + tier.ToString(CultureInfo.InvariantCulture)]);
        args.Add(skip.Count);
        args.AddRange(skip.Select(id => (RedisValue)id));
        var result = (RedisResult[])Db.ScriptEvaluate(Scripts.PeekWaiting, [_gens], [.. args])!;
        return [.. Enumerable.Range(0, tierIds.Length).Select(i => ((long)result[3 * i], (string?)result[(3 * i) + 1], (RedisValue)result[(3 * i) + 2]))];
    }

    public int CountAhead(AcdCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (FindCall(call.CallId) is not { State: CallState.Waiting } stored)
            return 0;
        RefuseIfBatchWrote(callMoved: (a, b) => WaitingIn(stored.TierId, a) != WaitingIn(stored.TierId, b));
        return (int)(Db.SortedSetRank(WaitKey(stored.TierId), WaitMember(stored)) ?? 0);
    }

    public int CountWaitingCallers(int queueIndex)
    {
        RefuseIfBatchWrote(callMoved: (a, b) => HoldsLine(queueIndex, a) != HoldsLine(queueIndex, b));
        return (int)(long)Db.HashGet(_p + "waitq", queueIndex);
    }

    public IEnumerable<AcdAgent> IdleAgents(int skillId, int minLevel) => AgentPages(AgentIndex.Idle, IdleSlot(skillId, minLevel));

    public IEnumerable<AcdAgent> TextingAgents(int skillId, int minLevel) => AgentPages(AgentIndex.Texting, IdleSlot(skillId, minLevel));

    private IEnumerable<AcdAgent> AgentPages(AgentIndex index, int slot)
    {
        const int Page = 16;
        RefuseIfBatchWrote(agentMoved: (a, b) => InIndex(index, slot, a) || InIndex(index, slot, b));
        var field = index.GenField(slot);
        var start = 0;
        // The prefetch holds the first few idle agents of a slot; the rest come a page at a time.
        if (index == AgentIndex.Idle && _work is { } prefetching && prefetching.Slots.TryGetValue(slot, out var prefetched))
        {
            ReadGen(field, prefetched.Gen);
            foreach (var agent in Records(index, prefetched.FirstPage))
                yield return agent;
            if (prefetched.Count <= prefetched.FirstPage.Length)
                yield break;
            start = prefetched.FirstPage.Length;
        }
        for (; ; start += Page)
        {
            var result = (RedisResult[])Db.ScriptEvaluate(Scripts.IdlePage, [_gens],
                [_p + index.KeyPrefix + slot.ToString(CultureInfo.InvariantCulture), field, start, start + Page - 1, _p + "agent:", index.MemberPrefixLength + 1])!;
            ReadGen(field, (long)result[0]);
            var page = ((RedisResult[])result[1]!).Select(r => (RedisValue)r).ToArray();
            foreach (var agent in Records(index, page))
                yield return agent;
            if (page.Length < Page)
                yield break;
        }
    }

    // The agents of an index page as this unit of work sees them.
    private IEnumerable<AcdAgent> Records(AgentIndex index, RedisValue[] page)
    {
        foreach (var data in page)
        {
            if (Deserialize<AcdAgent>(data) is not { } agent)
                continue;
            if (_work is { } work)
            {
                // An agent this unit of work already changed is no longer what the index says.
                if (work.Agents.TryGetValue(agent.AgentId, out var known))
                {
                    if (!known.Dirty && known.Current is { } same && same.State == index.State)
                        yield return same;
                    continue;
                }
                RememberRead(work.Agents, agent.AgentId, agent, agent.Version);
            }
            yield return agent;
        }
    }

    public int CountIdle(int skillId, int minLevel)
    {
        var slot = IdleSlot(skillId, minLevel);
        RefuseIfBatchWrote(agentMoved: (a, b) => InIndex(AgentIndex.Idle, slot, a) || InIndex(AgentIndex.Idle, slot, b));
        var field = "i" + slot.ToString(CultureInfo.InvariantCulture);
        if (_work is { } work && work.Slots.TryGetValue(slot, out var prefetched))
        {
            ReadGen(field, prefetched.Gen);
            return prefetched.Count;
        }
        var result = (RedisResult[])Db.ScriptEvaluate(Scripts.CountIdle, [_gens], [IdleKey(slot), field])!;
        ReadGen(field, (long)result[0]);
        return (int)(long)result[1];
    }

    public int CountStaffed(int tierId)
    {
        RefuseIfBatchWrote(agentMoved: (a, b) => StaffedIn(tierId, a) != StaffedIn(tierId, b));
        return (int)(long)Db.HashGet(_p + "staffed", tierId);
    }

    public void Schedule(AcdTimer timer)
    {
        if (_work is { } work)
            work.Timers.Add(timer);
        else
            Db.SortedSetAdd(_timers, TimerMember(timer), TimerScore(timer.Due));
    }

    public bool TryTakeDue(DateTimeOffset now, out AcdTimer timer)
    {
        timer = default;
        // One timer per unit of work keeps each commit small; the host runs ticks until none is due.
        if (_work is { TakenTimer: not null })
            return false;
        if (_work is { Batched: true })
            throw new BatchReadRefusedException("Timers are taken by a unit of work of their own.");
        var nowMs = now.UtcTicks / TimeSpan.TicksPerMillisecond;
        var lease = _work is null ? 0 : _timerLease.TotalMilliseconds;
        var result = Db.ScriptEvaluate(Scripts.TakeDue, [_timers, _gens], [nowMs, lease, _p + "connecting:", 1000, _p]);
        if (result.IsNull)
            return false;
        var parts = (RedisResult[])result!;
        var member = (string)parts[0]!;
        timer = ParseTimer(member);
        if (_work is { } work)
        {
            work.TakenTimer = (member, double.Parse((string)parts[1]!, CultureInfo.InvariantCulture));
            TookTimer = true;
            // Taken in a unit of work, the timer comes with the records its operation reads first (see the script).
            Absorb(work, timer.Kind is AcdTimerKind.RingTimeout or AcdTimerKind.WrapUpEnd ? timer.Id : "", (RedisResult[])parts[2]!);
        }
        return true;
    }

    public void PrefetchOffer(string agentId, string callId, TimeSpan hold)
    {
        ArgumentException.ThrowIfNullOrEmpty(agentId);
        ArgumentException.ThrowIfNullOrEmpty(callId);
        var work = _work ?? throw new InvalidOperationException("No unit of work is open.");
        if (work.Agents.ContainsKey(agentId) || work.AgentData.ContainsKey(agentId) || work.Calls.ContainsKey(callId) || work.CallData.ContainsKey(callId))
            throw new InvalidOperationException("The offer's records are already read in this unit of work.");
        var result = (RedisResult[])Db.ScriptEvaluate(Scripts.Prefetch, [_gens],
            [_p, agentId, callId, 0, 0, 0, 0, (long)hold.TotalMilliseconds, (int)AgentState.Reserved])!;
        Absorb(work, agentId, (RedisResult[])result[1]!);
    }

    // In a unit of work the commit deletes the key with its writes; otherwise nothing waits for it: were it lost, the key expires on its own.
    public void ReleaseRingTimeout(string agentId)
    {
        if (_work is { } work)
            work.Released.Add(_p + "connecting:" + agentId);
        else
            _db.KeyDelete(_p + "connecting:" + agentId, CommandFlags.FireAndForget);
    }

    public LastContact? FindLastContact(string customerId) => Deserialize<LastContact>(Db.StringGet(_p + "last:" + customerId));

    // Written at once, not in the unit of work, and not waited for: it is a hint, and writing it twice after a retry is harmless.
    public void SaveLastContact(LastContact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        _db.StringSet(_p + "last:" + contact.CustomerId, JsonSerializer.Serialize(contact, AcdStateJson.Default.LastContact), TimeSpan.FromDays(7),
            flags: CommandFlags.FireAndForget);
    }

    public void AddHandleTime(int queueIndex, TimeSpan handleTime)
    {
        if (_work is { } work)
        {
            work.HandleTimes.Add((queueIndex, handleTime.Ticks));
            return;
        }
        var key = HandleKey(queueIndex);
        Db.ListLeftPush(key, handleTime.Ticks);
        Db.ListTrim(key, 0, _handleTimeWindow - 1);
    }

    public TimeSpan? MeanHandleTime(int queueIndex)
    {
        if (_work is { Batched: true } work && work.HandleTimes.Exists(h => h.Queue == queueIndex))
            throw new BatchReadRefusedException($"Handle times of queue {queueIndex} were added by an earlier operation of this batch.");
        var values = Db.ListRange(HandleKey(queueIndex));
        return values.Length == 0 ? null : TimeSpan.FromTicks(values.Sum(v => (long)v) / values.Length);
    }

    // In a batch, an index read from Redis does not see what the batch wrote and has yet to commit: refused when a record written
    // in this unit of work moved in the index read (as read, as written), so that every operation of a batch decides from exactly
    // the state it would see alone after the operations before it. Waiting lines are exempt: PeekBestWaiting merges this unit's
    // own writes.
    private void RefuseIfBatchWrote(Func<AcdAgent?, AcdAgent?, bool>? agentMoved = null, Func<AcdCall?, AcdCall?, bool>? callMoved = null)
    {
        if (_work is not { Batched: true } work)
            return;
        if (agentMoved is not null && work.Agents.Values.Any(t => t.Dirty && agentMoved(t.Original, t.Current)))
            throw new BatchReadRefusedException("An index read would miss agents written earlier in this batch.");
        if (callMoved is not null && work.Calls.Values.Any(t => t.Dirty && callMoved(t.Original, t.Current)))
            throw new BatchReadRefusedException("An index read would miss calls written earlier in this batch.");
    }

    // An agent index page skips every agent this unit of work wrote (Records), so any of them in the slot, before or after, counts.
    private static bool InIndex(AgentIndex index, int slot, AcdAgent? agent) =>
        agent is not null && agent.State == index.State && IdleSlots(agent).Contains(slot);

    private static bool StaffedIn(int tierId, AcdAgent? agent) => agent is not null && IsStaffed(agent.State) && agent.EligibleTiers.Contains(tierId);

    private static bool HoldsLine(int queueIndex, AcdCall? call) => call is { State: CallState.Waiting, IsCallback: false } && call.QueueIndex == queueIndex;

    private static string? WaitingIn(int tierId, AcdCall? call) => call is { State: CallState.Waiting } && call.TierId == tierId ? WaitMember(call) : null;

    // Writes inside the open unit of work, or as a unit of work of their own (retried until it commits).
    private void InWork(Action<Work> write)
    {
        if (_work is { } work)
        {
            write(work);
            return;
        }
        for (var attempt = 0; ; attempt++)
        {
            Begin();
            write(_work!);
            if (Commit())
                return;
            if (attempt == 100)
                throw new InvalidOperationException("ACD store write kept conflicting.");
            // A turn lasts one unit of work of another instance (its lease at most): waiting beats a hundred refused commits.
            if (TurnHeldElsewhere)
                Thread.Sleep(5);
        }
    }

    private Tracked<AcdCall> TrackCall(Work work, string id) => Track(work.Calls, work.CallData, id, CallKey(id), static c => c.Version);

    private Tracked<AcdAgent> TrackAgent(Work work, string id) => Track(work.Agents, work.AgentData, id, AgentKey(id), static a => a.Version);

    // The first read of a record in a unit of work, from the prefetch when it fetched it, is the one the commit checks.
    private Tracked<T> Track<T>(Dictionary<string, Tracked<T>> known, Dictionary<string, RedisValue> prefetched, string id, string key, Func<T, long> version)
        where T : class
    {
        if (known.TryGetValue(id, out var tracked))
            return tracked;
        var stored = Deserialize<T>(prefetched.TryGetValue(id, out var data) ? data : Db.HashGet(key, "d"));
        return Remember(known, id, stored, stored is null ? null : version(stored));
    }

    private static Tracked<T> Remember<T>(Dictionary<string, Tracked<T>> known, string id, T? stored, long? version)
        where T : class
    {
        if (!known.TryGetValue(id, out var tracked))
            known[id] = tracked = new Tracked<T>(stored, version);
        return tracked;
    }

    // A record an index read returned: the first read of it in this unit of work is the one the commit checks.
    private static T RememberRead<T>(Dictionary<string, Tracked<T>> known, string id, T stored, long version)
        where T : class =>
        Remember(known, id, stored, version).Current ?? stored;

    private void ReadGen(string field, long gen)
    {
        if (_work is { } work)
            work.Gens.TryAdd(field, gen);
    }

    private static void WriteRecord<T>(List<RedisValue> writes, string key, T? current, Func<T, long> version, Func<T, string> serialize)
        where T : class
    {
        if (current is null)
            writes.AddRange(["D", key]);
        else
            writes.AddRange(["S", key, version(current), serialize(current)]);
    }

    // Index changes between the record as read (exactly what Redis holds, since the commit checks its version)
    // and as written; true when the call joins a waiting line.
    private bool IndexCall(List<RedisValue> writes, AcdCall? before, AcdCall? after)
    {
        var old = before is { State: CallState.Waiting } ? before : null;
        var now = after is { State: CallState.Waiting } ? after : null;
        if (old is not null && now is not null && old.TierId == now.TierId && old.QueueIndex == now.QueueIndex && WaitMember(old) == WaitMember(now))
            return false;
        // waitq counts live callers only (a queue's size limit); callbacks hold no line.
        if (old is not null)
        {
            writes.AddRange(["ZR", WaitKey(old.TierId), WaitMember(old)]);
            if (!old.IsCallback) writes.AddRange(["HI", _p + "waitq", old.QueueIndex, -1]);
        }
        if (now is null)
            return false;
        writes.AddRange(["ZA", WaitKey(now.TierId), WaitMember(now)]);
        if (!now.IsCallback) writes.AddRange(["HI", _p + "waitq", now.QueueIndex, 1]);
        writes.AddRange(["GI", "w" + now.TierId.ToString(CultureInfo.InvariantCulture)]);
        return true;
    }

    // True when the agent joins the idle lines.
    private bool IndexAgent(List<RedisValue> writes, AcdAgent? before, AcdAgent? after)
    {
        var staffedBefore = before is not null && IsStaffed(before.State);
        var staffedAfter = after is not null && IsStaffed(after.State);
        if (staffedBefore != staffedAfter || (staffedBefore && !before!.EligibleTiers.SequenceEqual(after!.EligibleTiers)))
        {
            if (staffedBefore)
                foreach (var tier in before!.EligibleTiers) writes.AddRange(["HI", _p + "staffed", tier, -1]);
            if (staffedAfter)
                foreach (var tier in after!.EligibleTiers) writes.AddRange(["HI", _p + "staffed", tier, 1]);
        }
        var joined = IndexAgentIn(writes, AgentIndex.Idle, before, after);
        return IndexAgentIn(writes, AgentIndex.Texting, before, after) || joined;
    }

    // One of the agent indexes (idle, texting): membership follows the state, the member encodes the order.
    private bool IndexAgentIn(List<RedisValue> writes, AgentIndex index, AcdAgent? before, AcdAgent? after)
    {
        var inBefore = before is not null && before.State == index.State ? before : null;
        var inAfter = after is not null && after.State == index.State ? after : null;
        if (inBefore is not null && inAfter is not null && index.Member(inBefore) == index.Member(inAfter) && inBefore.Skills.SequenceEqual(inAfter.Skills))
            return false;
        if (inBefore is not null)
        {
            foreach (var slot in IdleSlots(inBefore))
                writes.AddRange(["ZR", _p + index.KeyPrefix + slot.ToString(CultureInfo.InvariantCulture), index.Member(inBefore)]);
        }
        if (inAfter is null)
            return false;
        foreach (var slot in IdleSlots(inAfter))
        {
            writes.AddRange(["ZA", _p + index.KeyPrefix + slot.ToString(CultureInfo.InvariantCulture), index.Member(inAfter), "GI", index.GenField(slot)]);
            if (index == AgentIndex.Idle)
                _emptySlots.Remove(slot);
        }
        return true;
    }

    /// <summary>An index of agents by skill slot: the idle line, or agents on texts (fewest texts first).</summary>
    private sealed record AgentIndex(AgentState State, string KeyPrefix, char GenPrefix, int MemberPrefixLength, Func<AcdAgent, string> Member)
    {
        public static readonly AgentIndex Idle = new(AgentState.Available, "idle:", 'i', 21, IdleMember);

        public static readonly AgentIndex Texting = new(AgentState.OnText, "text:", 't', 25, TextingMember);

        public string GenField(int slot) => GenPrefix + slot.ToString(CultureInfo.InvariantCulture);
    }

    private static IEnumerable<int> IdleSlots(AcdAgent agent)
    {
        yield return 0;
        foreach (var skill in agent.Skills)
        {
            for (var level = 1; level <= skill.Level; level++)
                yield return IdleSlot(skill.SkillId, level);
        }
    }

    // Same slots as the in-process store: 0 is every idle agent, then five per skill, one per minimum level.
    private static int IdleSlot(int skillId, int minLevel) =>
        skillId == SkillCatalog.AnySkill ? 0 : 1 + (skillId * SkillCatalog.MaxLevel) + (Math.Clamp(minLevel, 1, SkillCatalog.MaxLevel) - 1);

    private static bool IsStaffed(AgentState state) => state is AgentState.Available or AgentState.Reserved or AgentState.OnCall or AgentState.WrapUp or AgentState.OnText;

    // Fixed-width members in one sorted set with equal scores: Redis orders them bytewise, which is the
    // waiting order (returned-to-head first, then score, then sequence) and the idle order (idle since, then id).
    private const int WaitPrefixLength = 1 + 20 + 20 + 1;

    internal static string WaitMember(AcdCall call) => string.Create(CultureInfo.InvariantCulture,
        $"{(call.AtHead ? '0' : '1')}{Ordered(call.Score):D20}{Ordered(call.Sequence):D20}|{call.CallId}");

    internal static string IdleMember(AcdAgent agent) => string.Create(CultureInfo.InvariantCulture,
        $"{Ordered(agent.IdleSince.UtcTicks):D20}|{agent.AgentId}");

    // Texts held, then the idle order: AcdOrdering.Texting.
    internal static string TextingMember(AcdAgent agent) => string.Create(CultureInfo.InvariantCulture,
        $"{agent.Texts.Length:D4}{Ordered(agent.IdleSince.UtcTicks):D20}|{agent.AgentId}");

    // Signed to unsigned with the order kept, so negative values still sort first as digits.
    private static ulong Ordered(long value) => unchecked((ulong)value ^ 0x8000000000000000UL);

    private static string TimerMember(AcdTimer timer) => string.Create(CultureInfo.InvariantCulture,
        $"{(int)timer.Kind}|{timer.Version}|{timer.Due.UtcTicks}|{timer.Id}");

    // Whole milliseconds rounded up, so a timer never fires before it is due.
    private static long TimerScore(DateTimeOffset due) => (due.UtcTicks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;

    private static AcdTimer ParseTimer(string member)
    {
        var parts = member.Split('|', 4);
        return new AcdTimer(new DateTimeOffset(long.Parse(parts[2], CultureInfo.InvariantCulture), TimeSpan.Zero),
            (AcdTimerKind)int.Parse(parts[0], CultureInfo.InvariantCulture), parts[3], long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    private string CallKey(string id) => _p + "call:" + id;

    private string AgentKey(string id) => _p + "agent:" + id;

    private string WaitKey(int tier) => _p + "wait:" + tier.ToString(CultureInfo.InvariantCulture);

    private string IdleKey(int slot) => _p + "idle:" + slot.ToString(CultureInfo.InvariantCulture);

    private string HandleKey(int queue) => _p + "handle:" + queue.ToString(CultureInfo.InvariantCulture);

    private static string Serialize(AcdCall call) => JsonSerializer.Serialize(call, AcdStateJson.Default.AcdCall);

    private static string Serialize(AcdAgent agent) => JsonSerializer.Serialize(agent, AcdStateJson.Default.AcdAgent);

    private static T? Deserialize<T>(RedisValue value)
        where T : class =>
        value.IsNullOrEmpty ? null : (T?)JsonSerializer.Deserialize((string)value!, typeof(T), AcdStateJson.Default);

    /// <summary>A record as read in this unit of work and as it will be written.</summary>
    private sealed class Tracked<T>(T? original, long? baseVersion)
        where T : class
    {
        public T? Original { get; } = original;

        /// <summary>"-" when the record did not exist: the commit then requires that it still does not.</summary>
        public RedisValue BaseVersion { get; } = baseVersion is { } v ? v : "-";

        public T? Current { get; private set; } = original;

        public bool Dirty { get; private set; }

        public void Write(T? value) => (Current, Dirty) = (value, true);

        public void Restore(T? current, bool dirty) => (Current, Dirty) = (current, dirty);
    }

    /// <summary>A unit of work's state at a <see cref="Mark"/>: what <see cref="RollBackTo"/> puts back.</summary>
    private sealed record Savepoint(
        Dictionary<string, (AcdCall? Current, bool Dirty)> Calls, Dictionary<string, (AcdAgent? Current, bool Dirty)> Agents,
        Dictionary<string, long> Gens, int Timers, int HandleTimes, int Released, HashSet<string> UnreadNewCalls);

    private sealed class Work
    {
        public Dictionary<string, Tracked<AcdCall>> Calls { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Tracked<AcdAgent>> Agents { get; } = new(StringComparer.Ordinal);

        /// <summary>Index generations (bumped on every insert) as first read by this unit of work.</summary>
        public Dictionary<string, long> Gens { get; } = new(StringComparer.Ordinal);

        public List<AcdTimer> Timers { get; } = [];

        public List<(int Queue, long Ticks)> HandleTimes { get; } = [];

        public (string Member, double Score)? TakenTimer { get; set; }

        /// <summary>Records fetched ahead (null value: no such record), served to the first read of each.</summary>
        public Dictionary<string, RedisValue> CallData { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, RedisValue> AgentData { get; } = new(StringComparer.Ordinal);

        /// <summary>Heads of waiting lines fetched ahead, by tier.</summary>
        public Dictionary<int, TierHead> Heads { get; } = [];

        /// <summary>Idle indexes fetched ahead, by slot.</summary>
        public Dictionary<int, SlotRead> Slots { get; } = [];

        /// <summary>A sequence number the prefetch took for a call entering the ACD.</summary>
        public long? Sequence { get; set; }

        /// <summary>Ring-timeout holds the commit releases.</summary>
        public List<string> Released { get; } = [];

        /// <summary>Calls entering the ACD decided from idle lines last seen empty: taken not to exist, without reading them.</summary>
        public HashSet<string> UnreadNewCalls { get; } = new(StringComparer.Ordinal);

        public List<Savepoint> Marks { get; } = [];

        /// <summary>Shared by several operations (<see cref="BeginBatch"/>): index reads that would miss an earlier one's writes are refused.</summary>
        public bool Batched { get; set; }
    }

    /// <summary>The first members of a waiting line (with their records) and its generation, read together.</summary>
    /// <param name="Gen">The line's generation.</param>
    /// <param name="Complete">The line held no more members than these.</param>
    /// <param name="Members">Its first members in waiting order, each with its call record.</param>
    private sealed record TierHead(long Gen, bool Complete, (string Member, RedisValue Data)[] Members);

    /// <summary>An idle index's generation, size and first agents' records, read together.</summary>
    private sealed record SlotRead(long Gen, int Count, RedisValue[] FirstPage);

    private static class Scripts
    {
        // ARGV: number of checks; checks ("C" key version|"-", "G" gen-field gen, or "T" turn key and this instance's token); then
        // writes, call-log event numbers, the receipt last. KEYS: generations hash, timers. Returns { 0 } when a check failed,
        // { 2 } when another instance holds the turn (nothing written either way), else { 1, event numbers... }.
        public const string Commit = """
            local out = { 1 }
            local n = tonumber(ARGV[1])
            local i = 2
            for c = 1, n do
              local kind, key, expected = ARGV[i], ARGV[i + 1], ARGV[i + 2]
              i = i + 3
              if kind == 'C' then
                local v = redis.call('HGET', key, 'v')
                if expected == '-' then
                  if v then return { 0 } end
                elseif v ~= expected then return { 0 } end
              elseif kind == 'T' then
                local holder = redis.call('GET', key)
                if holder and holder ~= expected then return { 2 } end
              else
                if (redis.call('HGET', KEYS[1], key) or '0') ~= expected then return { 0 } end
              end
            end
            while i <= #ARGV do
              local op = ARGV[i]
              if op == 'S' then redis.call('HSET', ARGV[i + 1], 'v', ARGV[i + 2], 'd', ARGV[i + 3]); i = i + 4
              elseif op == 'D' then redis.call('DEL', ARGV[i + 1]); i = i + 2
              elseif op == 'ZA' then redis.call('ZADD', ARGV[i + 1], 0, ARGV[i + 2]); i = i + 3
              elseif op == 'ZR' then redis.call('ZREM', ARGV[i + 1], ARGV[i + 2]); i = i + 3
              elseif op == 'HI' then redis.call('HINCRBY', ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]); i = i + 4
              elseif op == 'GI' then redis.call('HINCRBY', KEYS[1], ARGV[i + 1], 1); i = i + 2
              elseif op == 'TA' then redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i + 2]); i = i + 3
              elseif op == 'TR' then redis.call('ZREM', KEYS[2], ARGV[i + 1]); i = i + 2
              elseif op == 'LP' then
                redis.call('LPUSH', ARGV[i + 1], ARGV[i + 2])
                redis.call('LTRIM', ARGV[i + 1], 0, tonumber(ARGV[i + 3]) - 1)
                i = i + 4
              elseif op == 'EN' then
                -- The n of step key type#n: numbered only when the decision commits, kept two days from the first of each type
                -- (a new key always starts with a first, so every key expires).
                local n = redis.call('HINCRBY', ARGV[i + 1], ARGV[i + 2], 1)
                if n == 1 then redis.call('EXPIRE', ARGV[i + 1], 172800) end
                out[#out + 1] = n
                i = i + 3
              elseif op == 'RC' then
                -- Last: the answer itself, for a node whose copy of it was lost on the way back.
                redis.call('SET', ARGV[i + 1], table.concat(out, ','), 'EX', 60)
                i = i + 2
              else return redis.error_reply('unknown ACD write ' .. op) end
            end
            return out
            """;

        // KEYS: the turn. ARGV: this instance's token, lease (ms). Takes the turn, or renews it when this instance holds it; 0 when another does.
        public const string TakeTurn = """
            local holder = redis.call('GET', KEYS[1])
            if holder and holder ~= ARGV[1] then return 0 end
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return 1
            """;

        // KEYS: the turn. ARGV: this instance's token. Gives the turn back only if this instance still holds it.
        public const string ReleaseTurn = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
            return 0
            """;

        // Shared by the scripts that read ahead. G: generations hash; P: key prefix. heads(): the first depth members of each
        // waiting line in tiers with their records; idle(): each idle slot's size with its first 4 agents. fetch(): the agent and the
        // call records (the call named, else with agentCall the one the agent's record holds), the heads of tiers (plus, with seeks,
        // the agent's eligible tiers from its record) and the idle slots. Returns { agent, call id, call, { { tier, gen, complete,
        // (member, record)... } }, { { slot, gen, size, record... } } }; generations and members come from one atomic read, so they agree.
        private const string Fetch = """
            local function heads(G, P, tiers, depth)
              local out = {}
              for _, t in ipairs(tiers) do
                local members = redis.call('ZRANGE', P .. 'wait:' .. t, 0, depth)
                local entry = { tonumber(t), tonumber(redis.call('HGET', G, 'w' .. t) or '0'), #members <= depth and 1 or 0 }
                for k = 1, math.min(#members, depth) do
                  entry[#entry + 1] = members[k]
                  entry[#entry + 1] = redis.call('HGET', P .. 'call:' .. string.sub(members[k], 43), 'd') or ''
                end
                out[#out + 1] = entry
              end
              return out
            end

            local function idle(G, P, slots)
              local out = {}
              for _, s in ipairs(slots) do
                local key = P .. 'idle:' .. s
                local size = redis.call('ZCARD', key)
                local entry = { tonumber(s), tonumber(redis.call('HGET', G, 'i' .. s) or '0'), size }
                if size > 0 then
                  for _, m in ipairs(redis.call('ZRANGE', key, 0, 3)) do
                    entry[#entry + 1] = redis.call('HGET', P .. 'agent:' .. string.sub(m, 22), 'd') or ''
                  end
                end
                out[#out + 1] = entry
              end
              return out
            end

            local function fetch(G, P, agentId, callId, seeks, agentCall, tiers, slots)
              local agent = false
              if agentId ~= '' then agent = redis.call('HGET', P .. 'agent:' .. agentId, 'd') end
              if agent and (seeks or agentCall) then
                local ok, a = pcall(cjson.decode, agent)
                if ok and type(a) == 'table' then
                  if seeks and type(a.EligibleTiers) == 'table' then
                    for _, t in ipairs(a.EligibleTiers) do tiers[#tiers + 1] = t end
                  end
                  if agentCall and callId == '' and type(a.CallId) == 'string' then callId = a.CallId end
                end
              end
              local call = false
              if callId ~= '' then call = redis.call('HGET', P .. 'call:' .. callId, 'd') end
              return { agent, callId, call, heads(G, P, tiers, 1), idle(G, P, slots) }
            end

            """;

        // Several operations' first reads at once (a batch, BeginBatch). KEYS: generations hash. ARGV: key prefix, head depth, agent
        // count, (agent id, 1 when it seeks work)..., call count, call ids..., tier count, tiers..., slot count, slots...; the tiers
        // of agents that seek work are added from their records, each tier read once. Returns { { agent id, record or false }...,
        // { call id, record or false }..., heads(), idle() }.
        public const string PrefetchBatch = Fetch + """
            local P, depth, i = ARGV[1], tonumber(ARGV[2]), 4
            local agents, tiers, seen = {}, {}, {}
            for a = 1, tonumber(ARGV[3]) do
              local data = redis.call('HGET', P .. 'agent:' .. ARGV[i], 'd')
              agents[#agents + 1] = ARGV[i]
              agents[#agents + 1] = data
              if data and ARGV[i + 1] == '1' then
                local ok, rec = pcall(cjson.decode, data)
                if ok and type(rec) == 'table' and type(rec.EligibleTiers) == 'table' then
                  for _, t in ipairs(rec.EligibleTiers) do
                    t = tonumber(t)
                    if not seen[t] then seen[t] = true; tiers[#tiers + 1] = t end
                  end
                end
              end
              i = i + 2
            end
            local calls = {}
            local nc = tonumber(ARGV[i]); i = i + 1
            for c = 1, nc do
              calls[#calls + 1] = ARGV[i]
              calls[#calls + 1] = redis.call('HGET', P .. 'call:' .. ARGV[i], 'd')
              i = i + 1
            end
            local nt = tonumber(ARGV[i]); i = i + 1
            for t = 1, nt do
              local tier = tonumber(ARGV[i]); i = i + 1
              if not seen[tier] then seen[tier] = true; tiers[#tiers + 1] = tier end
            end
            local slots = {}
            local ns = tonumber(ARGV[i]); i = i + 1
            for s = 1, ns do slots[s] = ARGV[i]; i = i + 1 end
            return { agents, calls, heads(KEYS[1], P, tiers, depth), idle(KEYS[1], P, slots) }
            """;

        // KEYS: generations hash. ARGV: key prefix, agent id or '', call id or '', 1 to add the agent's eligible tiers, how many
        // sequence numbers to take (0: none; the last is returned), tier count, tiers, slot count, slots, then optionally a hold
        // (ms) and the Reserved state's number:
        // the agent's ring timeout is then held back (connecting key) when its record is Reserved with that call, in the same
        // atomic step as the read. Returns { sequence or false, fetch() }.
        public const string Prefetch = Fetch + """
            local nt = tonumber(ARGV[6])
            local tiers = {}
            for i = 1, nt do tiers[i] = ARGV[6 + i] end
            local ns = tonumber(ARGV[7 + nt])
            local slots = {}
            for i = 1, ns do slots[i] = ARGV[7 + nt + i] end
            local seq = false
            if ARGV[5] ~= '0' then seq = redis.call('INCRBY', ARGV[1] .. 'seq', ARGV[5]) end
            local fetched = fetch(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1', false, tiers, slots)
            local hold = tonumber(ARGV[8 + nt + ns] or '0')
            if hold > 0 and fetched[1] then
              local ok, a = pcall(cjson.decode, fetched[1])
              if ok and type(a) == 'table' and a.CallId == ARGV[3] and a.State == tonumber(ARGV[9 + nt + ns]) then
                redis.call('SET', ARGV[1] .. 'connecting:' .. ARGV[2], 1, 'PX', hold)
              end
            end
            return { seq, fetched }
            """;

        // ARGV: tier count, call key prefix, (wait key, gen field) per tier, skip count, call ids to skip.
        // Returns per tier: generation, first member not skipped (or false), its record (or false).
        public const string PeekWaiting = """
            local nt = tonumber(ARGV[1])
            local ns = tonumber(ARGV[3 + 2 * nt])
            local skip = {}
            for s = 1, ns do skip[ARGV[3 + 2 * nt + s]] = true end
            local out = {}
            for t = 0, nt - 1 do
              out[#out + 1] = tonumber(redis.call('HGET', KEYS[1], ARGV[4 + 2 * t]) or '0')
              local head, data = false, false
              for _, m in ipairs(redis.call('ZRANGE', ARGV[3 + 2 * t], 0, ns)) do
                local id = string.sub(m, 43)
                if not skip[id] then
                  head = m
                  data = redis.call('HGET', ARGV[2] .. id, 'd')
                  break
                end
              end
              out[#out + 1] = head
              out[#out + 1] = data
            end
            return out
            """;

        // ARGV: agent index key, gen field, start, stop, agent key prefix, where the id starts in a member.
        // Returns generation and the agents' records.
        public const string IdlePage = """
            local gen = tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0')
            local records = {}
            for _, m in ipairs(redis.call('ZRANGE', ARGV[1], ARGV[3], ARGV[4])) do
              local id = string.sub(m, tonumber(ARGV[6]))
              records[#records + 1] = redis.call('HGET', ARGV[5] .. id, 'd') or ''
            end
            return { gen, records }
            """;

        public const string CountIdle = """
            return { tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0'), redis.call('ZCARD', ARGV[1]) }
            """;

        // KEYS: timers, generations hash. ARGV: now (ms), lease (ms; 0 removes the timer), connecting-key prefix, hold (ms), key prefix.
        // A ring timeout whose agent is being connected is pushed back instead of taken. Returns the timer, its score and, when
        // leased (in a unit of work), fetch() of what its operation reads first: a ring timeout's agent and call, a wrap-up end's
        // agent and the heads of its tiers, a call timer's call.
        public const string TakeDue = Fetch + """
            local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, 32)
            for i = 1, #due, 2 do
              local m, score = due[i], due[i + 1]
              local held = false
              if string.sub(m, 1, 2) == '1|' then
                local id = string.match(m, '^[^|]*|[^|]*|[^|]*|(.*)$')
                if redis.call('EXISTS', ARGV[3] .. id) == 1 then
                  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[4]), m)
                  held = true
                end
              end
              if not held then
                if tonumber(ARGV[2]) > 0 then
                  redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[2]), m)
                  local kind, id = string.match(m, '^([^|]*)|[^|]*|[^|]*|(.*)$')
                  local fetched
                  if kind == '1' or kind == '2' then
                    fetched = fetch(KEYS[2], ARGV[5], id, '', kind == '2', kind == '1', {}, {})
                  else
                    fetched = fetch(KEYS[2], ARGV[5], '', id, false, false, {}, {})
                  end
                  return { m, score, fetched }
                end
                redis.call('ZREM', KEYS[1], m)
                return { m, score }
              end
            end
            return false
            """;
    }
}

/// <summary>Compact JSON of the ACD records as stored in Redis.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AcdCall))]
[JsonSerializable(typeof(AcdAgent))]
[JsonSerializable(typeof(LastContact))]
internal sealed partial class AcdStateJson : JsonSerializerContext;
