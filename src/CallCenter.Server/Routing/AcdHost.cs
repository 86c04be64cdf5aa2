using System.Diagnostics;
using System.Globalization;
using CallCenter.Core.InCall;
using CallCenter.Core.Routing;
using CallCenter.Server.CallLog;
using CallCenter.Server.Outbound;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Routing;

/// <summary>What an agent sees of the call offered to them.</summary>
public sealed record AcdOfferView(string CallSid, string Queue, DateTimeOffset EnteredAt, DateTimeOffset OfferedAt, DateTimeOffset RingDeadline);

/// <summary>An agent's ACD state as the console shows it; <see cref="Texts"/> are the text requests offered to or held by the agent.</summary>
public sealed record AcdAgentView(string AgentId, AgentState State, DateTimeOffset? Since, string? BreakReason, string? CallSid)
{
    public IReadOnlyList<AcdTextView> Texts { get; init; } = [];

    /// <summary>Whether the agent has accepted this text request and still holds it (it may be answered).</summary>
    public bool Holds(string stream) => Texts.Any(t => t.CallSid == stream && t.Accepted);
}

/// <summary>A text request in an agent's hands: offered, or accepted.</summary>
public sealed record AcdTextView(string CallSid, string Queue, bool Accepted);

/// <summary>One queue on the supervisor's board.</summary>
public sealed record AcdQueueView(string Queue, int Waiting, double? OldestWaitSeconds, int Staffed, int Available);

/// <summary>The REST redirect to the agent failed: the call went back to the head of its queue.</summary>
public sealed class CallConnectFailedException(string message) : Exception(message);

/// <summary>
/// The ACD of one server instance: owns the pure <see cref="AcdEngine"/> over the configured store, serialises
/// every operation into it (the engine is not thread-safe), runs its timers, and turns each decision into
/// call-log events, telemetry and Twilio effects. Call-log appends are queued while the gate is held, so the
/// log keeps the engine's order, and awaited after it is released, so no database round trip holds the ACD.
/// Over a shared store (<see cref="ISharedAcdStateStore"/>, several instances) each operation is one unit of
/// work: when another instance changed what it read, it is run again on fresh state before anything is acted on.
/// Operations that wait for the gate together share one unit of work (group commit): one prefetch and one commit
/// for all, each decided on the state the ones before it left, as if run one after another.
/// </summary>
public sealed class AcdHost : BackgroundService
{
    /// <summary>How often due timers (ring timeouts, wrap-up ends, escalations) are run.</summary>
    public static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Conflicts of one operation over a shared store before it takes the store-wide turn, and runs with every other instance's
    /// commits refused: optimistic re-runs can lose to another instance claiming the same head back to back for ever.
    /// </summary>
    private const int ConflictsBeforeTurn = 3;

    /// <summary>Long enough for one unit of work on a loaded machine; an instance dying with the turn blocks commits this long at most.</summary>
    private static readonly TimeSpan TurnLease = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Runs holding the turn that may fail before the operation gives up: no other instance can commit meanwhile, so only a
    /// lease running out (a stalled process) fails one, and a run of them is a fault, not a busy neighbour.
    /// </summary>
    private const int MaxTurnRuns = 10;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly AcdEngine _engine;
    private readonly ISharedAcdStateStore? _shared;
    private readonly TimeSpan _connectHold;
    private readonly AcdOptions _options;
    private readonly TimeProvider _clock;
    private readonly ICallEventLog _callLog;
    private readonly ITwilioCallControl _twilio;
    private readonly ICallbackDialler _callbacks;
    private readonly AcdMetrics _metrics;
    private readonly IAgentNotifier _notifier;
    private readonly ILogger<AcdHost> _logger;

    // Host-side bookkeeping the engine does not expose (it is keyed for routing, not for listing); over a
    // shared store it holds only what this instance saw.
    private readonly Dictionary<string, CallInfo> _calls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<AgentSkill>> _agentSkills = new(StringComparer.Ordinal);
    // Agents whose accept is waiting for Twilio, with the ring deadline their offer must not pass meanwhile.
    private readonly Dictionary<string, DateTimeOffset> _connecting = new(StringComparer.Ordinal);
    // Calls leaving one agent for a queue within the running operation: their bookkeeping (event numbers) stays.
    private readonly HashSet<string> _carriedOver = new(StringComparer.Ordinal);
    // The running operation's call-log events in order; N is the event's number for its step key (0 while a shared store has
    // yet to number it, null when the step key is already complete).
    private readonly List<(long? N, NewCallEvent Event)> _unnumbered = [];
    // Over a shared store the numbers come from Redis with the commit, so two instances never give two events of one call the same step key.
    private IReadOnlyList<long> _eventNumbers = [];

    private sealed class CallInfo(DateTimeOffset enteredAt)
    {
        public DateTimeOffset EnteredAt { get; } = enteredAt;
        public string Queue { get; set; } = "";
        public CallOffer? Offer { get; set; }
        public Dictionary<string, int> EventCounts { get; } = new(StringComparer.Ordinal);
    }

    public AcdHost(IOptions<AcdOptions> options, IAcdStateStore store, TimeProvider clock, ICallEventLog callLog, ITwilioCallControl twilio,
        IOptions<TwilioOptions> twilioOptions, AcdMetrics metrics, IAgentNotifier notifier, ICallbackDialler callbacks, ILogger<AcdHost> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(twilioOptions);
        // Past the REST call's whole budget (one attempt, plus the pipeline's second of slack).
        _connectHold = twilioOptions.Value.RestTimeout + TimeSpan.FromSeconds(2);
        _options = options.Value;
        _engine = new AcdEngine(_options, store);
        _shared = store as ISharedAcdStateStore;
        _clock = clock;
        _callLog = callLog;
        _twilio = twilio;
        _callbacks = callbacks;
        _metrics = metrics;
        _notifier = notifier;
        _logger = logger;
    }

