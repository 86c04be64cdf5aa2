using System.Text.RegularExpressions;

namespace CallCenter.Core.InCall;

/// <summary>Why an in-call command is refused; the host maps it to 400, 403 or 409.</summary>
public enum RefusalKind
{
    /// <summary>The request itself is wrong (400).</summary>
    Invalid,
    /// <summary>The person may not do this at their permission level (403).</summary>
    Forbidden,
    /// <summary>The call is not in a state that allows it, or the person is not on it (409).</summary>
    Conflict,
    /// <summary>What it names is not on the call (404).</summary>
    NotFound,
}

/// <summary>A refused in-call command: a kind for the status, a title and a sentence the console shows.</summary>
public sealed record InCallRefusal(RefusalKind Kind, string Title, string Detail);

/// <summary>Which permission level each target of a transfer or added party needs (requirements art. 35.2.2).</summary>
/// <param name="AgentOrQueueMinLevel">Passing the caller to a colleague inside the centre.</param>
/// <param name="ExternalNumberMinLevel">Handing the caller to a number outside the centre, where our recording and verification end.</param>
public sealed record TransferPolicy(int AgentOrQueueMinLevel = 1, int ExternalNumberMinLevel = 2)
{
    public int MinLevel(TargetKind kind) => kind == TargetKind.Number ? ExternalNumberMinLevel : AgentOrQueueMinLevel;

    public bool Allows(TargetKind kind, int permissionLevel) => permissionLevel >= MinLevel(kind);
}

/// <summary>
/// The in-call state machine's guard: whether a command is allowed for this person on this call now. Pure, so every
/// refusal is decided before Twilio is asked to do anything, and a refused command changes nothing.
/// </summary>
public static partial class InCallRules
{
    /// <summary>Most parties (agents and numbers) beside the caller and the owner on one conference.</summary>
    public const int MaxParties = 3;

    /// <summary>E.164: a plus and 8 to 15 digits.</summary>
    public static bool IsE164(string? number) => number is not null && E164().IsMatch(number);

    /// <summary>DTMF digits the pad sends: 0–9, * and #, and w for a half-second pause; 1 to 32 of them.</summary>
    public static bool AreDigits(string? digits) => digits is not null && Digits().IsMatch(digits);

