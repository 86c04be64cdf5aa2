using System.Collections.Immutable;

namespace CallCenter.Core.Routing;

/// <summary>A call asking to be queued.</summary>
public sealed record CallRequest(string CallId, string Queue)
{
    public CustomerTier CustomerTier { get; init; }

    public bool IsComplaint { get; init; }

    /// <summary>Stable customer identity for last-agent preference; null when the caller is not identified.</summary>
    public string? CustomerId { get; init; }

    /// <summary>
    /// A callback keeping the caller's place: not a live caller but a promise to call back, offered when the caller's
    /// turn comes. Ordered by <see cref="EnteredAt"/>; queue limits (size, max wait) do not apply, since nobody holds a line.
    /// </summary>
    public bool IsCallback { get; init; }

    /// <summary>The caller's original entry into the ACD (a callback's); null means now.</summary>
    public DateTimeOffset? EnteredAt { get; init; }
}

/// <summary>Work counters proving how much of the state each decision touched.</summary>
public sealed class AcdEngineCounters
{
    public long Offers { get; internal set; }

    /// <summary>Tier heads looked at when agents became free.</summary>
    public long TiersPeeked { get; internal set; }

    /// <summary>Idle agents looked at when calls needed an agent.</summary>
    public long AgentsExamined { get; internal set; }
}

/// <summary>
/// The pure ACD: decides which waiting call goes to which agent and runs the agent state machine.
/// Deterministic (time comes in as <c>now</c>), no I/O; not thread-safe, so a host serialises calls.
/// Invariant after every operation: no idle agent is eligible for a waiting call, so each event
/// only has to match the one call or agent it changed.
/// </summary>
public sealed class AcdEngine
{
    private const int MaxOverflowHops = 8;
    private const string MissedBreak = "missed";
    private const string DeclinedBreak = "declined";

    private readonly IAcdStateStore _store;
    private readonly RoutingTable _table;
    private readonly AcdOptions _options;

    // Per queue and per tier: how many texts an agent may hold to take one more from it; 0 for a phone queue.
    private readonly int[] _queueTextCapacity;
    private readonly int[] _tierTextCapacity;
    private readonly int _maxTextCapacity;

    // Per queue: the idle indexes (skill, minimum level) routing a call entering it counts and walks, for the store's prefetch.
    private readonly ImmutableArray<SkillLevel>[] _entrySlots;

