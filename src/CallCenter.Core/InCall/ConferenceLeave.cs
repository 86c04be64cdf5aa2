namespace CallCenter.Core.InCall;

/// <summary>Who a conference participant that left was, as far as the call's state tells.</summary>
public enum Leaver
{
    /// <summary>The caller's own call (the conference's reason to exist).</summary>
    Caller,
    /// <summary>The softphone leg of the agent who owns the call.</summary>
    Owner,
    /// <summary>Another agent on the call: a transfer target or an added party.</summary>
    Agent,
    /// <summary>An outside number dialled in.</summary>
    Number,
    /// <summary>A supervisor listening in, whispering or barging.</summary>
    Supervisor,
    /// <summary>A leg the call's state does not know (already removed by a command, or from before a transfer).</summary>
    Unknown,
}

/// <summary>
/// A participant that left the call's conference, classified: who it was, the agent behind an agent leg, and whether the
/// leave was unexpected — the leg was still on the call in our state and nothing of ours (a command, the conference ending)
/// took it off, so the call must react (the caller hung up, the agent's browser dropped, a party hung up).
/// </summary>
public sealed record ConferenceLeave(Leaver Who, string? Agent, bool Unexpected);

/// <summary>Reads Twilio's conference status callbacks against the call's in-call state. Pure.</summary>
public static class ConferenceLeaves
{
    /// <summary>
    /// Classifies a <c>participant-leave</c>: <paramref name="legCallSid"/> is the participant's call SID, <paramref name="label"/> its
    /// participant label (absent for the caller, who joined by TwiML), <paramref name="conferenceEnding"/> whether Twilio says it
    /// left because the conference ended.
    /// </summary>
    public static ConferenceLeave Classify(InCallSession call, string legCallSid, string? label, bool conferenceEnding)
    {
        ArgumentNullException.ThrowIfNull(call);
        // The caller leaving always ends the call, unless a command already took them out of this conference (cold transfer).
        if (legCallSid == call.CallerLeg) return new ConferenceLeave(Leaver.Caller, null, !call.Ended);
        var live = !call.Ended && !conferenceEnding;
        if (label is null) return new ConferenceLeave(Leaver.Unknown, null, false);
        if (label == InCallSession.AgentLabel(call.Owner))
            return new ConferenceLeave(Leaver.Owner, call.Owner, live && !call.OwnerDropped);
        if (call.Parties.FirstOrDefault(p => p.Label == label) is { } party)
            return new ConferenceLeave(party.Kind == TargetKind.Agent ? Leaver.Agent : Leaver.Number, party.Kind == TargetKind.Agent ? party.Target : null, live);
        if (call.Monitor is { } monitor && label == InCallSession.SupervisorLabel(monitor.Supervisor))
            return new ConferenceLeave(Leaver.Supervisor, null, live);
        return new ConferenceLeave(Leaver.Unknown, null, false);
    }

    /// <summary>
    /// Whether Twilio's <c>ReasonParticipantLeft</c> says the participant was taken off because the conference ended (by the
    /// caller, who has endConferenceOnExit, or over the API) rather than leaving on their own. Twilio adds this field to
    /// participant-leave since October 2023; the values naming the conference's end contain these words.
    /// </summary>
    public static bool IsConferenceEnding(string? reasonParticipantLeft) =>
        reasonParticipantLeft is { } reason
        && (reason.Contains("end_conference_on_exit", StringComparison.OrdinalIgnoreCase)
            || reason.Contains("conference_ended", StringComparison.OrdinalIgnoreCase)
            || reason.Contains("last_participant", StringComparison.OrdinalIgnoreCase));
}
