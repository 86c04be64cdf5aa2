namespace CallCenter.Core.Routing;

/// <summary>A call offered to (reserved for) an agent; the host rings the agent until <see cref="RingDeadline"/>.</summary>
public sealed record CallOffer(string CallId, string AgentId, string Queue, DateTimeOffset OfferedAt, DateTimeOffset RingDeadline, TimeSpan Waited);

/// <summary>An agent state change: who, from what to what, why and when.</summary>
public sealed record AgentTransition(string AgentId, AgentState From, AgentState To, string Reason, DateTimeOffset At, string? CallId = null, string? BreakReason = null);

/// <summary>What happened to a call.</summary>
public enum CallEventKind
{
    Queued,
    Offered,
    Connected,
    Completed,
    Abandoned,
    /// <summary>Returned to the head of its queue after no answer or a decline.</summary>
    Requeued,
    Escalated,
    CallbackOffered,
    Overflowed,
    /// <summary>Left the ACD because a queue limit was hit; see <see cref="CallEvent.LimitOutcome"/>.</summary>
    LimitReached,
    /// <summary>Another agent joined the connected call (transfer target or conference party).</summary>
    Joined,
    /// <summary>An agent left a connected call that goes on with another agent; <see cref="CallEvent.TargetAgentId"/> owns it now.</summary>
    Left,
}

/// <summary>Which limit produced a <see cref="CallEventKind.LimitReached"/> or <see cref="CallEventKind.Overflowed"/> event.</summary>
public enum QueueLimit
{
    None,
    MaxQueueSize,
    MaxWait,
    /// <summary>No limit: the waiting caller chose a callback (the surge offer), which leaves the queue the same way.</summary>
    CallerChoice,
}

/// <summary>A call event for the call log; <see cref="Waited"/> is measured from first entry to the ACD.</summary>
public sealed record CallEvent(
    string CallId,
    CallEventKind Kind,
    string Queue,
    DateTimeOffset At,
    TimeSpan Waited,
    string Reason,
    QueueLimit Limit = QueueLimit.None,
    QueueLimitOutcome? LimitOutcome = null,
    string? TargetQueue = null,
    string? AgentId = null,
    string? TargetAgentId = null);

/// <summary>Everything one engine operation decided, for the host to act on and log.</summary>
public sealed class AcdDecisions
{
    private DecisionList<CallOffer>? _offers;
    private DecisionList<AgentTransition>? _agentEvents;
    private DecisionList<CallEvent>? _callEvents;

    public IReadOnlyList<CallOffer> Offers => _offers ?? (IReadOnlyList<CallOffer>)[];

    public IReadOnlyList<AgentTransition> AgentEvents => _agentEvents ?? (IReadOnlyList<AgentTransition>)[];

    public IReadOnlyList<CallEvent> CallEvents => _callEvents ?? (IReadOnlyList<CallEvent>)[];

    internal void Add(CallOffer offer) => (_offers ??= new()).Add(offer);

    internal void Add(AgentTransition transition) => (_agentEvents ??= new()).Add(transition);

    internal void Add(CallEvent callEvent) => (_callEvents ??= new()).Add(callEvent);

    /// <summary>Two decisions of one operation, in order (a host running several engine steps as one unit of work).</summary>
    public static AcdDecisions Combine(AcdDecisions first, AcdDecisions second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var all = new AcdDecisions();
        foreach (var d in new[] { first, second })
        {
            foreach (var o in d.Offers) all.Add(o);
            foreach (var t in d.AgentEvents) all.Add(t);
            foreach (var e in d.CallEvents) all.Add(e);
        }
        return all;
    }
}

/// <summary>
/// An append-only list holding its first two items inline: an operation decides one or two things of a kind, and a routing
/// decision is made for every call, so one small object instead of a list and its array keeps the per-decision garbage down.
/// </summary>
internal sealed class DecisionList<T> : IReadOnlyList<T>
    where T : class
{
    private T? _first;
    private T? _second;
    private List<T>? _rest;

    public int Count { get; private set; }

    public T this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return index switch
            {
                0 => _first!,
                1 => _second!,
                _ => _rest![index - 2],
            };
        }
    }

    public void Add(T item)
    {
        switch (Count)
        {
            case 0:
                _first = item;
                break;
            case 1:
                _second = item;
                break;
            default:
                (_rest ??= []).Add(item);
                break;
        }
        Count++;
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
            yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>Position and estimated wait of a waiting call; <see cref="EstimatedWait"/> is null when it cannot be estimated honestly.</summary>
public sealed record WaitEstimate(int Position, TimeSpan? EstimatedWait, int StaffedEligibleAgents);

/// <summary>A refused agent or call transition; the host maps it to HTTP 409.</summary>
public sealed class IllegalTransitionException : InvalidOperationException
{
    public IllegalTransitionException()
    {
    }

    public IllegalTransitionException(string message)
        : base(message)
    {
    }

    public IllegalTransitionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public IllegalTransitionException(string subjectId, string attempted, string currentState)
        : base($"{subjectId}: cannot {attempted} while {currentState}.")
    {
        SubjectId = subjectId;
        Attempted = attempted;
        CurrentState = currentState;
    }

    public string? SubjectId { get; }

    public string? Attempted { get; }

    public string? CurrentState { get; }
}