    public IReadOnlyList<string> QueueNames => [.. _options.Queues.Select(q => q.Name)];

    /// <summary>A call the IVR put in a queue enters the ACD; an unknown queue falls back to the first one so no caller is stranded.</summary>
    public async Task EnqueueAsync(CallRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_options.Queues.Any(q => q.Name == request.Queue))
        {
            _logger.LogError("Queue {Queue} of call {CallSid} is not in the Acd configuration; it waits in {Fallback}",
                request.Queue, request.CallId, _options.Queues[0].Name);
            request = request with { Queue = _options.Queues[0].Name };
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var retry = attempt > 1;
                // No hint: a new call's own prefetch is free while its idle lines are remembered empty (the store's shortcut).
                await RunAsync("enqueue", request.CallId, null, now =>
                {
                    _calls.TryAdd(request.CallId, new CallInfo(now));
                    if (retry && _engine.FindCall(request.CallId) is not null)
                    {
                        // The first attempt's commit ran: the caller waits (its call-log events went with the lost answer).
                        _calls[request.CallId].Queue = request.Queue;
                        return new AcdDecisions();
                    }
                    return _engine.Enqueue(request, now);
                }, ct, ahead: new AcdReadHint());
                return;
            }
            catch (IllegalTransitionException)
            {
                // Already in the ACD: a webhook that ran twice.
                return;
            }
            catch (Exception ex) when (attempt == 1 && Degraded.DependencyFailures.IsOutcomeUnknown(ex))
            {
                // The commit reached Redis but neither its answer nor its receipt came back: the caller may be queued. Asking again settles it either
                // way, so they hear <Enqueue> when they are in the queue instead of the backup number with their call still
                // waiting for an agent. Once only: a second unanswered command means Redis is away, and the caller goes to people.
                _logger.LogWarning(ex, "Enqueue of call {CallSid}: Redis did not answer its commit; running it again", request.CallId);
            }
        }
    }

    /// <summary>Twilio reported a final status: a waiting or ringing caller abandoned; a connected call ended.</summary>
    public Task CallEndedAsync(string callSid, CancellationToken ct) =>
        RunAsync("call_ended", callSid, null, now => _engine.FindCall(callSid) switch
        {
            null => new AcdDecisions(),
            { State: CallState.Connected, AgentId: { } agentId } => _engine.EndCall(agentId, callSid, now),
            _ => _engine.Abandon(callSid, now),
        }, ct);

    /// <summary>A waiting caller chose a callback (surge offer): they leave the queue as a callback, not as an abandon; a connected call stays.</summary>
    public Task ChooseCallbackAsync(string callSid, CancellationToken ct) =>
        RunAsync("callback_chosen", callSid, null, now => _engine.FindCall(callSid) is { State: not CallState.Connected }
            ? _engine.ChooseCallback(callSid, now) : new AcdDecisions(), ct);

    public Task LoginAsync(string agentId, IReadOnlyList<AgentSkill> skills, CancellationToken ct) =>
        RunAsync("login", null, agentId, now =>
        {
            var decisions = _engine.Login(agentId, skills, now);
            _agentSkills[agentId] = skills;
            return decisions;
        }, ct, ahead: new AcdReadHint(agentId, AgentSeeksWork: true));

    public Task LogoutAsync(string agentId, CancellationToken ct) =>
        RunAsync("logout", null, agentId, now => _engine.Logout(agentId, now), ct);

    /// <summary>Available (ends a break or the wrap-up; a no-op when already available) or Break(reason).</summary>
    public Task SetStateAsync(string agentId, AgentState state, string? reason, CancellationToken ct) =>
        RunAsync("set_state", null, agentId, now => (state, _engine.FindAgent(agentId)?.State) switch
        {
            (AgentState.Available, AgentState.Available) => new AcdDecisions(),
            (AgentState.Available, AgentState.WrapUp) => _engine.CompleteWrapUp(agentId, now),
            (AgentState.Available, _) => _engine.EndBreak(agentId, now),
            (AgentState.Break, _) => _engine.StartBreak(agentId, reason ?? "break", now),
            _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Only Available and Break can be chosen."),
        }, ct, ahead: new AcdReadHint(agentId, AgentSeeksWork: true));

    public Task DeclineAsync(string agentId, string callSid, CancellationToken ct) =>
        RunAsync("decline", callSid, agentId, now => _connecting.ContainsKey(agentId)
            ? throw new IllegalTransitionException(agentId, $"decline call {callSid}", "connecting it")
            : _engine.Decline(agentId, callSid, now), ct);

    public Task EndCallAsync(string agentId, string callSid, CancellationToken ct) =>
        RunAsync("end_call", callSid, agentId, now => _engine.EndCall(agentId, callSid, now), ct, ahead: new AcdReadHint(agentId, callSid, AgentSeeksWork: true));

    /// <summary>An available agent joins a connected call: a warm transfer's target or a conference party.</summary>
    public Task JoinCallAsync(string agentId, string callSid, CancellationToken ct) =>
        RunAsync("join_call", callSid, agentId, now => _engine.JoinCall(agentId, callSid, now), ct);

    /// <summary>
    /// An available agent places an outbound call (a project call): OnCall on it at once, so no caller is offered meanwhile;
    /// <paramref name="queue"/> (the first queue when null) gives the wrap-up time. The call ends like any other.
    /// </summary>
    public Task StartOutboundCallAsync(string agentId, string callId, string? queue, CancellationToken ct) =>
        RunAsync("outbound_call", callId, agentId, now => _engine.StartOutboundCall(agentId, callId, queue ?? _options.Queues[0].Name, now), ct);

    /// <summary>An agent leaves a call that goes on: a party dropping out, or the owner handing it to <paramref name="handTo"/>.</summary>
    public Task LeaveCallAsync(string agentId, string callSid, string? handTo, CancellationToken ct) =>
        RunAsync("leave_call", callSid, agentId, now => _engine.LeaveCall(agentId, callSid, handTo, now), ct);

    /// <summary>A cold transfer to an agent: the target joins and takes the call over at once, in one decision.</summary>
    public Task HandOverAsync(string fromAgentId, string toAgentId, string callSid, CancellationToken ct) =>
        RunAsync("hand_over", callSid, fromAgentId, now =>
        {
            var joined = _engine.JoinCall(toAgentId, callSid, now);
            var left = _engine.LeaveCall(fromAgentId, callSid, toAgentId, now);
            return AcdDecisions.Combine(joined, left);
        }, ct);

    /// <summary>
    /// A cold transfer to a queue: the agent's part of the call ends (wrap-up follows) and the caller enters
    /// <paramref name="queue"/> with the original entry time and priority, so the transfer does not send them to the back.
    /// </summary>
    public Task TransferToQueueAsync(string agentId, string callSid, string queue, CancellationToken ct) =>
        RunAsync("transfer_to_queue", callSid, agentId, now =>
        {
            if (_engine.FindCall(callSid) is not { State: CallState.Connected } call || call.AgentId != agentId)
                throw new IllegalTransitionException(agentId, $"transfer call {callSid}", "not owning it");
            var ended = _engine.EndCall(agentId, callSid, now);
            // The call's event numbering must go on, not restart, when it enters the ACD again.
            _carriedOver.Add(callSid);
            var queued = _engine.Enqueue(new CallRequest(callSid, queue)
            {
                EnteredAt = call.EnteredAt, CustomerTier = call.CustomerTier, IsComplaint = call.IsComplaint, CustomerId = call.CustomerId,
            }, now);
            return AcdDecisions.Combine(ended, queued);
        }, ct);

    /// <summary>Ends the agent's wrap-up if it is still running; true when it was.</summary>
    public async Task<bool> CompleteWrapUpIfRunningAsync(string agentId, CancellationToken ct)
    {
        var decisions = await RunAsync("complete_wrap_up", null, agentId, now =>
            _engine.FindAgent(agentId) is { State: AgentState.WrapUp } ? _engine.CompleteWrapUp(agentId, now) : new AcdDecisions(), ct,
            ahead: new AcdReadHint(agentId, AgentSeeksWork: true));
        return decisions.AgentEvents.Count > 0;
    }

    /// <summary>
    /// The agent takes the offered call: Twilio moves the caller to the agent's softphone first, and only
    /// then does the engine mark the call connected. If Twilio fails, the call goes back to the head of its
    /// queue (ring-no-answer semantics) and <see cref="CallConnectFailedException"/> is thrown.
    /// </summary>
    public async Task AcceptAsync(string agentId, string callSid, CancellationToken ct)
    {
        // A text request (SMS, e-mail, web) has no caller to move: the engine marks it connected at once.
        if (Channels.ServiceRequest.IsStream(callSid))
        {
            await RunAsync("accept", callSid, agentId, now => _engine.Accept(agentId, callSid, now), ct);
            return;
        }
        var isCallback = false;
        // Over a shared store the check is a read-only unit of work whose records (agent and call) come in one round trip with
        // the hold of the offer's ring timeout on every node; the accept below starts from them (re-reading only on a conflict).
        SharedReads? checkedReads = null;
        await WithGateAsync(() =>
        {
            _shared?.Begin();
            try
            {
                _shared?.PrefetchOffer(agentId, callSid, _connectHold);
                if (OfferOf(agentId) is not { } offer || offer.CallSid != callSid)
                {
                    var state = _engine.FindAgent(agentId);
                    throw new IllegalTransitionException(agentId, $"accept call {callSid}",
                        state is null ? nameof(AgentState.Offline) : $"{state.State}{(state.CallId is { } c ? " with " + c : "")}");
                }
                // A second click on accept must not send Twilio a second redirect, which would restart the dial.
                if (!_connecting.TryAdd(agentId, offer.RingDeadline))
                    throw new IllegalTransitionException(agentId, $"accept call {callSid}", "already connecting it");
                isCallback = _engine.FindCall(callSid)?.IsCallback == true;
                checkedReads = _shared?.KeepReads();
            }
            finally
            {
                _shared?.Discard();
            }
        }, ct);

        bool connected;
        ConferenceLeg? leg = null;
        try
        {
            // Not the request's token: once Twilio may have acted, the outcome must be recorded either way.
            // A callback has no caller on the line: the customer is dialled and bridged to the agent instead.
            connected = isCallback
                ? await _callbacks.DialAsync(callSid, agentId, CancellationToken.None)
                : (leg = await _twilio.ConnectToAgentAsync(callSid, agentId, CancellationToken.None)) is not null;
        }
        catch
        {
            await WithGateAsync(EndConnecting, CancellationToken.None);
            throw;
        }

        if (connected)
        {
            try
            {
                // The connecting mark and the hold end with the accept itself (the hold is released by its commit), so neither
                // this instance's ticks nor another's can time the offer out between Twilio connecting the caller and the accept.
                await RunAsync("accept", callSid, agentId, now =>
                {
                    _connecting.Remove(agentId);
                    _shared?.ReleaseRingTimeout(agentId);
                    return _engine.Accept(agentId, callSid, now);
                }, CancellationToken.None, reads: checkedReads);
            }
            catch
            {
                await WithGateAsync(EndConnecting, CancellationToken.None);
                throw;
            }
            // The in-call controls find the conference and the agent's leg here (src/CallCenter.Server/InCall).
            if (leg is not null)
                await _callLog.AppendAsync(new NewCallEvent(callSid, InCallSession.ConferenceEvent, $"{InCallSession.ConferenceEvent}:{leg.ConferenceSid}:{agentId}",
                    _clock.GetUtcNow(), CallEventPayload.Serialize(new { agent = agentId, conferenceSid = leg.ConferenceSid, agentCallSid = leg.CallSid })),
                    CancellationToken.None);
            return;
        }
        await WithGateAsync(EndConnecting, CancellationToken.None);
        _metrics.ConnectFailures.Add(1);
        var requeued = false;
        await RunAsync("connect_failed", callSid, agentId, now =>
        {
            // The caller may have hung up while Twilio was asked; then there is nothing to put back.
            if (_engine.FindAgent(agentId) is not { State: AgentState.Reserved } agent || agent.CallId != callSid)
                return new AcdDecisions();
            Append(callSid, "acd.connect_failed", new { agent = agentId }, now);
            requeued = true;
            return _engine.RingNoAnswer(agentId, callSid, now);
        }, CancellationToken.None);
        throw new CallConnectFailedException(requeued
            ? $"Call {callSid} could not be connected; it is back at the head of its queue and you were put on a break: set yourself Available to take calls again."
            : $"Call {callSid} could not be connected: the caller is no longer waiting.");

        void EndConnecting()
        {
            _connecting.Remove(agentId);
            _shared?.ReleaseRingTimeout(agentId);
        }
    }

    /// <summary>Runs every timer due now; the background loop calls it every <see cref="TickInterval"/>.</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        // Over a shared store each timer is a unit of work of its own (the store hands out one at a time), never in a batch.
        bool tookTimer;
        do
        {
            tookTimer = false;
            await RunAsync("tick", null, null, now =>
            {
                // An accept waiting for Twilio holds time back just before its ring deadline, so its offer cannot
                // time out and go to another agent while the caller is being connected (bounded by the REST timeout).
                foreach (var deadline in _connecting.Values)
                {
                    if (deadline <= now) now = deadline - TimeSpan.FromTicks(1);
                }
                var decisions = _engine.Tick(now);
                // Read here, not after the gate is released, when another operation's unit of work may have started.
                tookTimer = _shared is { TookTimer: true };
                return decisions;
            }, ct, quiet: true, alone: true);
        }
        while (tookTimer);
    }

    public Task<AcdOfferView?> CurrentOfferAsync(string agentId, CancellationToken ct) => ReadAsync(() => OfferOf(agentId), ct);

    public Task<AcdAgentView> AgentAsync(string agentId, CancellationToken ct) =>
        ReadAsync(() => _engine.FindAgent(agentId) is { } a
            ? new AcdAgentView(agentId, a.State, a.StateSince, a.BreakReason, a.CallId)
            {
                Texts = [.. a.Texts.Select(_engine.FindCall).OfType<AcdCall>()
                    .Select(t => new AcdTextView(t.CallId, _options.Queues[t.QueueIndex].Name, t.State == CallState.Connected))],
            }
            : new AcdAgentView(agentId, AgentState.Offline, null, null, null), ct);

    public Task<WaitEstimate?> EstimateAsync(string callSid, CancellationToken ct) => ReadAsync(() => _engine.Estimate(callSid), ct);

    public Task<IReadOnlyList<AcdQueueView>> QueuesAsync(CancellationToken ct) => ReadAsync<IReadOnlyList<AcdQueueView>>(() =>
    {
        var now = _clock.GetUtcNow();
        var agents = _agentSkills.Keys.Select(id => (Agent: _engine.FindAgent(id)!, Skills: _agentSkills[id])).ToList();
        return [.. _options.Queues.Select(queue =>
        {
            var waiting = _calls.Values.Where(c => c.Queue == queue.Name && c.Offer is null).ToList();
            var eligible = agents.Where(a => queue.RequiredSkills.All(r =>
                a.Skills.Any(s => string.Equals(s.Skill, r.Skill, StringComparison.OrdinalIgnoreCase) && s.Level >= r.MinLevel))).ToList();
            return new AcdQueueView(queue.Name, waiting.Count,
                waiting.Count == 0 ? null : (now - waiting.Min(c => c.EnteredAt)).TotalSeconds,
                eligible.Count(a => a.Agent.State is not (AgentState.Offline or AgentState.Break)),
                eligible.Count(a => a.Agent.State == AgentState.Available));
        })];
    }, ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TickInterval, _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await TickAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // One bad tick must never stop the timers of every other call.
                    _logger.LogError(ex, "ACD tick failed");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    // The offer as the stored records describe it, so any instance can show an offer another one made.
    private AcdOfferView? OfferOf(string agentId)
    {
        // Text offers (an agent on texts may have several) one at a time, oldest first; their deadline is kept in the call log.
        if (_engine.FindAgent(agentId) is { Texts.IsEmpty: false } texting)
        {
            foreach (var id in texting.Texts)
            {
                if (_engine.FindCall(id) is { State: CallState.Offered } text && text.AgentId == agentId)
                {
                    var textQueue = _options.Queues[text.QueueIndex];
                    var offered = _calls.GetValueOrDefault(id)?.Offer;
                    var at = offered?.OfferedAt ?? texting.StateSince;
                    return new AcdOfferView(id, textQueue.Name, text.EnteredAt, at, offered?.RingDeadline ?? at + textQueue.RingTimeout);
                }
            }
            return null;
        }
        if (_engine.FindAgent(agentId) is not { State: AgentState.Reserved, CallId: { } callSid } agent
            || _engine.FindCall(callSid) is not { State: CallState.Offered } call || call.AgentId != agentId)
            return null;
        var queue = _options.Queues[call.QueueIndex];
        return new AcdOfferView(callSid, queue.Name, call.EnteredAt, agent.StateSince, agent.StateSince + queue.RingTimeout);
    }

    private async Task<T> ReadAsync<T>(Func<T> read, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try { return read(); }
        finally { _gate.Release(); }
    }

    private Task<bool> WithGateAsync(Action action, CancellationToken ct) => ReadAsync(() => { action(); return true; }, ct);

    private Task _appendTail = Task.CompletedTask;

    private async Task<AcdDecisions> RunAsync(string operation, string? callSid, string? agentId, Func<DateTimeOffset, AcdDecisions> decide,
        CancellationToken ct, bool quiet = false, SharedReads? reads = null, AcdReadHint? ahead = null, bool alone = false)
    {
        var started = Stopwatch.GetTimestamp();
        var startedAt = DateTime.UtcNow;
        // Over a shared store an operation waits in line for the gate; whoever holds it next runs the operations waiting then.
        var waiting = _shared is null || alone ? null : Submit(new WaitingOperation(operation, decide, reads, ahead ?? new AcdReadHint(agentId, callSid)));
        var held = false;
        try
        {
            await _gate.WaitAsync(ct);
            held = true;
        }
        catch (OperationCanceledException) when (waiting is not null && !waiting.Abandon())
        {
            // Already taken into a batch: it runs like an operation past the gate, and its outcome is awaited below.
        }
        AcdDecisions decisions;
        Task appended;
        // Quiet operations (the 4-per-second tick) get a span only when they decided something.
        var activity = quiet ? null : CallCenterTelemetry.ActivitySource.StartActivity("acd." + operation);
        try
        {
            if (waiting is null)
            {
                try
                {
                    (decisions, appended) = RunOne(operation, decide, reads);
                }
                finally
                {
                    _gate.Release();
                }
            }
            else
            {
                if (held)
                {
                    try
                    {
                        while (waiting.IsWaiting)
                            RunTaken(TakeBatch());
                    }
                    finally
                    {
                        _gate.Release();
                    }
                }
                (decisions, appended) = await waiting.Done.Task;
            }
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.Dispose();
            _metrics.Decisions.Add(1, new("operation", operation), new("outcome", ex is IllegalTransitionException ? "illegal" : "error"));
            throw;
        }

        var changed = decisions.CallEvents.Count + decisions.AgentEvents.Count > 0;
        if (quiet && changed)
            activity = CallCenterTelemetry.ActivitySource.StartActivity("acd." + operation, ActivityKind.Internal, parentContext: default, startTime: startedAt);
        using (activity)
        {
            activity?.SetTag("call.sid", callSid);
            activity?.SetTag("agent.id", agentId);
            activity?.SetTag("acd.offers", decisions.Offers.Count);
            activity?.SetTag("acd.call_events", decisions.CallEvents.Count);
            activity?.SetTag("acd.agent_events", decisions.AgentEvents.Count);
        }
        if (!quiet || changed)
        {
            _metrics.Decisions.Add(1, new("operation", operation), new("outcome", "ok"));
            _metrics.DecisionDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds, new KeyValuePair<string, object?>("operation", operation));
        }
        await appended.WaitAsync(ct);
        return decisions;
    }

    // Under the gate: one operation decided, applied and its appends chained.
    private (AcdDecisions Decisions, Task Appended) RunOne(string operation, Func<DateTimeOffset, AcdDecisions> decide, SharedReads? reads)
    {
        try
        {
            var decisions = Decide(decide, reads);
            Apply(decisions);
            return (decisions, _appendTail = ChainAsync(_appendTail, NumberAppends(), operation));
        }
        finally
        {
            ForgetOperation();
        }
    }

    // Over a shared store: one unit of work per run, run again while another instance changed what it read.
    // Nothing is acted on (events, Twilio, consoles) before the commit succeeds. The first run may start from records read
    // earlier (reads); a re-run reads afresh.
    private AcdDecisions Decide(Func<DateTimeOffset, AcdDecisions> decide, SharedReads? reads)
    {
        if (_shared is null)
            return decide(_clock.GetUtcNow());
        var turnRuns = 0;
        for (var attempt = 1; ; attempt++)
        {
            if (attempt > ConflictsBeforeTurn)
            {
                TakeTurn();
                turnRuns++;
            }
            _shared.Begin(attempt == 1 ? reads : null);
            AcdDecisions decisions;
            try
            {
                decisions = decide(_clock.GetUtcNow());
            }
            catch
            {
                _shared.Discard();
                throw;
            }
            // The step keys' numbers of the events this decision appends (those queued while deciding, then one per call
            // event in Apply's order) come from the commit itself: no round trip of their own, nothing numbered on a conflict.
            if (_shared.Commit([.. ToNumber(_unnumbered, decisions)], out var numbers))
            {
                _eventNumbers = numbers;
                return decisions;
            }
            _unnumbered.Clear();
            _metrics.Conflicts.Add(1);
            if (turnRuns == MaxTurnRuns)
            {
                _shared.Discard();
                throw new InvalidOperationException($"ACD operation failed to commit {MaxTurnRuns} times while holding the turn.");
            }
            if (_shared.TurnHeldElsewhere)
                BackOff(attempt);
        }
    }

    // Waits for the turn while another instance holds it (one unit of work of theirs, the lease at most).
    private void TakeTurn()
    {
        for (var waited = 0; !_shared!.TryTakeTurn(TurnLease); waited++)
            BackOff(waited);
    }

    // A turn lasts about two round trips, so the first two collisions only re-run (a prefetch or a take is a round trip of waiting
    // already); then randomised and growing, so instances that keep colliding stop doing it in step. Under the gate, as every
    // Redis call is: the whole instance waits, so no longer than that.
    private static void BackOff(int collisions)
    {
        if (collisions > 2)
            Thread.Sleep(Random.Shared.Next(1, Math.Min(collisions, 8)));
    }

    private static IEnumerable<(string CallId, string Type)> ToNumber(List<(long? N, NewCallEvent Event)> queued, AcdDecisions decisions) =>
        queued.Where(u => u.N == 0).Select(u => (u.Event.CallSid, u.Event.Type)).Concat(decisions.CallEvents.Select(e => (e.CallId, EventType(e))));

    /// <summary>Operations of one batch at most: the commit script's arguments and the prefetch's replies stay small.</summary>
    private const int MaxBatch = 32;

    /// <summary>Runs of a batch that conflicted with another instance before its operations run one at a time.</summary>
    private const int BatchAttempts = 3;

    private readonly Queue<WaitingOperation> _waiting = new();

    private WaitingOperation Submit(WaitingOperation operation)
    {
        lock (_waiting)
            _waiting.Enqueue(operation);
        return operation;
    }

    // Under the gate: the operations waiting now, in order, at most MaxBatch.
    private List<WaitingOperation> TakeBatch()
    {
        var batch = new List<WaitingOperation>();
        lock (_waiting)
        {
            while (batch.Count < MaxBatch && _waiting.TryDequeue(out var next))
            {
                if (next.Take())
                    batch.Add(next);
            }
        }
        return batch;
    }

    private void RunTaken(List<WaitingOperation> batch)
    {
        try
        {
            RunBatch(batch);
        }
        catch (Exception ex)
        {
            // Each operation's own failure is its outcome, so this is a fault of the batching itself: no caller may wait forever
            // for it, and no unit of work may stay open.
            _logger.LogError(ex, "ACD batch of {Count} operations failed", batch.Count);
            _shared!.Discard();
            ForgetOperation();
            foreach (var operation in batch)
                operation.Done.TrySetException(ex);
        }
    }

    // Under the gate: the operations as ONE unit of work over the shared store (one prefetch, each decided on the unit's view after
    // the ones before it, one commit), so a round trip serves them all; each outcome is released only after the commit holding it.
    // An operation that throws (a 409, say) is rolled back out of the unit and run on its own after the commit, so it gets its own
    // outcome and fails none of the others. One whose read the store refuses (an index an earlier one changed) ends the batch
    // there: the ones before it commit, and it starts the next. A batch that keeps conflicting with another instance runs one
    // operation at a time, each with its own attempts and, when those keep conflicting, the turn, so none starves.
    private void RunBatch(List<WaitingOperation> batch)
    {
        var shared = _shared!;
        var pending = batch;
        var conflicts = 0;
        while (pending.Count > 0)
        {
            if (pending.Count == 1)
            {
                RunAlone(pending[0]);
                return;
            }
            try
            {
                // An accept's check read its records just before; a re-run after a conflict reads everything afresh.
                shared.BeginBatch([.. pending.Select(o => o.Ahead)], conflicts == 0 ? SharedReads.Union(pending.Select(o => o.Reads)) : null);
            }
            catch (Exception ex)
            {
                foreach (var operation in pending)
                    operation.Done.TrySetException(ex);
                return;
            }
            var decided = new List<WaitingOperation>(pending.Count);
            var alone = new List<WaitingOperation>();
            var next = new List<WaitingOperation>();
            foreach (var operation in pending)
            {
                if (next.Count > 0)
                {
                    next.Add(operation);
                    continue;
                }
                var mark = shared.Mark();
                try
                {
                    operation.Decisions = operation.Decide(_clock.GetUtcNow());
                    operation.Queued = [.. _unnumbered];
                    operation.CarriedOver = [.. _carriedOver];
                    decided.Add(operation);
                }
                catch (Exception ex)
                {
                    shared.RollBackTo(mark);
                    if (ex is BatchReadRefusedException && decided.Count > 0)
                        next.Add(operation);
                    else
                        alone.Add(operation);
                }
                finally
                {
                    _unnumbered.Clear();
                    _carriedOver.Clear();
                }
            }
            bool committed;
            IReadOnlyList<long> numbers;
            try
            {
                committed = shared.Commit([.. decided.SelectMany(o => ToNumber(o.Queued, o.Decisions!))], out numbers);
            }
            catch (Exception ex)
            {
                // As each operation's own commit would have: Redis may or may not have run it.
                foreach (var operation in decided)
                    operation.Done.TrySetException(ex);
                alone.ForEach(RunAlone);
                pending = next;
                continue;
            }
            if (!committed)
            {
                _metrics.Conflicts.Add(1);
                if (++conflicts < BatchAttempts)
                {
                    if (shared.TurnHeldElsewhere)
                        BackOff(conflicts);
                    continue;
                }
                pending.ForEach(RunAlone);
                return;
            }
            ApplyBatch(decided, numbers);
            alone.ForEach(RunAlone);
            pending = next;
        }
    }

    private void RunAlone(WaitingOperation operation)
    {
        _metrics.BatchSize.Record(1);
        try
        {
            operation.Done.TrySetResult(RunOne(operation.Operation, operation.Decide, operation.Reads));
        }
        catch (Exception ex)
        {
            operation.Done.TrySetException(ex);
        }
    }

    // After the batch's commit: each operation's bookkeeping and call-log appends in order, with its share of the event numbers.
    private void ApplyBatch(List<WaitingOperation> batch, IReadOnlyList<long> numbers)
    {
        _metrics.BatchSize.Record(batch.Count);
        var next = 0;
        foreach (var operation in batch)
        {
            var decisions = operation.Decisions!;
            var count = operation.Queued.Count(u => u.N == 0) + decisions.CallEvents.Count;
            _eventNumbers = [.. numbers.Skip(next).Take(count)];
            next += count;
            _unnumbered.AddRange(operation.Queued);
            _carriedOver.UnionWith(operation.CarriedOver);
            try
            {
                Apply(decisions);
                operation.Done.TrySetResult((decisions, _appendTail = ChainAsync(_appendTail, NumberAppends(), operation.Operation)));
            }
            catch (Exception ex)
            {
                operation.Done.TrySetException(ex);
            }
            finally
            {
                ForgetOperation();
            }
        }
    }

    /// <summary>An operation waiting for the gate over a shared store, to be run by whoever holds it next, possibly in a batch.</summary>
    private sealed class WaitingOperation(string operation, Func<DateTimeOffset, AcdDecisions> decide, SharedReads? reads, AcdReadHint ahead)
    {
        private const int Waiting = 0, Taken = 1, Abandoned = 2;
        private int _state;

        public string Operation { get; } = operation;

        public Func<DateTimeOffset, AcdDecisions> Decide { get; } = decide;

        public SharedReads? Reads { get; } = reads;

        /// <summary>What it reads first, fetched with the rest of its batch.</summary>
        public AcdReadHint Ahead { get; } = ahead;

        public TaskCompletionSource<(AcdDecisions Decisions, Task Appended)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsWaiting => Volatile.Read(ref _state) == Waiting;

        // In a batch being decided: its decision, and the call-log events and carried-over calls it queued while deciding.
        public AcdDecisions? Decisions { get; set; }

        public List<(long? N, NewCallEvent Event)> Queued { get; set; } = [];

        public List<string> CarriedOver { get; set; } = [];

        public bool Take() => Interlocked.CompareExchange(ref _state, Taken, Waiting) == Waiting;

        /// <summary>Its caller gave up waiting: true when no batch took it (it will not run).</summary>
        public bool Abandon() => Interlocked.CompareExchange(ref _state, Abandoned, Waiting) == Waiting;
    }

    // Each operation's appends complete after every earlier operation's, so when any ACD call returns, the
    // events of everything decided before it are in the call log too (the background tick included).
    // The engine has already changed: a failed append is logged, it does not undo the decision.
    private async Task ChainAsync(Task previous, Task[] appends, string operation)
    {
        await previous;
        try
        {
            await Task.WhenAll(appends);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Call-log append after ACD {Operation} failed", operation);
        }
    }

    // Runs under the gate: bookkeeping and call-log appends (queued, in order) for one decision.
    private void Apply(AcdDecisions decisions)
    {
        foreach (var e in decisions.CallEvents)
        {
            var info = _calls.GetValueOrDefault(e.CallId);
            var waited = Math.Round(e.Waited.TotalSeconds, 3);
            var type = EventType(e);
            switch (e.Kind)
            {
                case CallEventKind.Queued:
                    if (info is not null) { info.Queue = e.Queue; info.Offer = null; }
                    Append(e.CallId, type, new { queue = e.Queue, reason = e.Reason, waitedSeconds = waited }, e.At);
                    break;
                case CallEventKind.Offered:
                    var offer = decisions.Offers.FirstOrDefault(o => o.CallId == e.CallId && o.AgentId == e.AgentId);
                    if (info is not null) info.Offer = offer;
                    var deadline = offer?.RingDeadline;
                    _metrics.Offers.Add(1, new KeyValuePair<string, object?>("queue", e.Queue));
                    Append(e.CallId, type, new { queue = e.Queue, agent = e.AgentId, waitedSeconds = waited, ringDeadline = deadline }, e.At);
                    if (e.AgentId is { } offeredTo) _notifier.Offered(offeredTo, e.CallId, e.Queue, deadline);
                    break;
                case CallEventKind.Connected:
                    _metrics.WaitTime.Record(e.Waited.TotalSeconds, new("queue", e.Queue), new("outcome", "answered"));
                    Append(e.CallId, type, new { queue = e.Queue, agent = e.AgentId, waitedSeconds = waited }, e.At);
                    break;
                case CallEventKind.Completed:
                    if (!_carriedOver.Contains(e.CallId)) _calls.Remove(e.CallId);
                    Append(e.CallId, type, new { queue = e.Queue, agent = e.AgentId, reason = e.Reason }, e.At);
                    break;
                case CallEventKind.Abandoned:
                    _calls.Remove(e.CallId);
                    _metrics.WaitTime.Record(e.Waited.TotalSeconds, new("queue", e.Queue), new("outcome", "abandoned"));
                    Append(e.CallId, type, new { queue = e.Queue, waitedSeconds = waited, ringingAgent = e.AgentId, reason = e.Reason }, e.At);
                    break;
                case CallEventKind.Requeued:
                    if (info is not null) info.Offer = null;
                    _metrics.Requeued.Add(1, new("queue", e.Queue), new("reason", type));
                    Append(e.CallId, type, new { queue = e.Queue, agent = e.AgentId, waitedSeconds = waited, reason = e.Reason }, e.At);
                    break;
                case CallEventKind.Joined:
                    Append(e.CallId, type, new { queue = e.Queue, agent = e.AgentId, owner = e.TargetAgentId }, e.At);
                    break;
                case CallEventKind.Left:
                    Append(e.CallId, type, new { queue = e.Queue, agent = e.AgentId, owner = e.TargetAgentId, reason = e.Reason }, e.At);
                    break;
                case CallEventKind.Escalated:
                    Append(e.CallId, type, new { queue = e.Queue, step = e.Reason, waitedSeconds = waited }, e.At);
                    break;
                case CallEventKind.CallbackOffered:
                    Append(e.CallId, type, new { queue = e.Queue, waitedSeconds = waited }, e.At);
                    break;
                case CallEventKind.Overflowed:
                    if (info is not null && e.TargetQueue is { } target) info.Queue = target;
                    Append(e.CallId, type, new { queue = e.Queue, target = e.TargetQueue, limit = e.Limit.ToString(), reason = e.Reason, waitedSeconds = waited }, e.At);
                    break;
                case CallEventKind.LimitReached:
                    _calls.Remove(e.CallId);
                    // Out of the hold loop: the caller leaves a callback request instead of waiting forever. One who chose it
                    // (surge offer) is already being recorded by the TwiML that took their choice.
                    if (e.Limit != QueueLimit.CallerChoice) _ = MoveToCallbackRequestAsync(e.CallId);
                    _logger.LogWarning("Call {CallSid} left queue {Queue}: {Limit} reached, outcome {Outcome}", e.CallId, e.Queue, e.Limit, e.LimitOutcome);
                    Append(e.CallId, type, new { queue = e.Queue, limit = e.Limit.ToString(), outcome = e.LimitOutcome?.ToString(), waitedSeconds = waited }, e.At);
                    break;
                default:
                    Append(e.CallId, type, new { queue = e.Queue, reason = e.Reason }, e.At);
                    break;
            }
        }
        foreach (var t in decisions.AgentEvents)
        {
            _notifier.StateChanged(t.AgentId, t.To.ToString(), t.BreakReason ?? t.Reason, t.At);
            // Keyed by the agent: one stream per agent beside the calls, idempotent per instant and transition.
            _unnumbered.Add((null, new NewCallEvent(AgentStream(t.AgentId), "agent.state_changed",
                AgentStepKeyPrefix(t.At) + $":{t.From}>{t.To}:{t.CallId}",
                t.At, CallEventPayload.Serialize(new { agent = t.AgentId, from = t.From.ToString(), to = t.To.ToString(), reason = t.Reason, breakReason = t.BreakReason, call = t.CallId }))));
        }
    }

    // The call-log type of a call event: Apply appends one per event, and over a shared store the commit numbers them beforehand.
    private static string EventType(CallEvent e) => e.Kind switch
    {
        CallEventKind.Queued => "acd.queued",
        CallEventKind.Offered => "acd.offered",
        CallEventKind.Connected => "acd.answered",
        CallEventKind.Completed => "acd.completed",
        CallEventKind.Abandoned => "acd.abandoned",
        CallEventKind.Requeued => e.Reason == "declined" ? "acd.declined" : "acd.ring_no_answer",
        CallEventKind.Joined => "acd.joined",
        CallEventKind.Left => "acd.left",
        CallEventKind.Escalated => "acd.escalated",
        CallEventKind.CallbackOffered => "acd.callback_offered",
        CallEventKind.Overflowed => "acd.overflowed",
        CallEventKind.LimitReached => "acd.limit_reached",
        _ => "acd." + e.Kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The call-log stream that holds an agent's state changes.</summary>
    public static string AgentStream(string agentId) => "agent:" + agentId;

    /// <summary>
    /// An agent stream's step keys start with the change's UTC ticks, 18 digits until the year 5138: the unique
    /// (call_sid, step_key) index then also orders the stream by time, which the metrics worker's recut relies on.
    /// </summary>
    public static string AgentStepKeyPrefix(DateTimeOffset at) => at.UtcTicks.ToString(CultureInfo.InvariantCulture);

    // Step keys count each event type per call (acd.offered#2 is the second offer), so the same history
    // always produces the same keys and a repeated append changes nothing.
    private async Task MoveToCallbackRequestAsync(string callSid)
    {
        try
        {
            if (!await _twilio.MoveToCallbackRequestAsync(callSid, CancellationToken.None))
                _logger.LogError("Call {CallSid} hit a queue limit and could not be moved to a callback request; it still waits in Twilio's queue", callSid);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Moving call {CallSid} to a callback request failed", callSid);
        }
    }

    private void Append<T>(string callSid, string type, T payload, DateTimeOffset at)
    {
        var n = 0L;
        // In process the host numbers them itself.
        if (_shared is null)
            n = _calls.TryGetValue(callSid, out var info) ? info.EventCounts[type] = info.EventCounts.GetValueOrDefault(type) + 1 : 1;
        _unnumbered.Add((n, new NewCallEvent(callSid, type, type, at, CallEventPayload.Serialize(payload))));
    }

    // What one operation left for its appends: nothing of it may reach the next one, whatever happened to it.
    private void ForgetOperation()
    {
        _unnumbered.Clear();
        _eventNumbers = [];
        _carriedOver.Clear();
    }

    private Task[] NumberAppends()
    {
        var numbers = _eventNumbers;
        _eventNumbers = [];
        if (_unnumbered.Count == 0)
            return [];
        var appends = new Task[_unnumbered.Count];
        var next = 0;
        var i = 0;
        foreach (var (n, e) in _unnumbered)
        {
            var stepKey = n switch
            {
                null => e.StepKey,
                0 => $"{e.Type}#{numbers[next++]}",
                _ => $"{e.Type}#{n}",
            };
            appends[i++] = _callLog.AppendAsync(e with { StepKey = stepKey }, CancellationToken.None);
        }
        _unnumbered.Clear();
        return appends;
    }
}