    public AcdEngine(AcdOptions options, IAcdStateStore store)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        _table = new RoutingTable(options);
        _options = options;
        _store = store;
        _queueTextCapacity = [.. _table.Queues.Select(q => q.Options.Media == QueueMedia.Text ? q.Options.TextCapacity ?? options.TextCapacity : 0)];
        _tierTextCapacity = [.. _table.Tiers.Select(t => _queueTextCapacity[t.QueueIndex])];
        _maxTextCapacity = _queueTextCapacity.DefaultIfEmpty(0).Max();
        _entrySlots = [.. _table.Queues.Select(q => _table.Tiers[q.TierAfterSteps[0]].Alternatives
            .SelectMany(alt => alt.IsEmpty ? [new SkillLevel(SkillCatalog.AnySkill, 1)] : alt.AsEnumerable())
            .Distinct()
            .ToImmutableArray())];
    }

    public AcdEngineCounters Counters { get; } = new();

    public SkillCatalog Skills => _table.Skills;

    /// <summary>Configuration errors, empty when the options are usable; the host calls it at start-up.</summary>
    public static IReadOnlyList<string> Validate(AcdOptions options) => RoutingTable.Validate(options);

    public AcdCall? FindCall(string callId) => _store.FindCall(callId);

    public AcdAgent? FindAgent(string agentId) => _store.FindAgent(agentId);

    /// <summary>Queues a call: offered at once if an eligible agent is idle, else waits or meets the queue-size outcome.</summary>
    public AcdDecisions Enqueue(CallRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_table.QueueIndex.TryGetValue(request.Queue, out var queueIndex))
            throw new ArgumentException($"Unknown queue '{request.Queue}'.", nameof(request));
        _store.Prefetch(new AcdReadHint(CallId: request.CallId, TakesSequence: true, IdleSlots: _entrySlots[queueIndex]));
        if (_store.FindCall(request.CallId) is { } existing)
            throw new IllegalTransitionException(request.CallId, "enqueue", existing.State.ToString());

        if (request.EnteredAt > now)
            throw new ArgumentException("A call cannot have entered in the future.", nameof(request));
        // Built placed in its queue at once (what EnterQueue would make of it), so a new call is one record, not two.
        var queue = _table.Queues[queueIndex];
        var enteredAt = request.EnteredAt ?? now;
        var call = new AcdCall
        {
            CallId = request.CallId,
            State = CallState.Waiting,
            QueueIndex = queueIndex,
            TierId = queue.TierAfterSteps[0],
            EnteredAt = enteredAt,
            QueueEnteredAt = now,
            Score = enteredAt.UtcTicks - HeadStart(request.CustomerTier, request.IsComplaint, queue.Options).Ticks,
            IsCallback = request.IsCallback,
            Sequence = _store.NextSequence(),
            CustomerId = request.CustomerId,
            CustomerTier = request.CustomerTier,
            IsComplaint = request.IsComplaint,
            Version = 1,
        };
        var decisions = new AcdDecisions();
        EnterPlaced(call, stored: false, queue, now, decisions, hops: 0);
        return decisions;
    }

    /// <summary>The caller hung up before being connected: the call leaves at once and is reported with its wait.</summary>
    /// <remarks>An unknown call changes nothing, so a repeated status webhook is harmless.</remarks>
    public AcdDecisions Abandon(string callId, DateTimeOffset now)
    {
        var decisions = new AcdDecisions();
        _store.Prefetch(new AcdReadHint(CallId: callId));
        if (_store.FindCall(callId) is not { } call)
            return decisions;
        if (call.State == CallState.Connected)
            throw new IllegalTransitionException(callId, "abandon", "connected; end the call instead");

        _store.DeleteCall(callId);
        decisions.Add(new CallEvent(callId, CallEventKind.Abandoned, QueueName(call), now, now - call.EnteredAt, "caller hung up", AgentId: call.AgentId));
        FreeOfferedAgent(call, "offered call abandoned", now, decisions);
        return decisions;
    }

    /// <summary>
    /// A waiting caller chose a callback (the surge offer): out of the ACD as a queue limit's callback outcome takes them
    /// (<see cref="CallEventKind.LimitReached"/>, <see cref="QueueLimit.CallerChoice"/>), so they count as a callback, not an abandon.
    /// </summary>
    public AcdDecisions ChooseCallback(string callId, DateTimeOffset now)
    {
        var decisions = new AcdDecisions();
        _store.Prefetch(new AcdReadHint(CallId: callId));
        if (_store.FindCall(callId) is not { } call)
            return decisions;
        if (call.State == CallState.Connected)
            throw new IllegalTransitionException(callId, "choose a callback", "connected");

        _store.DeleteCall(callId);
        decisions.Add(new CallEvent(callId, CallEventKind.LimitReached, QueueName(call), now, now - call.EnteredAt, "caller chose a callback",
            QueueLimit.CallerChoice, QueueLimitOutcome.CallbackOffer, AgentId: call.AgentId));
        FreeOfferedAgent(call, "offered caller chose a callback", now, decisions);
        return decisions;
    }

    private void FreeOfferedAgent(AcdCall call, string reason, DateTimeOffset now, AcdDecisions decisions)
    {
        if (IsText(call))
        {
            if (call.AgentId is { } holder && _store.FindAgent(holder) is { } texting && texting.Texts.Contains(call.CallId))
                DropText(texting, call.CallId, "offered text withdrawn", now, decisions);
            return;
        }
        if (call.State == CallState.Offered && call.AgentId is { } agentId && _store.FindAgent(agentId) is { State: AgentState.Reserved } agent)
        {
            // The agent keeps its place in the idle line: it never got the call.
            var freed = Save(agent with { State = AgentState.Available, CallId = null, StateSince = now });
            decisions.Add(new AgentTransition(agentId, AgentState.Reserved, AgentState.Available, reason, now, call.CallId));
            RouteAgent(freed, now, decisions);
        }
    }

    /// <summary>Offline → Available with the given skills; unknown skills are ignored since no queue can require them.</summary>
    public AcdDecisions Login(string agentId, IEnumerable<AgentSkill> skills, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(skills);
        _store.Prefetch(new AcdReadHint(AgentId: agentId, AgentSeeksWork: true));
        var existing = _store.FindAgent(agentId);
        if (existing is not null && existing.State != AgentState.Offline)
            throw new IllegalTransitionException(agentId, "log in", existing.State.ToString());

        var levels = skills
            .Select(s => new SkillLevel(_table.Skills.IdOf(s.Skill), Math.Clamp(s.Level, 1, SkillCatalog.MaxLevel)))
            .Where(s => s.SkillId >= 0)
            .GroupBy(s => s.SkillId)
            .Select(g => g.MaxBy(s => s.Level))
            .OrderBy(s => s.SkillId)
            .ToImmutableArray();
        var agent = new AcdAgent
        {
            AgentId = agentId,
            State = AgentState.Available,
            Skills = levels,
            EligibleTiers = EligibleTiers(levels),
            IdleSince = now,
            StateSince = now,
            CallsToday = existing?.CallsToday ?? 0,
            CallsDay = existing?.CallsDay ?? default,
            QueueIndex = existing?.QueueIndex ?? -1,
            Version = (existing?.Version ?? 0) + 1,
        };
        _store.SaveAgent(agent);
        var decisions = new AcdDecisions();
        decisions.Add(new AgentTransition(agentId, AgentState.Offline, AgentState.Available, "login", now));
        RouteAgent(agent, now, decisions);
        return decisions;
    }

    /// <summary>Available or Break → Offline.</summary>
    public AcdDecisions Logout(string agentId, DateTimeOffset now)
    {
        _store.Prefetch(new AcdReadHint(AgentId: agentId));
        var agent = RequireAgent(agentId, "log out", AgentState.Available, AgentState.Break);
        if (!agent.Texts.IsEmpty)
            throw new IllegalTransitionException(agentId, "log out", $"{agent.State} holding {agent.Texts.Length} text request(s)");
        Save(agent with { State = AgentState.Offline, BreakReason = null, StateSince = now });
        var decisions = new AcdDecisions();
        decisions.Add(new AgentTransition(agentId, agent.State, AgentState.Offline, "logout", now));
        return decisions;
    }

    /// <summary>Available or WrapUp → Break(reason); from WrapUp the wrap-up ends first.</summary>
    public AcdDecisions StartBreak(string agentId, string reason, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        _store.Prefetch(new AcdReadHint(AgentId: agentId));
        // On texts the agent keeps them to finish, but is offered no more.
        var agent = RequireAgent(agentId, "start a break", AgentState.Available, AgentState.WrapUp, AgentState.OnText);
        var decisions = new AcdDecisions();
        if (agent.State == AgentState.WrapUp)
            RecordHandleTime(agent, now);
        Save(agent with { State = AgentState.Break, BreakReason = reason, StateSince = now, AnsweredAt = null });
        decisions.Add(new AgentTransition(agentId, agent.State, AgentState.Break, "break", now, BreakReason: reason));
        return decisions;
    }

    /// <summary>Break → Available; the agent joins the back of the idle line.</summary>
    public AcdDecisions EndBreak(string agentId, DateTimeOffset now)
    {
        _store.Prefetch(new AcdReadHint(AgentId: agentId, AgentSeeksWork: true));
        var agent = RequireAgent(agentId, "end a break", AgentState.Break);
        var decisions = new AcdDecisions();
        if (agent.Texts.IsEmpty)
        {
            MakeAvailable(agent, "break ended", now, decisions);
            return decisions;
        }
        var texting = Save(agent with { State = AgentState.OnText, BreakReason = null, StateSince = now });
        decisions.Add(new AgentTransition(agentId, AgentState.Break, AgentState.OnText, "break ended", now));
        FillTexts(texting, now, decisions);
        return decisions;
    }

    /// <summary>Reserved → OnCall: the agent answered the offered call.</summary>
    public AcdDecisions Accept(string agentId, string callId, DateTimeOffset now)
    {
        _store.Prefetch(new AcdReadHint(AgentId: agentId, CallId: callId));
        if (HeldText(agentId, callId, "accept") is { } held)
        {
            if (held.Call.State != CallState.Offered)
                throw new IllegalTransitionException(agentId, $"accept text {callId}", "already accepted");
            Save(held.Call with { State = CallState.Connected, ConnectedAt = now });
            var accepted = new AcdDecisions();
            accepted.Add(new CallEvent(callId, CallEventKind.Connected, QueueName(held.Call), now, now - held.Call.EnteredAt, "answered", AgentId: agentId));
            return accepted;
        }
        var agent = RequireOffer(agentId, callId, "accept");
        var call = _store.FindCall(callId)!;
        _store.SaveAgent(agent with { State = AgentState.OnCall, StateSince = now, AnsweredAt = now, Version = agent.Version + 1 });
        _store.SaveCall(call with { State = CallState.Connected, Version = call.Version + 1 });
        var decisions = new AcdDecisions();
        decisions.Add(new AgentTransition(agentId, AgentState.Reserved, AgentState.OnCall, "answered", now, callId));
        decisions.Add(new CallEvent(callId, CallEventKind.Connected, QueueName(call), now, now - call.EnteredAt, "answered", AgentId: agentId));
        return decisions;
    }

    /// <summary>The agent rejected the offer: the call goes back to the head of its queue and the agent to Break("declined").</summary>
    public AcdDecisions Decline(string agentId, string callId, DateTimeOffset now)
    {
        _store.Prefetch(new AcdReadHint(AgentId: agentId, CallId: callId));
        if (HeldText(agentId, callId, "decline") is { } held)
        {
            var declined = new AcdDecisions();
            ReturnText(held.Agent, held.Call, DeclinedBreak, "declined", now, declined);
            return declined;
        }
        var agent = RequireOffer(agentId, callId, "decline");
        var decisions = new AcdDecisions();
        ReturnOffer(agent, _store.FindCall(callId)!, DeclinedBreak, "declined", now, decisions);
        return decisions;
    }

    /// <summary>The agent's phone rang out: the call goes back to the head of its queue and the agent to Break("missed").</summary>
    public AcdDecisions RingNoAnswer(string agentId, string callId, DateTimeOffset now)
    {
        _store.Prefetch(new AcdReadHint(AgentId: agentId, CallId: callId));
        if (HeldText(agentId, callId, "time out a ring") is { } held)
        {
            var missed = new AcdDecisions();
            ReturnText(held.Agent, held.Call, MissedBreak, "ring no answer", now, missed);
            return missed;
        }
        var agent = RequireOffer(agentId, callId, "time out a ring");
        var decisions = new AcdDecisions();
        ReturnOffer(agent, _store.FindCall(callId)!, MissedBreak, "ring no answer", now, decisions);
        return decisions;
    }

    /// <summary>
    /// OnCall → WrapUp for the queue's wrap-up time (straight to Available when it is zero). The call leaves the ACD,
    /// so every other agent still on it (<see cref="AcdCall.Guests"/>) goes to wrap-up too.
    /// </summary>
    public AcdDecisions EndCall(string agentId, string callId, DateTimeOffset now)
    {
        _store.Prefetch(new AcdReadHint(AgentId: agentId, CallId: callId, AgentSeeksWork: true));
        if (HeldText(agentId, callId, "end") is { } held)
            return EndText(held.Agent, held.Call, now);
        var agent = RequireAgent(agentId, "end a call", AgentState.OnCall);
        if (agent.CallId != callId)
            throw new IllegalTransitionException(agentId, $"end call {callId}", $"on call {agent.CallId}");
        var call = _store.FindCall(callId);
        _store.DeleteCall(callId);
        var queue = _table.Queues[agent.QueueIndex];
        var decisions = new AcdDecisions();
        decisions.Add(new CallEvent(callId, CallEventKind.Completed, queue.Options.Name, now, (agent.AnsweredAt ?? now) - (call?.EnteredAt ?? now), "call ended", AgentId: agentId));
        if (call?.CustomerId is { } customerId)
            _store.SaveLastContact(new LastContact(customerId, agentId, now));

        StartWrapUp(agent, callId, "call ended", now, decisions);
        foreach (var guestId in call?.Guests ?? [])
        {
            if (guestId != agentId && _store.FindAgent(guestId) is { State: AgentState.OnCall } guest && guest.CallId == callId)
                StartWrapUp(guest, callId, "call ended", now, decisions);
        }
        return decisions;
    }

    /// <summary>
    /// Available → OnCall on a connected call another agent owns: the target of a warm or cold transfer, or a party
    /// added to a conference. The call keeps its owner until <see cref="LeaveCall"/> hands it over.
    /// </summary>
    public AcdDecisions JoinCall(string agentId, string callId, DateTimeOffset now)
    {
        _store.Prefetch(new AcdReadHint(AgentId: agentId, CallId: callId));
        var agent = RequireAgent(agentId, $"join call {callId}", AgentState.Available);
        if (_store.FindCall(callId) is not { State: CallState.Connected } call)
            throw new IllegalTransitionException(callId, $"be joined by {agentId}", "not connected to an agent");
        Save(agent with { State = AgentState.OnCall, CallId = callId, QueueIndex = call.QueueIndex, StateSince = now, AnsweredAt = now });
        Save(call with { Guests = call.Guests.Add(agentId) });
        var decisions = new AcdDecisions();
        decisions.Add(new AgentTransition(agentId, AgentState.Available, AgentState.OnCall, "joined call", now, callId));
        decisions.Add(new CallEvent(callId, CallEventKind.Joined, QueueName(call), now, now - call.EnteredAt, "joined", AgentId: agentId, TargetAgentId: call.AgentId));
        return decisions;
    }

    /// <summary>
    /// Available → OnCall on a call the agent places (an outbound project call): connected to the agent from the start, it waits
    /// in no queue and is offered to nobody. <paramref name="queue"/> gives only the wrap-up time; the call adds no handle time to
    /// that queue's estimates, which are about its callers. <see cref="EndCall"/> ends it like any call.
    /// </summary>
    public AcdDecisions StartOutboundCall(string agentId, string callId, string queue, DateTimeOffset now)
    {
        if (!_table.QueueIndex.TryGetValue(queue, out var queueIndex))
            throw new ArgumentException($"Unknown queue '{queue}'.", nameof(queue));
        if (_store.FindCall(callId) is { } existing)
            throw new IllegalTransitionException(callId, "place", existing.State.ToString());
        var agent = RequireAgent(agentId, $"place call {callId}", AgentState.Available);
        Save(new AcdCall
        {
            CallId = callId, State = CallState.Connected, QueueIndex = queueIndex, TierId = _table.Queues[queueIndex].TierAfterSteps[0],
            EnteredAt = now, QueueEnteredAt = now, Sequence = _store.NextSequence(), AgentId = agentId,
        });
        // No AnsweredAt: it is what handle time is measured from (see RecordHandleTime).
        Save(agent with { State = AgentState.OnCall, CallId = callId, QueueIndex = queueIndex, StateSince = now, AnsweredAt = null });
        var decisions = new AcdDecisions();
        decisions.Add(new AgentTransition(agentId, AgentState.Available, AgentState.OnCall, "placed call", now, callId));
        return decisions;
    }

    /// <summary>
    /// OnCall → WrapUp for one agent while the call goes on with another: the transferring agent after a transfer
    /// (ownership passes to <paramref name="handTo"/>, which must be on the call), or a guest leaving a conference.
    /// An owner leaving without naming who takes over is refused: end the call instead.
    /// </summary>
    public AcdDecisions LeaveCall(string agentId, string callId, string? handTo, DateTimeOffset now)
    {
        _store.Prefetch(new AcdReadHint(AgentId: agentId, CallId: callId));
        var agent = RequireAgent(agentId, $"leave call {callId}", AgentState.OnCall);
        if (agent.CallId != callId || _store.FindCall(callId) is not { State: CallState.Connected } call)
            throw new IllegalTransitionException(agentId, $"leave call {callId}", $"on call {agent.CallId}");
        var owner = call.AgentId;
        if (owner == agentId)
        {
            if (handTo is null || !call.Guests.Contains(handTo))
                throw new IllegalTransitionException(agentId, $"leave call {callId}", "its only agent; end the call instead");
            owner = handTo;
        }
        Save(call with { AgentId = owner, Guests = call.Guests.Remove(agentId).Remove(owner!) });
        var decisions = new AcdDecisions();
        decisions.Add(new CallEvent(callId, CallEventKind.Left, QueueName(call), now, now - call.EnteredAt, owner == call.AgentId ? "left" : "transferred",
            AgentId: agentId, TargetAgentId: owner));
        StartWrapUp(agent, callId, owner == call.AgentId ? "left call" : "transferred call", now, decisions);
        return decisions;
    }

    private void StartWrapUp(AcdAgent agent, string callId, string why, DateTimeOffset now, AcdDecisions decisions)
    {
        var queue = _table.Queues[agent.QueueIndex];
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var calls = agent.CallsDay == today ? agent.CallsToday + 1 : 1;
        var wrapping = agent with { State = AgentState.WrapUp, CallId = null, StateSince = now, CallsToday = calls, CallsDay = today, Version = agent.Version + 1 };
        _store.SaveAgent(wrapping);
        decisions.Add(new AgentTransition(agent.AgentId, agent.State, AgentState.WrapUp, why, now, callId));
        if (queue.Options.WrapUpTime == TimeSpan.Zero)
        {
            RecordHandleTime(wrapping, now);
            MakeAvailable(wrapping, "wrap-up done", now, decisions);
        }
        else
        {
            _store.Schedule(new AcdTimer(now + queue.Options.WrapUpTime, AcdTimerKind.WrapUpEnd, agent.AgentId, wrapping.Version));
        }
    }

    /// <summary>WrapUp → Available before the wrap-up timer runs out.</summary>
    public AcdDecisions CompleteWrapUp(string agentId, DateTimeOffset now)
    {
        _store.Prefetch(new AcdReadHint(AgentId: agentId, AgentSeeksWork: true));
        var agent = RequireAgent(agentId, "complete wrap-up", AgentState.WrapUp);
        var decisions = new AcdDecisions();
        RecordHandleTime(agent, now);
        MakeAvailable(agent, "wrap-up done", now, decisions);
        return decisions;
    }

    /// <summary>Runs every timer due by <paramref name="now"/>: ring timeouts, wrap-up ends, escalations and max waits.</summary>
    public AcdDecisions Tick(DateTimeOffset now)
    {
        var decisions = new AcdDecisions();
        while (_store.TryTakeDue(now, out var timer))
        {
            switch (timer.Kind)
            {
                case AcdTimerKind.RingTimeout:
                    if (_store.FindAgent(timer.Id) is { State: AgentState.Reserved, CallId: { } callId } ringing
                        && ringing.Version == timer.Version
                        && _store.FindCall(callId) is { } offered)
                        ReturnOffer(ringing, offered, MissedBreak, "ring timeout", now, decisions);
                    break;
                case AcdTimerKind.WrapUpEnd:
                    if (_store.FindAgent(timer.Id) is { State: AgentState.WrapUp } wrapping && wrapping.Version == timer.Version)
                    {
                        // The wrap-up really ended at the deadline, however late this tick runs.
                        RecordHandleTime(wrapping, timer.Due);
                        MakeAvailable(wrapping, "wrap-up timer", now, decisions, timer.Due);
                    }
                    break;
                case AcdTimerKind.TextOfferTimeout:
                    if (_store.FindCall(timer.Id) is { State: CallState.Offered, AgentId: { } holder } text && text.Version == timer.Version
                        && _store.FindAgent(holder) is { } holding && holding.Texts.Contains(text.CallId))
                        ReturnText(holding, text, MissedBreak, "ring timeout", now, decisions);
                    break;
                case AcdTimerKind.CallDue:
                    if (_store.FindCall(timer.Id) is { State: CallState.Waiting } waiting && waiting.Version == timer.Version)
                        Escalate(waiting, now, decisions);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown timer kind {timer.Kind}.");
            }
        }
        return decisions;
    }

    /// <summary>
    /// Position (1 = next) and estimated wait of a waiting call; null for a call that is not waiting.
    /// The wait is null (silent) without a staffed eligible agent or without handle-time history.
    /// </summary>
    public WaitEstimate? Estimate(string callId)
    {
        if (_store.FindCall(callId) is not { State: CallState.Waiting } call)
            return null;
        var position = _store.CountAhead(call) + 1;
        var staffed = _store.CountStaffed(call.TierId);
        var handle = _store.MeanHandleTime(call.QueueIndex);
        TimeSpan? wait = staffed > 0 && handle is { } h ? h * position / staffed : null;
        return new WaitEstimate(position, wait, staffed);
    }

    private void EnterQueue(AcdCall call, bool stored, int queueIndex, DateTimeOffset now, AcdDecisions decisions, int hops)
    {
        var queue = _table.Queues[queueIndex];
        var placed = call with
        {
            State = CallState.Waiting,
            QueueIndex = queueIndex,
            TierId = queue.TierAfterSteps[0],
            StepsApplied = 0,
            QueueEnteredAt = now,
            Score = call.EnteredAt.UtcTicks - HeadStart(call.CustomerTier, call.IsComplaint, queue.Options).Ticks,
            AtHead = false,
            AgentId = null,
            Version = call.Version + 1,
        };
        EnterPlaced(placed, stored, queue, now, decisions, hops);
    }

    // The call as it enters the queue (waiting in the queue's first tier): offered, queued, or turned away by the size limit.
    private void EnterPlaced(AcdCall placed, bool stored, CompiledQueue queue, DateTimeOffset now, AcdDecisions decisions, int hops)
    {
        var queueIndex = placed.QueueIndex;
        var agent = FindAgentFor(placed, now);
        if (agent is null && !placed.IsCallback && queue.Options.MaxQueueSize > 0 && _store.CountWaitingCallers(queueIndex) >= queue.Options.MaxQueueSize)
        {
            HitLimit(placed, stored, queue, QueueLimit.MaxQueueSize, queue.Options.MaxQueueSizeOutcome, now, decisions, hops);
            return;
        }
        _store.SaveCall(placed);
        decisions.Add(new CallEvent(placed.CallId, CallEventKind.Queued, queue.Options.Name, now, now - placed.EnteredAt, hops == 0 && !stored ? "enqueued" : "moved"));
        if (agent is null || !TryOffer(agent, agent, placed, now, decisions))
            ScheduleCallDue(placed);
    }

    private void HitLimit(AcdCall call, bool stored, CompiledQueue queue, QueueLimit limit, QueueLimitOutcome outcome, DateTimeOffset now, AcdDecisions decisions, int hops)
    {
        if (outcome == QueueLimitOutcome.Overflow && queue.OverflowIndex >= 0 && hops < MaxOverflowHops)
        {
            var target = _table.Queues[queue.OverflowIndex].Options.Name;
            decisions.Add(new CallEvent(call.CallId, CallEventKind.Overflowed, queue.Options.Name, now, now - call.EnteredAt, limit.ToString(), limit, outcome, target));
            EnterQueue(call, stored, queue.OverflowIndex, now, decisions, hops + 1);
            return;
        }
        if (stored)
            _store.DeleteCall(call.CallId);
        // A chain of full overflow queues ends in a callback offer rather than looping.
        var final = outcome == QueueLimitOutcome.Overflow ? QueueLimitOutcome.CallbackOffer : outcome;
        decisions.Add(new CallEvent(call.CallId, CallEventKind.LimitReached, queue.Options.Name, now, now - call.EnteredAt, limit.ToString(), limit, final));
    }

    private void Escalate(AcdCall call, DateTimeOffset now, AcdDecisions decisions)
    {
        var queue = _table.Queues[call.QueueIndex];
        var changed = false;
        while (true)
        {
            var stepDue = call.StepsApplied < queue.Steps.Length ? call.QueueEnteredAt + queue.Steps[call.StepsApplied].After : DateTimeOffset.MaxValue;
            var maxWaitDue = queue.Options.MaxWait is { } maxWait && !call.IsCallback ? call.QueueEnteredAt + maxWait : DateTimeOffset.MaxValue;
            if (maxWaitDue <= now && maxWaitDue <= stepDue)
            {
                HitLimit(call, stored: true, queue, QueueLimit.MaxWait, queue.Options.MaxWaitOutcome, now, decisions, hops: 0);
                return;
            }
            if (stepDue > now)
                break;

            var step = queue.Steps[call.StepsApplied];
            var waited = now - call.EnteredAt;
            switch (step.Action)
            {
                case EscalationAction.MoveToQueue:
                    var target = queue.StepTargets[call.StepsApplied];
                    decisions.Add(new CallEvent(call.CallId, CallEventKind.Overflowed, queue.Options.Name, now, waited, "escalation", TargetQueue: _table.Queues[target].Options.Name));
                    EnterQueue(call, stored: true, target, now, decisions, hops: 1);
                    return;
                case EscalationAction.OfferCallback:
                    decisions.Add(new CallEvent(call.CallId, CallEventKind.CallbackOffered, queue.Options.Name, now, waited, "escalation"));
                    call = call with { StepsApplied = call.StepsApplied + 1 };
                    break;
                default:
                    call = call with { StepsApplied = call.StepsApplied + 1, TierId = queue.TierAfterSteps[call.StepsApplied + 1] };
                    decisions.Add(new CallEvent(call.CallId, CallEventKind.Escalated, queue.Options.Name, now, waited, step.Action.ToString()));
                    break;
            }
            changed = true;
        }
        if (!changed)
        {
            ScheduleCallDue(call);
            return;
        }
        var saved = call with { Version = call.Version + 1 };
        _store.SaveCall(saved);
        RouteCall(saved, now, decisions);
    }

    private void ReturnOffer(AcdAgent agent, AcdCall call, string breakReason, string why, DateTimeOffset now, AcdDecisions decisions)
    {
        Save(agent with { State = AgentState.Break, BreakReason = breakReason, CallId = null, StateSince = now });
        decisions.Add(new AgentTransition(agent.AgentId, AgentState.Reserved, AgentState.Break, why, now, call.CallId, breakReason));
        // Same score and entry time as before, and flagged to sort ahead of everyone else in its tier.
        var back = Save(call with { State = CallState.Waiting, AgentId = null, AtHead = true });
        decisions.Add(new CallEvent(call.CallId, CallEventKind.Requeued, QueueName(call), now, now - call.EnteredAt, why, AgentId: agent.AgentId));
        RouteCall(back, now, decisions);
    }

    private void MakeAvailable(AcdAgent agent, string why, DateTimeOffset now, AcdDecisions decisions, DateTimeOffset? since = null)
    {
        var at = since ?? now;
        decisions.Add(new AgentTransition(agent.AgentId, agent.State, AgentState.Available, why, at));
        // Looking for work before indexing the agent as idle skips an idle-index insert and removal
        // whenever a call is waiting; the claim still compares against the stored record.
        var call = BestCallFor(agent);
        if (call is not null && !IsText(call))
        {
            // The available agent as reserved, built in one step: the available record would only be copied again.
            var reserved = agent with
            {
                State = AgentState.Reserved, BreakReason = null, CallId = call.CallId, QueueIndex = call.QueueIndex, AnsweredAt = null,
                IdleSince = at, StateSince = now, Version = agent.Version + 1,
            };
            if (TryClaimCall(agent, reserved, call, now, decisions))
                return;
        }
        var available = agent with { State = AgentState.Available, BreakReason = null, CallId = null, AnsweredAt = null, IdleSince = at, StateSince = at, Version = agent.Version + 1 };
        if (call is not null && IsText(call) && TryOffer(agent, available, call, now, decisions))
        {
            FillTexts(_store.FindAgent(agent.AgentId)!, now, decisions);
            return;
        }
        _store.SaveAgent(available);
    }

    private void RecordHandleTime(AcdAgent agent, DateTimeOffset now)
    {
        if (agent.AnsweredAt is { } answered && agent.QueueIndex >= 0)
            _store.AddHandleTime(agent.QueueIndex, now - answered);
    }

    private void RouteCall(AcdCall call, DateTimeOffset now, AcdDecisions decisions)
    {
        if (FindAgentFor(call, now) is not { } agent || !TryOffer(agent, agent, call, now, decisions))
            ScheduleCallDue(call);
    }

    private void RouteAgent(AcdAgent agent, DateTimeOffset now, AcdDecisions decisions)
    {
        if (agent.State == AgentState.OnText)
            FillTexts(agent, now, decisions);
        else if (BestCallFor(agent) is { } call && TryOffer(agent, agent, call, now, decisions) && IsText(call))
            FillTexts(_store.FindAgent(agent.AgentId)!, now, decisions);
    }

    // An agent on texts takes the best waiting texts it has room for, one claim at a time, until full or none waits.
    private void FillTexts(AcdAgent agent, DateTimeOffset now, AcdDecisions decisions)
    {
        while (agent.State == AgentState.OnText && agent.Texts.Length < _maxTextCapacity)
        {
            var load = agent.Texts.Length;
            var tiers = agent.EligibleTiers.RemoveAll(t => _tierTextCapacity[t] <= load);
            Counters.TiersPeeked += tiers.Length;
            if (_store.PeekBestWaiting(tiers) is not { } call || !TryOffer(agent, agent, call, now, decisions))
                return;
            agent = _store.FindAgent(agent.AgentId)!;
        }
    }

    // Looks only at the heads of the agent's eligible tiers: O(eligible tiers), never all queues.
    private AcdCall? BestCallFor(AcdAgent agent)
    {
        Counters.TiersPeeked += agent.EligibleTiers.Length;
        return _store.PeekBestWaiting(agent.EligibleTiers);
    }

    // stored: the agent record the claim compares against; agent: the same agent as available,
    // which may not be stored yet.
    private bool TryOffer(AcdAgent stored, AcdAgent agent, AcdCall call, DateTimeOffset now, AcdDecisions decisions)
    {
        if (IsText(call))
            return TryOfferText(stored, agent, call, _table.Queues[call.QueueIndex], now, decisions);
        var reserved = agent with { State = AgentState.Reserved, CallId = call.CallId, QueueIndex = call.QueueIndex, StateSince = now, Version = stored.Version + 1 };
        return TryClaimCall(stored, reserved, call, now, decisions);
    }

    // stored: the agent record the claim compares against; reserved: the agent as it will be, ringing for the call.
    private bool TryClaimCall(AcdAgent stored, AcdAgent reserved, AcdCall call, DateTimeOffset now, AcdDecisions decisions)
    {
        var queue = _table.Queues[call.QueueIndex];
        var offered = call with { State = CallState.Offered, AgentId = reserved.AgentId, Version = call.Version + 1 };
        if (!_store.TryClaim(stored, call, reserved, offered))
            return false;
        Counters.Offers++;
        var deadline = now + queue.Options.RingTimeout;
        _store.Schedule(new AcdTimer(deadline, AcdTimerKind.RingTimeout, reserved.AgentId, reserved.Version));
        decisions.Add(new CallOffer(call.CallId, reserved.AgentId, queue.Options.Name, now, deadline, now - call.EnteredAt));
        decisions.Add(new AgentTransition(reserved.AgentId, AgentState.Available, AgentState.Reserved, "offered", now, call.CallId));
        decisions.Add(new CallEvent(call.CallId, CallEventKind.Offered, queue.Options.Name, now, now - call.EnteredAt, "offered", AgentId: reserved.AgentId));
        return true;
    }

    // A text joins the agent's texts; the agent stays (or becomes) OnText, so no call is offered beside it.
    private bool TryOfferText(AcdAgent stored, AcdAgent agent, AcdCall call, CompiledQueue queue, DateTimeOffset now, AcdDecisions decisions)
    {
        var from = agent.State;
        var holding = agent with
        {
            State = AgentState.OnText,
            Texts = agent.Texts.Add(call.CallId),
            QueueIndex = call.QueueIndex,
            StateSince = from == AgentState.OnText ? agent.StateSince : now,
            Version = stored.Version + 1,
        };
        var offered = call with { State = CallState.Offered, AgentId = agent.AgentId, Version = call.Version + 1 };
        if (!_store.TryClaim(stored, call, holding, offered))
            return false;
        Counters.Offers++;
        var deadline = now + queue.Options.RingTimeout;
        _store.Schedule(new AcdTimer(deadline, AcdTimerKind.TextOfferTimeout, call.CallId, offered.Version));
        decisions.Add(new CallOffer(call.CallId, agent.AgentId, queue.Options.Name, now, deadline, now - call.EnteredAt));
        if (from != AgentState.OnText)
            decisions.Add(new AgentTransition(agent.AgentId, from, AgentState.OnText, "offered", now, call.CallId));
        decisions.Add(new CallEvent(call.CallId, CallEventKind.Offered, queue.Options.Name, now, now - call.EnteredAt, "offered", AgentId: agent.AgentId));
        return true;
    }

    private void ReturnText(AcdAgent agent, AcdCall call, string breakReason, string why, DateTimeOffset now, AcdDecisions decisions)
    {
        var rest = agent.Texts.Remove(call.CallId);
        // Like a missed call: a break, so no more work is offered until the agent says so; held texts stay to finish.
        Save(agent with { State = AgentState.Break, BreakReason = breakReason, Texts = rest, StateSince = now });
        if (agent.State != AgentState.Break)
            decisions.Add(new AgentTransition(agent.AgentId, agent.State, AgentState.Break, why, now, call.CallId, breakReason));
        var back = Save(call with { State = CallState.Waiting, AgentId = null, AtHead = true });
        decisions.Add(new CallEvent(call.CallId, CallEventKind.Requeued, QueueName(call), now, now - call.EnteredAt, why, AgentId: agent.AgentId));
        RouteCall(back, now, decisions);
    }

    private AcdDecisions EndText(AcdAgent agent, AcdCall call, DateTimeOffset now)
    {
        if (call.State != CallState.Connected)
            throw new IllegalTransitionException(agent.AgentId, $"end text {call.CallId}", "offered, not accepted");
        _store.DeleteCall(call.CallId);
        var decisions = new AcdDecisions();
        decisions.Add(new CallEvent(call.CallId, CallEventKind.Completed, QueueName(call), now, (call.ConnectedAt ?? now) - call.EnteredAt, "request answered", AgentId: agent.AgentId));
        if (call.CustomerId is { } customerId)
            _store.SaveLastContact(new LastContact(customerId, agent.AgentId, now));
        DropText(agent with { QueueIndex = call.QueueIndex, AnsweredAt = call.ConnectedAt }, call.CallId, "request answered", now, decisions);
        return decisions;
    }

    // The agent no longer holds the text: the last one ends in wrap-up (handle time from its acceptance), an earlier one
    // counts its handle time now and frees room for the next text.
    private void DropText(AcdAgent agent, string callId, string why, DateTimeOffset now, AcdDecisions decisions)
    {
        var rest = agent.Texts.Remove(callId);
        if (agent.State != AgentState.OnText)
        {
            Save(agent with { Texts = rest });
            return;
        }
        if (rest.IsEmpty)
        {
            if (agent.AnsweredAt is null)
                MakeAvailable(Save(agent with { Texts = rest }), why, now, decisions);
            else
                StartWrapUp(agent with { Texts = rest }, callId, why, now, decisions);
            return;
        }
        RecordHandleTime(agent, now);
        FillTexts(Save(agent with { Texts = rest, AnsweredAt = null }), now, decisions);
    }

    // The agent's text and its record, when the id names a text request the agent holds; null for a call.
    private (AcdAgent Agent, AcdCall Call)? HeldText(string agentId, string callId, string attempted)
    {
        if (_store.FindCall(callId) is not { } call || !IsText(call))
            return null;
        var agent = _store.FindAgent(agentId);
        if (agent is null || !agent.Texts.Contains(callId) || call.AgentId != agentId)
            throw new IllegalTransitionException(agentId, $"{attempted} text {callId}", agent is null ? nameof(AgentState.Offline) : "not holding it");
        return (agent, call);
    }

    private bool IsText(AcdCall call) => _queueTextCapacity[call.QueueIndex] > 0;

    // Walks the idle index of the call's rarest required skill, longest idle first, so the cost is
    // bounded by idle agents holding that skill, never by all agents or all queues. A text first tries agents
    // already on texts with room (fewest texts first), keeping idle agents free for calls.
    private AcdAgent? FindAgentFor(AcdCall call, DateTimeOffset now)
    {
        var queue = _table.Queues[call.QueueIndex];
        var tier = _table.Tiers[call.TierId];
        if (PreferredAgent(call, queue, now) is { } preferred)
            return preferred;
        if (IsText(call) && TextingAgentFor(call, tier) is { } texting)
            return texting;

        var policy = queue.Options.AgentSelection;
        AcdAgent? best = null;
        var bestKey = 0L;
        foreach (var alternative in tier.Alternatives)
        {
            var (skill, level) = Driving(alternative);
            if (_store.CountIdle(skill, level) == 0)
                continue;
            var matched = 0;
            foreach (var agent in _store.IdleAgents(skill, level))
            {
                Counters.AgentsExamined++;
                if (!Meets(agent.Skills, alternative))
                    continue;
                var key = SelectionKey(agent, alternative, policy, now);
                if (best is null || key < bestKey || (key == bestKey && AcdOrdering.Idle.Compare(agent, best) < 0))
                    (best, bestKey) = (agent, key);
                if (policy == AgentSelectionPolicy.LongestIdle || ++matched >= _options.SelectionScanLimit)
                    break;
            }
        }
        return best;
    }

    private AcdAgent? TextingAgentFor(AcdCall call, RoutingTier tier)
    {
        var capacity = _queueTextCapacity[call.QueueIndex];
        foreach (var alternative in tier.Alternatives)
        {
            var (skill, level) = Driving(alternative);
            foreach (var agent in _store.TextingAgents(skill, level))
            {
                Counters.AgentsExamined++;
                // Fewest texts first: once one is full for this queue, so is every later one.
                if (agent.Texts.Length >= capacity)
                    break;
                if (Meets(agent.Skills, alternative))
                    return agent;
            }
        }
        return null;
    }

    private AcdAgent? PreferredAgent(AcdCall call, CompiledQueue queue, DateTimeOffset now)
    {
        if (queue.Options.LastAgentWindow is not { } window || call.CustomerId is not { } customerId)
            return null;
        if (_store.FindLastContact(customerId) is not { } last || now - last.At > window)
            return null;
        var room = _queueTextCapacity[call.QueueIndex];
        return _store.FindAgent(last.AgentId) is { } agent && agent.EligibleTiers.BinarySearch(call.TierId) >= 0
            && (agent.State == AgentState.Available || (agent.State == AgentState.OnText && agent.Texts.Length < room))
            ? agent
            : null;
    }

    private (int Skill, int Level) Driving(ImmutableArray<SkillLevel> alternative)
    {
        if (alternative.IsEmpty)
            return (SkillCatalog.AnySkill, 1);
        var best = alternative[0];
        var bestCount = _store.CountIdle(best.SkillId, best.Level);
        for (var i = 1; i < alternative.Length; i++)
        {
            var count = _store.CountIdle(alternative[i].SkillId, alternative[i].Level);
            if (count < bestCount)
                (best, bestCount) = (alternative[i], count);
        }
        return (best.SkillId, best.Level);
    }

    // Smaller is better; ties fall back to longest idle.
    private static long SelectionKey(AcdAgent agent, ImmutableArray<SkillLevel> alternative, AgentSelectionPolicy policy, DateTimeOffset now)
    {
        switch (policy)
        {
            case AgentSelectionPolicy.MostSkilled:
                var sum = 0;
                foreach (var skill in alternative.IsEmpty ? agent.Skills : alternative)
                    sum += LevelOf(agent.Skills, skill.SkillId);
                return -sum;
            case AgentSelectionPolicy.LeastCallsToday:
                return agent.CallsDay == DateOnly.FromDateTime(now.UtcDateTime) ? agent.CallsToday : 0;
            default:
                return 0;
        }
    }

    private static bool Meets(ImmutableArray<SkillLevel> held, ImmutableArray<SkillLevel> required)
    {
        foreach (var r in required)
        {
            if (LevelOf(held, r.SkillId) < r.Level)
                return false;
        }
        return true;
    }

    private static int LevelOf(ImmutableArray<SkillLevel> held, int skillId)
    {
        foreach (var s in held)
        {
            if (s.SkillId == skillId)
                return s.Level;
        }
        return 0;
    }

    private ImmutableArray<int> EligibleTiers(ImmutableArray<SkillLevel> skills)
    {
        var candidates = new HashSet<int>(_table.OpenTiers);
        foreach (var skill in skills)
            candidates.UnionWith(_table.TiersBySkill[skill.SkillId]);
        return [.. candidates.Where(t => _table.Tiers[t].Alternatives.Any(alt => Meets(skills, alt))).Order()];
    }

    private void ScheduleCallDue(AcdCall call)
    {
        var queue = _table.Queues[call.QueueIndex];
        var due = DateTimeOffset.MaxValue;
        if (call.StepsApplied < queue.Steps.Length)
            due = call.QueueEnteredAt + queue.Steps[call.StepsApplied].After;
        if (queue.Options.MaxWait is { } maxWait && !call.IsCallback && call.QueueEnteredAt + maxWait < due)
            due = call.QueueEnteredAt + maxWait;
        if (due != DateTimeOffset.MaxValue)
            _store.Schedule(new AcdTimer(due, AcdTimerKind.CallDue, call.CallId, call.Version));
    }

    private TimeSpan HeadStart(CustomerTier customerTier, bool isComplaint, QueueOptions queue)
    {
        var priority = _options.Priority;
        var headStart = customerTier switch
        {
            CustomerTier.PrivateBanking => priority.PrivateBanking,
            CustomerTier.Wealth or CustomerTier.Platinum => priority.WealthOrPlatinum,
            _ => TimeSpan.Zero,
        };
        if (isComplaint)
            headStart += priority.Complaint;
        return headStart + queue.PriorityBoost;
    }

    private AcdAgent RequireAgent(string agentId, string attempted, params ReadOnlySpan<AgentState> allowed)
    {
        var agent = _store.FindAgent(agentId) ?? throw new IllegalTransitionException(agentId, attempted, AgentState.Offline.ToString());
        foreach (var state in allowed)
        {
            if (agent.State == state)
                return agent;
        }
        throw new IllegalTransitionException(agentId, attempted, agent.State.ToString());
    }

    private AcdAgent RequireOffer(string agentId, string callId, string attempted)
    {
        var agent = RequireAgent(agentId, attempted, AgentState.Reserved);
        if (agent.CallId != callId || _store.FindCall(callId) is not { State: CallState.Offered })
            throw new IllegalTransitionException(agentId, $"{attempted} call {callId}", $"reserved for {agent.CallId}");
        return agent;
    }

    private AcdAgent Save(AcdAgent agent)
    {
        var saved = agent with { Version = agent.Version + 1 };
        _store.SaveAgent(saved);
        return saved;
    }

    private AcdCall Save(AcdCall call)
    {
        var saved = call with { Version = call.Version + 1 };
        _store.SaveCall(saved);
        return saved;
    }

    private string QueueName(AcdCall call) => _table.Queues[call.QueueIndex].Options.Name;
}
