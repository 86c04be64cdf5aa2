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

    /// <summary>Holds the agent's ring timeout back on every node while an accept is being connected.</summary>
    void HoldRingTimeout(string agentId, TimeSpan atMost);

    void ReleaseRingTimeout(string agentId);
}
