using System.Collections.Immutable;

namespace CallCenter.Core.InCall;

/// <summary>Where a connected call is, as the in-call controls see it.</summary>
public enum InCallPhase
{
    /// <summary>Caller and agent talk.</summary>
    Talking,
    /// <summary>The agent put the caller on hold.</summary>
    Held,
    /// <summary>A warm transfer: the caller is held while the agent talks to the target.</summary>
    Consulting,
    /// <summary>More than one party besides the caller is on the call.</summary>
    Conference,
    /// <summary>The call left the conference (transferred away or over).</summary>
    Ended,
}

/// <summary>Who a transfer or an added party goes to.</summary>
public enum TargetKind
{
    Agent,
    Queue,
    Number,
}

/// <summary>Warm: the agent talks to the target first, with the caller on hold; cold: the caller goes at once.</summary>
public enum TransferMode
{
    Warm,
    Cold,
}

/// <summary>A supervisor's way into an agent's call: hear both sides, speak to the agent only, or speak to both.</summary>
public enum MonitorMode
{
    Listen,
    Whisper,
    Barge,
}

/// <summary>A party on the conference besides the caller and the owning agent: its participant label, kind and who it is.</summary>
public sealed record InCallParty(string Label, TargetKind Kind, string Target);

/// <summary>A supervisor on the call and how.</summary>
public sealed record InCallMonitor(string Supervisor, MonitorMode Mode);

/// <summary>One call-log event as the in-call state reads it: its type, instant and the payload fields it uses.</summary>
public sealed record InCallEvent(string Type, DateTimeOffset At, IReadOnlyDictionary<string, string?> Fields)
{
    /// <summary>A field of the payload, or null when absent or empty.</summary>
    public string? this[string name] => Fields.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;
}

/// <summary>
/// The live state of one conference-bridged call, folded from its call-log events (the call log is the only record,
/// so every server instance sees the same state): the conference, its owning agent, hold and mute, the parties, a
/// warm transfer in progress and a supervisor listening in.
/// </summary>
public sealed record InCallSession
{
    /// <summary>Written when an accepted call's conference is set up: conference SID and name, and the agent.</summary>
    public const string ConferenceEvent = "call.conference";
    public const string HeldEvent = "incall.held";
    public const string ResumedEvent = "incall.resumed";
    public const string MutedEvent = "incall.muted";
    public const string UnmutedEvent = "incall.unmuted";
    public const string ConsultStartedEvent = "incall.consult_started";
    public const string ConsultCancelledEvent = "incall.consult_cancelled";
    public const string TransferredEvent = "incall.transferred";
    public const string PartyAddedEvent = "incall.party_added";
    public const string PartyRemovedEvent = "incall.party_removed";
    public const string DigitsSentEvent = "incall.digits_sent";
    public const string MonitorStartedEvent = "supervisor.monitor_started";
    public const string MonitorChangedEvent = "supervisor.monitor_changed";
    public const string MonitorEndedEvent = "supervisor.monitor_ended";
    /// <summary>Twilio reported a participant leaving the conference: who, why, and whether it was unexpected.</summary>
    public const string ParticipantLeftEvent = "incall.participant_left";
    /// <summary>Twilio reported the conference over: why and which participant ended it.</summary>
    public const string ConferenceEndedEvent = "incall.conference_ended";
    /// <summary>The owner ended the call with the end-call button (the conference is ended at Twilio).</summary>
    public const string EndedEvent = "incall.ended";

    /// <summary>The owner's softphone, dropped off the call, was dialled back in (<c>callSid</c>: its new leg).</summary>
    public const string RejoinedEvent = "incall.rejoined";

    /// <summary>Every event type this state reads (the store loads only these).</summary>
    public static readonly ImmutableArray<string> EventTypes =
    [
        ConferenceEvent, HeldEvent, ResumedEvent, MutedEvent, UnmutedEvent, ConsultStartedEvent, ConsultCancelledEvent, TransferredEvent,
        PartyAddedEvent, PartyRemovedEvent, DigitsSentEvent, MonitorStartedEvent, MonitorChangedEvent, MonitorEndedEvent,
        ParticipantLeftEvent, ConferenceEndedEvent, EndedEvent, RejoinedEvent,
    ];

    public required string CallSid { get; init; }

    /// <summary>Twilio's conference SID (CF…); participant updates address it.</summary>
    public required string ConferenceSid { get; init; }

