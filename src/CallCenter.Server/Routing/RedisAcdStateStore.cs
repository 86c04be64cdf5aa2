using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CallCenter.Core.Routing;
using StackExchange.Redis;

namespace CallCenter.Server.Routing;

/// <summary>
/// <see cref="IAcdStateStore"/> in Redis, shared by several server instances. Inside a unit of work
/// (<see cref="Begin"/>) reads are remembered with their versions and writes are held back; <see cref="Commit"/>
/// sends them in one Lua script that first checks every version read (this is the atomic claim: the agent's and
/// the call's versions together) and the generation of every index the decision consulted, then writes records,
/// indexes and timers together. Outside a unit of work every write commits on its own, like the in-process store.
/// Not thread-safe: each node's engine runs one operation at a time.
/// </summary>
public sealed class RedisAcdStateStore : ISharedAcdStateStore
{
    // Keys share one hash tag so the scripts' keys sit in one slot should Redis ever be a cluster.
    private readonly string _p;
    private readonly IDatabase _db;
    private readonly int _handleTimeWindow;
    private readonly TimeSpan _timerLease;
    private readonly RedisKey _gens;
    private readonly RedisKey _timers;
    private Work? _work;

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
    }

    public bool TookTimer { get; private set; }

    /// <summary>Commands and scripts sent to Redis and waited for: the cost of an operation that does not depend on the machine.</summary>
    public long RoundTrips { get; private set; }

    // Every synchronous command goes through here, so RoundTrips counts each one.
    private IDatabase Db
    {
        get
        {
            RoundTrips++;
            return _db;
        }
    }

    public void Begin()
    {
        if (_work is not null)
            throw new InvalidOperationException("A unit of work is already open.");
        _work = new Work();
        TookTimer = false;
    }

    public bool Commit()
    {
        var work = _work ?? throw new InvalidOperationException("No unit of work is open.");
        _work = null;
        var args = new List<RedisValue>();
        var writes = new List<RedisValue>();
        var checks = 0;
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
        if (writes.Count == 0)
            return true;

        args.Insert(0, checks);
        args.AddRange(writes);
        var ok = (long)Db.ScriptEvaluate(Scripts.Commit, [_gens, _timers], [.. args]) == 1;
        if (!ok && work.TakenTimer is { } back)
            Db.SortedSetAdd(_timers, back.Member, back.Score);
        return ok;
    }

    public void Discard()
    {
        if (_work?.TakenTimer is { } back)
            Db.SortedSetAdd(_timers, back.Member, back.Score);
        _work = null;
    }

    public long NextSequence() => Db.StringIncrement(_p + "seq");

    public AcdCall? FindCall(string callId)
    {
        if (_work is { } work)
            return Track(work.Calls, callId, CallKey, Deserialize<AcdCall>, static c => c.Version).Current;
        return Deserialize<AcdCall>(Db.HashGet(CallKey(callId), "d"));
    }

    public AcdAgent? FindAgent(string agentId)
    {
        if (_work is { } work)
            return Track(work.Agents, agentId, AgentKey, Deserialize<AcdAgent>, static a => a.Version).Current;
        return Deserialize<AcdAgent>(Db.HashGet(AgentKey(agentId), "d"));
    }

    public void SaveCall(AcdCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        InWork(work => Track(work.Calls, call.CallId, CallKey, Deserialize<AcdCall>, static c => c.Version).Write(call));
    }

    public void DeleteCall(string callId) =>
        InWork(work => Track(work.Calls, callId, CallKey, Deserialize<AcdCall>, static c => c.Version).Write(null));

    public void SaveAgent(AcdAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        InWork(work => Track(work.Agents, agent.AgentId, AgentKey, Deserialize<AcdAgent>, static a => a.Version).Write(agent));
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
        var agent = Track(work.Agents, expectedAgent.AgentId, AgentKey, Deserialize<AcdAgent>, static a => a.Version);
        var call = Track(work.Calls, expectedCall.CallId, CallKey, Deserialize<AcdCall>, static c => c.Version);
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
        var skip = _work?.Calls.Where(c => c.Value.Dirty).Select(c => (RedisValue)c.Key).ToArray() ?? [];
        var args = new List<RedisValue>(2 + (2 * tierIds.Length) + skip.Length) { tierIds.Length, _p + "call:" };
        foreach (var tier in tierIds)
            args.AddRange([WaitKey(tier), "w" + tier.ToString(CultureInfo.InvariantCulture)]);
        args.Add(skip.Length);
        args.AddRange(skip);
        var result = (RedisResult[])Db.ScriptEvaluate(Scripts.PeekWaiting, [_gens], [.. args])!;

        // Per tier: generation, head member (or nil), head record (or nil). Ordinal order of members is waiting order.
        string? bestMember = null;
        RedisValue bestData = default;
        for (var i = 0; i < tierIds.Length; i++)
        {
            ReadGen("w" + tierIds[i].ToString(CultureInfo.InvariantCulture), (long)result[3 * i]);
            var member = (string?)result[(3 * i) + 1];
            if (member is not null && (bestMember is null || string.CompareOrdinal(member, bestMember) < 0))
                (bestMember, bestData) = (member, (RedisValue)result[(3 * i) + 2]);
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

    public int CountAhead(AcdCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (FindCall(call.CallId) is not { State: CallState.Waiting } stored)
            return 0;
        return (int)(Db.SortedSetRank(WaitKey(stored.TierId), WaitMember(stored)) ?? 0);
    }

    public int CountWaitingCallers(int queueIndex) => (int)(long)Db.HashGet(_p + "waitq", queueIndex);

    public IEnumerable<AcdAgent> IdleAgents(int skillId, int minLevel) => AgentPages(AgentIndex.Idle, IdleSlot(skillId, minLevel));

    public IEnumerable<AcdAgent> TextingAgents(int skillId, int minLevel) => AgentPages(AgentIndex.Texting, IdleSlot(skillId, minLevel));

    private IEnumerable<AcdAgent> AgentPages(AgentIndex index, int slot)
    {
        const int Page = 16;
        var field = index.GenField(slot);
        for (var start = 0; ; start += Page)
        {
            var result = (RedisResult[])Db.ScriptEvaluate(Scripts.IdlePage, [_gens],
                [_p + index.KeyPrefix + slot.ToString(CultureInfo.InvariantCulture), field, start, start + Page - 1, _p + "agent:", index.MemberPrefixLength + 1])!;
            ReadGen(field, (long)result[0]);
            var page = (RedisResult[])result[1]!;
            foreach (var data in page)
            {
                if (Deserialize<AcdAgent>((RedisValue)data) is not { } agent)
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
            if (page.Length < Page)
                yield break;
        }
    }

    public int CountIdle(int skillId, int minLevel)
    {
        var slot = IdleSlot(skillId, minLevel);
        var field = "i" + slot.ToString(CultureInfo.InvariantCulture);
        var result = (RedisResult[])Db.ScriptEvaluate(Scripts.CountIdle, [_gens], [IdleKey(slot), field])!;
        ReadGen(field, (long)result[0]);
        return (int)(long)result[1];
    }

    public int CountStaffed(int tierId) => (int)(long)Db.HashGet(_p + "staffed", tierId);

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
        var nowMs = now.UtcTicks / TimeSpan.TicksPerMillisecond;
        var lease = _work is null ? 0 : _timerLease.TotalMilliseconds;
        var result = Db.ScriptEvaluate(Scripts.TakeDue, [_timers], [nowMs, lease, _p + "connecting:", 1000]);
        if (result.IsNull)
            return false;
        var parts = (RedisResult[])result!;
        var member = (string)parts[0]!;
        timer = ParseTimer(member);
        if (_work is { } work)
        {
            work.TakenTimer = (member, double.Parse((string)parts[1]!, CultureInfo.InvariantCulture));
            TookTimer = true;
        }
        return true;
    }

    public void HoldRingTimeout(string agentId, TimeSpan atMost) => Db.StringSet(_p + "connecting:" + agentId, 1, atMost);

    public void ReleaseRingTimeout(string agentId) => Db.KeyDelete(_p + "connecting:" + agentId);

    public LastContact? FindLastContact(string customerId) => Deserialize<LastContact>(Db.StringGet(_p + "last:" + customerId));

    // Written at once, not in the unit of work: it is a hint, and writing it twice after a retry is harmless.
    public void SaveLastContact(LastContact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        Db.StringSet(_p + "last:" + contact.CustomerId, JsonSerializer.Serialize(contact, AcdStateJson.Default.LastContact), TimeSpan.FromDays(7));
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
        var values = Db.ListRange(HandleKey(queueIndex));
        return values.Length == 0 ? null : TimeSpan.FromTicks(values.Sum(v => (long)v) / values.Length);
    }

    public IReadOnlyList<long> NumberEvents(IReadOnlyList<(string CallId, string Type)> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
            return [];
        var args = new RedisValue[(events.Count * 2) + 1];
        args[0] = _p + "evn:";
        for (var i = 0; i < events.Count; i++)
            (args[1 + (2 * i)], args[2 + (2 * i)]) = (events[i].CallId, events[i].Type);
        return [.. ((RedisResult[])Db.ScriptEvaluate(Scripts.NumberEvents, null, args)!).Select(r => (long)r)];
    }

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
        }
    }

    private Tracked<T> Track<T>(Dictionary<string, Tracked<T>> known, string id, Func<string, string> key, Func<RedisValue, T?> read, Func<T, long> version)
        where T : class
    {
        if (known.TryGetValue(id, out var tracked))
            return tracked;
        var stored = read(Db.HashGet(key(id), "d"));
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
            writes.AddRange(["ZA", _p + index.KeyPrefix + slot.ToString(CultureInfo.InvariantCulture), index.Member(inAfter), "GI", index.GenField(slot)]);
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
    }

    private sealed class Work
    {
        public Dictionary<string, Tracked<AcdCall>> Calls { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Tracked<AcdAgent>> Agents { get; } = new(StringComparer.Ordinal);

        /// <summary>Index generations (bumped on every insert) as first read by this unit of work.</summary>
        public Dictionary<string, long> Gens { get; } = new(StringComparer.Ordinal);

        public List<AcdTimer> Timers { get; } = [];

        public List<(int Queue, long Ticks)> HandleTimes { get; } = [];

        public (string Member, double Score)? TakenTimer { get; set; }
    }

    private static class Scripts
    {
        // ARGV: number of checks; checks ("C" key version|"-", or "G" gen-field gen); then writes.
        // KEYS: generations hash, timers.
        public const string Commit = """
            local n = tonumber(ARGV[1])
            local i = 2
            for c = 1, n do
              local kind, key, expected = ARGV[i], ARGV[i + 1], ARGV[i + 2]
              i = i + 3
              if kind == 'C' then
                local v = redis.call('HGET', key, 'v')
                if expected == '-' then
                  if v then return 0 end
                elseif v ~= expected then return 0 end
              else
                if (redis.call('HGET', KEYS[1], key) or '0') ~= expected then return 0 end
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
              else return redis.error_reply('unknown ACD write ' .. op) end
            end
            return 1
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

        // ARGV: now (ms), lease (ms; 0 removes the timer), connecting-key prefix, hold (ms).
        // A ring timeout whose agent is being connected is pushed back instead of taken.
        public const string TakeDue = """
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
                else
                  redis.call('ZREM', KEYS[1], m)
                end
                return { m, score }
              end
            end
            return false
            """;

        // ARGV: key prefix, then (call id, event type) pairs. Returns the running number of each.
        public const string NumberEvents = """
            local out = {}
            for i = 2, #ARGV, 2 do
              local key = ARGV[1] .. ARGV[i]
              out[#out + 1] = redis.call('HINCRBY', key, ARGV[i + 1], 1)
              redis.call('EXPIRE', key, 172800)
            end
            return out
            """;
    }
}

/// <summary>Compact JSON of the ACD records as stored in Redis.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AcdCall))]
[JsonSerializable(typeof(AcdAgent))]
[JsonSerializable(typeof(LastContact))]
internal sealed partial class AcdStateJson : JsonSerializerContext;
