using CallCenter.Core.InCall;

namespace CallCenter.Core.Tests.InCall;

/// <summary>Which conference leaves the call must act on: only legs still on the call that nothing of ours took off.</summary>
public sealed class ConferenceLeavesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    private static InCallSession Call(params (string Type, (string Key, string Value)[] Fields)[] more)
    {
        var events = new List<InCallEvent> { Event(InCallSession.ConferenceEvent, ("conferenceSid", "CF1"), ("agent", "A1")) };
        events.AddRange(more.Select(m => Event(m.Type, m.Fields)));
        return InCallSession.Fold("CA1", events)!;
    }

    private static InCallEvent Event(string type, params (string Key, string Value)[] fields) =>
        new(type, T0, fields.ToDictionary(f => f.Key, f => (string?)f.Value));

    [Test]
    public void The_caller_leaving_a_live_call_is_unexpected_and_ends_it_in_the_folded_state()
    {
        var call = Call();
        var leave = ConferenceLeaves.Classify(call, "CA1", null, conferenceEnding: false);
        Assert.That(leave, Is.EqualTo(new ConferenceLeave(Leaver.Caller, null, true)));

        var after = Call((InCallSession.ParticipantLeftEvent, [("who", "Caller"), ("unexpected", "true")]));
        Assert.That(after.Phase, Is.EqualTo(InCallPhase.Ended));
    }

    [Test]
    public void The_caller_leaving_after_a_cold_transfer_out_is_expected()
    {
        var call = Call((InCallSession.TransferredEvent, [("agent", "A1"), ("mode", "Cold"), ("targetKind", "Queue"), ("target", "cards")]));
        Assert.That(ConferenceLeaves.Classify(call, "CA1", null, false).Unexpected, Is.False);
    }

    [Test]
    public void The_owners_leg_dropping_is_unexpected_unless_the_conference_is_ending_or_the_call_was_ended()
    {
        Assert.That(ConferenceLeaves.Classify(Call(), "CAleg", "agent-A1", false), Is.EqualTo(new ConferenceLeave(Leaver.Owner, "A1", true)));
        Assert.That(ConferenceLeaves.Classify(Call(), "CAleg", "agent-A1", true).Unexpected, Is.False);
        Assert.That(ConferenceLeaves.Classify(Call((InCallSession.EndedEvent, [("agent", "A1")])), "CAleg", "agent-A1", false).Unexpected, Is.False);

        var dropped = Call((InCallSession.ParticipantLeftEvent, [("who", "Owner"), ("label", "agent-A1"), ("agent", "A1"), ("unexpected", "true")]));
        Assert.That(dropped.OwnerDropped, Is.True);
        Assert.That(ConferenceLeaves.Classify(dropped, "CAleg", "agent-A1", false).Unexpected, Is.False, "noticed once");
    }

    [Test]
    public void An_owner_who_rejoined_after_a_drop_is_back_on_the_call_and_a_second_drop_is_noticed_again()
    {
        var dropped = (InCallSession.ParticipantLeftEvent, new (string, string)[] { ("who", "Owner"), ("label", "agent-A1"), ("agent", "A1"), ("unexpected", "true") });
        var rejoined = Call(dropped, (InCallSession.RejoinedEvent, [("agent", "A1"), ("callSid", "CAleg2")]));

        Assert.That(InCallRules.Rejoin(Call(dropped), "A1"), Is.Null);
        Assert.That(InCallRules.Rejoin(Call(), "A1")?.Kind, Is.EqualTo(RefusalKind.Conflict), "nothing to rejoin while connected");
        Assert.That(rejoined.OwnerDropped, Is.False);
        Assert.That(rejoined.AgentLegs["A1"], Is.EqualTo("CAleg2"), "a supervisor coaching the owner speaks into the new leg");
        Assert.That(InCallRules.Rejoin(rejoined, "A1")?.Kind, Is.EqualTo(RefusalKind.Conflict));
        Assert.That(ConferenceLeaves.Classify(rejoined, "CAleg2", "agent-A1", false).Unexpected, Is.True);
    }

    [Test]
    public void A_party_leaving_on_their_own_is_unexpected_but_one_removed_by_a_command_is_not()
    {
        var withParty = Call((InCallSession.PartyAddedEvent, [("agent", "A1"), ("label", "agent-A2"), ("targetKind", "Agent"), ("target", "A2")]));
        Assert.That(ConferenceLeaves.Classify(withParty, "CAleg2", "agent-A2", false), Is.EqualTo(new ConferenceLeave(Leaver.Agent, "A2", true)));

        var removed = Call((InCallSession.PartyAddedEvent, [("agent", "A1"), ("label", "party-1"), ("targetKind", "Number"), ("target", "+86…")]),
            (InCallSession.PartyRemovedEvent, [("agent", "A1"), ("label", "party-1")]));
        Assert.That(ConferenceLeaves.Classify(removed, "CAleg2", "party-1", false), Is.EqualTo(new ConferenceLeave(Leaver.Unknown, null, false)));
    }

    [Test]
    public void Twilio_reasons_naming_the_conferences_end_are_told_apart_from_a_hang_up()
    {
        Assert.That(ConferenceLeaves.IsConferenceEnding("participant_with_end_conference_on_exit_left"), Is.True);
        Assert.That(ConferenceLeaves.IsConferenceEnding("conference_ended_via_api"), Is.True);
        Assert.That(ConferenceLeaves.IsConferenceEnding("participant_hung_up"), Is.False);
        Assert.That(ConferenceLeaves.IsConferenceEnding(null), Is.False);
    }
}