    /// <summary>
    /// The customer's own call leg on the conference: the call itself for a queued caller, the call Twilio placed for a callback or
    /// a project call (whose ACD id is the callback's or the attempt's). Hold, transfers and the recording pause address it.
    /// </summary>
    public required string CallerLeg { get; init; }

    /// <summary>The hotline number outside parties are called from, when the conference set-up named it (callbacks).</summary>
    public string? Line { get; init; }

    /// <summary>A call we placed (a callback, an outbound project call): the customer cannot be put back in a queue, which would dial them again.</summary>
    public bool Outbound { get; init; }

    /// <summary>The agent who owns the call now: answered it or took it over by a transfer.</summary>
    public required string Owner { get; init; }

    public bool CallerHeld { get; init; }

    /// <summary>Agents whose microphone is muted on the conference.</summary>
    public ImmutableHashSet<string> MutedAgents { get; init; } = [];

    /// <summary>Parties besides the caller and the owner, in the order they joined.</summary>
    public ImmutableList<InCallParty> Parties { get; init; } = [];

    /// <summary>The target of a warm transfer in progress (one of <see cref="Parties"/>), or null.</summary>
    public InCallParty? Consulting { get; init; }

    public InCallMonitor? Monitor { get; init; }

    /// <summary>Each agent's softphone leg (call SID) on the conference: a supervisor coaching the owner speaks into it.</summary>
    public ImmutableDictionary<string, string> AgentLegs { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The call left the conference: transferred cold, handed to an outside number, or over (caller gone, conference ended).</summary>
    public bool Ended { get; init; }

    /// <summary>The owner's softphone leg left the conference on its own (browser closed, network lost): the caller is held.</summary>
    public bool OwnerDropped { get; init; }

    /// <summary>How many events of each type the call has: the next one's step key number.</summary>
    public ImmutableDictionary<string, int> Counts { get; init; } = ImmutableDictionary<string, int>.Empty;

    public InCallPhase Phase =>
        Ended ? InCallPhase.Ended
        : Consulting is not null ? InCallPhase.Consulting
        : CallerHeld ? InCallPhase.Held
        : Parties.Count > 0 ? InCallPhase.Conference
        : InCallPhase.Talking;

    /// <summary>The conference participant label of an agent's softphone leg.</summary>
    public static string AgentLabel(string agentId) => "agent-" + agentId;

    /// <summary>The participant label of the caller's leg.</summary>
    public const string CallerLabel = "caller";

    /// <summary>The participant label of a supervisor's monitoring leg.</summary>
    public static string SupervisorLabel(string supervisor) => "supervisor-" + supervisor;

    /// <summary>The conference name of a call: one conference per caller's call SID.</summary>
    public static string ConferenceName(string callSid) => "call-" + callSid;

    /// <summary>Is this agent on the call now (owner or party)?</summary>
    public bool IsOnCall(string agentId) => Owner == agentId || Parties.Any(p => p.Kind == TargetKind.Agent && p.Target == agentId);

    /// <summary>The step key of the next event of <paramref name="type"/>: the type and its number on this call.</summary>
    public string NextStepKey(string type) => $"{type}#{Counts.GetValueOrDefault(type) + 1}";

    /// <summary>
    /// The state after the call's events in order; null when no conference was ever set up (the call was not answered, or
    /// was bridged by a plain &lt;Dial&gt;). The latest conference counts: a call transferred to a queue and
    /// answered again gets a new one.
    /// </summary>
    public static InCallSession? Fold(string callSid, IEnumerable<InCallEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        InCallSession? state = null;
        var counts = ImmutableDictionary<string, int>.Empty;
        foreach (var e in events)
        {
            counts = counts.SetItem(e.Type, counts.GetValueOrDefault(e.Type) + 1);
            if (e.Type == ConferenceEvent)
            {
                state = new InCallSession
                {
                    CallSid = callSid, ConferenceSid = e["conferenceSid"] ?? "", Owner = e["agent"] ?? "", CallerLeg = e["callerCallSid"] ?? callSid,
                    Line = e["line"], Outbound = e["callerCallSid"] is not null,
                };
                if (e["agentCallSid"] is { } leg) state = state with { AgentLegs = state.AgentLegs.SetItem(state.Owner, leg) };
                continue;
            }
            if (state is null) continue;
            state = state.Apply(e);
            // An agent dialled into the conference (transfer target, party) brings its own leg.
            if (e["targetKind"] == nameof(TargetKind.Agent) && e["target"] is { } agent && e["callSid"] is { } agentLeg)
                state = state with { AgentLegs = state.AgentLegs.SetItem(agent, agentLeg) };
        }
        return state is null ? null : state with { Counts = counts };
    }

    private InCallSession Apply(InCallEvent e)
    {
        var agent = e["agent"] ?? "";
        switch (e.Type)
        {
            case HeldEvent: return this with { CallerHeld = true };
            case ResumedEvent: return this with { CallerHeld = false };
            case MutedEvent: return this with { MutedAgents = MutedAgents.Add(agent) };
            case UnmutedEvent: return this with { MutedAgents = MutedAgents.Remove(agent) };
            case ConsultStartedEvent:
                var consulted = Party(e);
                return this with { CallerHeld = true, Consulting = consulted, Parties = Parties.Add(consulted) };
            case ConsultCancelledEvent:
                return this with { CallerHeld = false, Consulting = null, Parties = Parties.RemoveAll(p => p.Label == e["label"]) };
            case TransferredEvent:
                var kind = ParseKind(e["targetKind"]);
                if (e["mode"] == nameof(TransferMode.Warm) || kind == TargetKind.Agent)
                {
                    // The target stays on the conference and the transferring agent leaves it; an outside number
                    // takes the call out of the ACD but the conference goes on between caller and that party.
                    var parties = Parties.RemoveAll(p => p.Label == e["label"]);
                    return this with
                    {
                        CallerHeld = false, Consulting = null, MutedAgents = MutedAgents.Remove(agent),
                        Owner = kind == TargetKind.Agent ? e["target"] ?? Owner : Owner,
                        Parties = kind == TargetKind.Agent ? parties : Parties,
                        Ended = kind != TargetKind.Agent,
                    };
                }
                return this with { Ended = true, Consulting = null };
            case PartyAddedEvent: return this with { Parties = Parties.Add(Party(e)) };
            case PartyRemovedEvent: return this with { Parties = Parties.RemoveAll(p => p.Label == e["label"]), MutedAgents = MutedAgents.Remove(e["target"] ?? "") };
            case MonitorStartedEvent or MonitorChangedEvent:
                return this with { Monitor = new InCallMonitor(e["supervisor"] ?? "", Enum.TryParse<MonitorMode>(e["mode"], out var mode) ? mode : MonitorMode.Listen) };
            case MonitorEndedEvent: return this with { Monitor = null };
            case ConferenceEndedEvent or EndedEvent: return this with { Ended = true, Consulting = null };
            // A new leg joins unmuted.
            case RejoinedEvent:
                return this with
                {
                    OwnerDropped = false, MutedAgents = MutedAgents.Remove(Owner), AgentLegs = e["callSid"] is { } leg ? AgentLegs.SetItem(Owner, leg) : AgentLegs,
                };
            case ParticipantLeftEvent when e["unexpected"] == "true":
                return Enum.TryParse<Leaver>(e["who"], out var who) ? Left(who, e["label"], e["agent"]) : this;
            default: return this;
        }
    }

    // Only unexpected leaves change the state: the others follow a command or the conference's end, already folded in.
    private InCallSession Left(Leaver who, string? label, string? agent) => who switch
    {
        Leaver.Caller => this with { Ended = true, Consulting = null },
        Leaver.Owner => this with { OwnerDropped = true, AgentLegs = AgentLegs.Remove(Owner) },
        Leaver.Agent or Leaver.Number => this with
        {
            Parties = Parties.RemoveAll(p => p.Label == label),
            Consulting = Consulting?.Label == label ? null : Consulting,
            MutedAgents = agent is null ? MutedAgents : MutedAgents.Remove(agent),
            AgentLegs = agent is null ? AgentLegs : AgentLegs.Remove(agent),
        },
        Leaver.Supervisor => this with { Monitor = null },
        _ => this,
    };

    private static InCallParty Party(InCallEvent e) => new(e["label"] ?? "", ParseKind(e["targetKind"]), e["target"] ?? "");

    private static TargetKind ParseKind(string? value) => Enum.TryParse<TargetKind>(value, out var kind) ? kind : TargetKind.Number;
}