    /// <summary>Hold, resume and transfers are the owning agent's.</summary>
    public static InCallRefusal? OwnerOnly(InCallSession call, string actor)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Ended) return Ended(call);
        return call.Owner == actor ? null
            : call.IsOnCall(actor)
                ? new InCallRefusal(RefusalKind.Forbidden, "Not your call to control", $"{call.Owner} owns {call.CallSid}; a party added to the call cannot hold or transfer it.")
                : NotOnCall(call);
    }

    /// <summary>Mute is each agent's own microphone: any agent on the call.</summary>
    public static InCallRefusal? OnCall(InCallSession call, string actor)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Ended) return Ended(call);
        return call.IsOnCall(actor) ? null : NotOnCall(call);
    }

    public static InCallRefusal? Hold(InCallSession call, string actor, bool hold)
    {
        if (OwnerOnly(call, actor) is { } refused) return refused;
        return call.Consulting is not null
            ? new InCallRefusal(RefusalKind.Conflict, "Transfer in progress", hold
                ? "The caller is already held while you consult."
                : "Complete or cancel the transfer to talk to the caller again.")
            : null;
    }

    public static InCallRefusal? Transfer(InCallSession call, string actor, int permissionLevel, TransferMode mode, TargetKind kind, string target,
        TransferPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (OwnerOnly(call, actor) is { } refused) return refused;
        if (mode == TransferMode.Warm && kind == TargetKind.Queue)
            return new InCallRefusal(RefusalKind.Invalid, "Warm transfer to a queue", "Nobody in a queue can be consulted first: transfer to a queue cold.");
        if (kind == TargetKind.Queue && call.Outbound)
            return new InCallRefusal(RefusalKind.Conflict, "A called customer cannot wait in a queue",
                "We called this customer: transfer them to an agent or a number instead.");
        if (kind == TargetKind.Agent && target == actor)
            return new InCallRefusal(RefusalKind.Invalid, "Transfer to yourself", "Choose another agent.");
        if (call.Consulting is not null)
            return new InCallRefusal(RefusalKind.Conflict, "Transfer in progress", "Complete or cancel the transfer you started first.");
        if (kind == TargetKind.Agent && call.IsOnCall(target))
            return new InCallRefusal(RefusalKind.Conflict, "Already on the call", $"{target} is already on this call.");
        return Permitted(kind, permissionLevel, policy);
    }

    /// <summary>The owner whose softphone dropped off the call is dialled back in; only then (anything else would add a second leg).</summary>
    public static InCallRefusal? Rejoin(InCallSession call, string actor)
    {
        if (OwnerOnly(call, actor) is { } refused) return refused;
        return call.OwnerDropped ? null
            : new InCallRefusal(RefusalKind.Conflict, "Still on the call", "Your softphone is still connected to this call: there is nothing to rejoin.");
    }

    public static InCallRefusal? FinishConsult(InCallSession call, string actor)
    {
        if (OwnerOnly(call, actor) is { } refused) return refused;
        return call.Consulting is null ? new InCallRefusal(RefusalKind.Conflict, "No transfer in progress", "Start a warm transfer first.") : null;
    }

    public static InCallRefusal? AddParty(InCallSession call, string actor, int permissionLevel, TargetKind kind, string target, TransferPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (OwnerOnly(call, actor) is { } refused) return refused;
        if (kind == TargetKind.Queue)
            return new InCallRefusal(RefusalKind.Invalid, "A queue cannot join a call", "Add an agent or a number to the conference.");
        if (call.Consulting is not null)
            return new InCallRefusal(RefusalKind.Conflict, "Transfer in progress", "Complete or cancel the transfer first.");
        if (call.Parties.Count >= MaxParties)
            return new InCallRefusal(RefusalKind.Conflict, "Conference full", $"At most {MaxParties} parties besides the caller and you.");
        if (kind == TargetKind.Agent && (target == actor || call.IsOnCall(target)))
            return new InCallRefusal(RefusalKind.Conflict, "Already on the call", $"{target} is already on this call.");
        return Permitted(kind, permissionLevel, policy);
    }

    public static InCallRefusal? RemoveParty(InCallSession call, string actor, string label)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (OwnerOnly(call, actor) is { } refused) return refused;
        if (call.Parties.All(p => p.Label != label))
            return new InCallRefusal(RefusalKind.NotFound, "No such party", $"{label} is not on this call.");
        return call.Consulting?.Label == label
            ? new InCallRefusal(RefusalKind.Conflict, "Transfer in progress", "Cancel the transfer to drop the party you are consulting.")
            : null;
    }

    /// <summary>Digits go to an outside party (an IVR after a transfer or conference to a number): the newest one.</summary>
    public static InCallRefusal? SendDigits(InCallSession call, string actor, out InCallParty? to)
    {
        ArgumentNullException.ThrowIfNull(call);
        to = call.Parties.LastOrDefault(p => p.Kind == TargetKind.Number);
        if (OnCall(call, actor) is { } refused) return refused;
        return to is null
            ? new InCallRefusal(RefusalKind.Conflict, "No outside party", "Digits go to an outside number on the call: add one or transfer warm to one first.")
            : null;
    }

    /// <summary>One supervisor at a time listens in; the same one may change mode.</summary>
    public static InCallRefusal? Monitor(InCallSession call, string supervisor)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (call.Ended) return Ended(call);
        return call.Monitor is { } m && m.Supervisor != supervisor
            ? new InCallRefusal(RefusalKind.Conflict, "Already monitored", $"{m.Supervisor} is on this call ({m.Mode}).")
            : null;
    }

    public static InCallRefusal? EndMonitor(InCallSession call, string supervisor)
    {
        ArgumentNullException.ThrowIfNull(call);
        return call.Monitor?.Supervisor == supervisor ? null
            : new InCallRefusal(RefusalKind.Conflict, "Not monitoring", $"You are not listening in on {call.CallSid}.");
    }

    private static InCallRefusal? Permitted(TargetKind kind, int permissionLevel, TransferPolicy policy) =>
        policy.Allows(kind, permissionLevel) ? null
            : new InCallRefusal(RefusalKind.Forbidden, "Above your permission level",
                $"Passing a caller to {(kind == TargetKind.Number ? "an outside number" : "a colleague")} needs permission level {policy.MinLevel(kind)}; yours is {permissionLevel}.");

    private static InCallRefusal NotOnCall(InCallSession call) =>
        new(RefusalKind.Conflict, "Not on this call", $"Only an agent connected to {call.CallSid} controls it, and only while connected.");

    private static InCallRefusal Ended(InCallSession call) =>
        new(RefusalKind.Conflict, "Call no longer here", $"{call.CallSid} has left this conference (transferred or over).");

    [GeneratedRegex(@"^\+[1-9][0-9]{7,14}$")]
    private static partial Regex E164();

    [GeneratedRegex(@"^[0-9*#w]{1,32}$")]
    private static partial Regex Digits();
}
