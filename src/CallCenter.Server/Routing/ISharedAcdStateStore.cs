using CallCenter.Core.Routing;

namespace CallCenter.Server.Routing;

/// <summary>
/// An ACD store shared by several server instances: every engine operation runs as one unit of work whose
/// writes are committed together, atomically, only if nothing it read has changed meanwhile on another node.
/// </summary>
public interface ISharedAcdStateStore : IAcdStateStore
{
    /// <summary>Starts a unit of work: reads are remembered, writes are held back until <see cref="Commit()"/>.</summary>
    void Begin();

    /// <summary>Writes everything at once; false (and nothing written) when another node changed what this one read.</summary>
    bool Commit();

    /// <summary>
    /// <see cref="Commit()"/> that also numbers call-log events per call and type across every node (the n of step key
    /// <c>type#n</c>, in the order given), in the same atomic step: two instances never give two events of one call the same
    /// idempotency key, and a decision that does not commit numbers nothing.
    /// </summary>
    bool Commit(IReadOnlyList<(string CallId, string Type)> events, out IReadOnlyList<long> numbers);

    /// <summary>Drops the unit of work, putting back a timer it took so the operation can run again.</summary>
    void Discard();

    /// <summary>Whether the last unit of work took a due timer; a unit of work takes at most one.</summary>
    bool TookTimer { get; }

    /// <summary>
    /// In an open unit of work, an accept's check: reads the agent and the call (like <see cref="IAcdStateStore.Prefetch"/>) and,
    /// in the same atomic step, holds the agent's ring timeout back on every node for at most <paramref name="hold"/> when the
    /// agent's stored record is Reserved with that call, so no node times out the offer while the caller is being connected.
    /// </summary>
    void PrefetchOffer(string agentId, string callId, TimeSpan hold);

    /// <summary>Ends the hold: in an open unit of work with its commit (nothing if it does not commit), otherwise at once.</summary>
    void ReleaseRingTimeout(string agentId);

    /// <summary>Starts a unit of work whose first reads of the records in <paramref name="reads"/> are served from them.</summary>
    void Begin(SharedReads? reads);

    /// <summary>Ends a read-only unit of work like <see cref="Discard"/>, keeping the records it read for a later <see cref="Begin(SharedReads?)"/>.</summary>
    SharedReads KeepReads();

    /// <summary>
    /// Starts a unit of work that several operations share, decided one after another (each sees the earlier ones' writes) and
    /// committed together: what their <paramref name="hints"/> name is read in one round trip, on top of <paramref name="reads"/>.
    /// A read the store cannot serve as the operations' own view (an index that an earlier operation's uncommitted write changed,
    /// a timer) throws <see cref="BatchReadRefusedException"/>; the operation is then run on its own.
    /// </summary>
    void BeginBatch(IReadOnlyList<AcdReadHint> hints, SharedReads? reads);

    /// <summary>In an open unit of work, a point that <see cref="RollBackTo"/> returns to (an operation of a batch about to be decided).</summary>
    int Mark();

    /// <summary>Drops what the unit of work wrote (and the records it first read) since <paramref name="mark"/>, and the marks after it.</summary>
    void RollBackTo(int mark);

    /// <summary>
    /// Before a unit of work: takes the store-wide turn for at most <paramref name="lease"/> (renews it when this instance holds
    /// it), false while another instance does. While an instance holds it, every other instance's commit is refused
    /// (<see cref="TurnHeldElsewhere"/>), so what its next unit of work reads cannot change before that unit's commit, which gives
    /// the turn back (so does <see cref="Discard"/>); a holder that dies blocks the others for the lease at most, and a commit
    /// after the lease ran out is refused like any other while someone else holds it.
    /// </summary>
    bool TryTakeTurn(TimeSpan lease);

    /// <summary>Whether the last commit was refused because another instance held the turn (not because a record changed).</summary>
    bool TurnHeldElsewhere { get; }
}

/// <summary>A read refused in a unit of work shared by several operations (<see cref="ISharedAcdStateStore.BeginBatch"/>).</summary>
public sealed class BatchReadRefusedException(string message) : Exception(message);

/// <summary>
/// Records as a unit of work first read them (stored form, null when absent), to start a later unit of work from: its commit
/// checks their versions like any read, so records changed meanwhile only cost a re-run.
/// </summary>
public sealed record SharedReads(IReadOnlyDictionary<string, StackExchange.Redis.RedisValue> Agents, IReadOnlyDictionary<string, StackExchange.Redis.RedisValue> Calls)
{
    /// <summary>The records of several reads, the first of each kept (null when there are none).</summary>
    public static SharedReads? Union(IEnumerable<SharedReads?> reads)
    {
        ArgumentNullException.ThrowIfNull(reads);
        Dictionary<string, StackExchange.Redis.RedisValue>? agents = null, calls = null;
        foreach (var read in reads.OfType<SharedReads>())
        {
            agents ??= new(StringComparer.Ordinal);
            calls ??= new(StringComparer.Ordinal);
            foreach (var (id, data) in read.Agents)
                agents.TryAdd(id, data);
            foreach (var (id, data) in read.Calls)
                calls.TryAdd(id, data);
        }
        return agents is null ? null : new SharedReads(agents, calls!);
    }
}
