using CallCenter.Core.InCall;

namespace CallCenter.Core.Tests.InCall;

/// <summary>The in-call state folded from the call log, and what each person may do on the call.</summary>
public sealed class InCallSessionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);
    private static readonly TransferPolicy Policy = new();

    private sealed class Log
    {
        private readonly List<InCallEvent> _events = [];

        public Log Add(string type, params (string Key, string Value)[] fields)
        {
            _events.Add(new InCallEvent(type, T0.AddSeconds(_events.Count), fields.ToDictionary(f => f.Key, f => (string?)f.Value)));
            return this;
        }

        public Log Answered(string agent = "A1") => Add(InCallSession.ConferenceEvent, ("conferenceSid", "CF1"), ("agent", agent));

        public InCallSession Session => InCallSession.Fold("CA1", _events)!;
    }

    [Test]
    public void A_call_without_a_conference_has_no_in_call_state()
    {
        Assert.That(InCallSession.Fold("CA1", [new InCallEvent("acd.answered", T0, new Dictionary<string, string?>())]), Is.Null);
    }

    [Test]
    public void Hold_resume_and_mute_are_folded_in_order()
    {
        var log = new Log().Answered().Add(InCallSession.HeldEvent, ("agent", "A1")).Add(InCallSession.MutedEvent, ("agent", "A1"));
        Assert.That(log.Session.Phase, Is.EqualTo(InCallPhase.Held));
        Assert.That(log.Session.MutedAgents, Does.Contain("A1"));

        log.Add(InCallSession.ResumedEvent, ("agent", "A1")).Add(InCallSession.UnmutedEvent, ("agent", "A1"));
        Assert.That(log.Session.Phase, Is.EqualTo(InCallPhase.Talking));
        Assert.That(log.Session.MutedAgents, Is.Empty);
        Assert.That(log.Session.NextStepKey(InCallSession.HeldEvent), Is.EqualTo("incall.held#2"));
    }

    [Test]
    public void A_warm_transfer_holds_the_caller_while_consulting_and_hands_the_call_to_the_target()
    {
        var log = new Log().Answered()
            .Add(InCallSession.ConsultStartedEvent, ("agent", "A1"), ("label", "agent-B2"), ("targetKind", "Agent"), ("target", "B2"));
        Assert.That(log.Session.Phase, Is.EqualTo(InCallPhase.Consulting));
        Assert.That(log.Session.CallerHeld, Is.True);
        Assert.That(InCallRules.Hold(log.Session, "A1", hold: false)!.Kind, Is.EqualTo(RefusalKind.Conflict), "resume waits for the transfer's end");
        Assert.That(InCallRules.Transfer(log.Session, "A1", 3, TransferMode.Cold, TargetKind.Queue, "general", Policy)!.Title, Is.EqualTo("Transfer in progress"));

        log.Add(InCallSession.TransferredEvent, ("agent", "A1"), ("mode", "Warm"), ("label", "agent-B2"), ("targetKind", "Agent"), ("target", "B2"));
        var after = log.Session;
        Assert.That(after.Owner, Is.EqualTo("B2"));
        Assert.That(after.Phase, Is.EqualTo(InCallPhase.Talking));
        Assert.That(InCallRules.Hold(after, "A1", hold: true)!.Title, Is.EqualTo("Not on this call"));
        Assert.That(InCallRules.Hold(after, "B2", hold: true), Is.Null);
    }

    [Test]
    public void A_cancelled_consult_gives_the_caller_back_to_the_first_agent()
    {
        var log = new Log().Answered()
            .Add(InCallSession.ConsultStartedEvent, ("agent", "A1"), ("label", "party-1"), ("targetKind", "Number"), ("target", "+86 21 **** 0001"))
            .Add(InCallSession.ConsultCancelledEvent, ("agent", "A1"), ("label", "party-1"));
        Assert.That(log.Session.Phase, Is.EqualTo(InCallPhase.Talking));
        Assert.That(log.Session.Parties, Is.Empty);
        Assert.That(log.Session.Owner, Is.EqualTo("A1"));
    }

    [Test]
    public void Transfers_to_outside_numbers_need_a_higher_permission_level_than_transfers_inside_the_centre()
    {
        var call = new Log().Answered().Session;
        Assert.That(InCallRules.Transfer(call, "A1", 1, TransferMode.Cold, TargetKind.Queue, "cards", Policy), Is.Null);
        Assert.That(InCallRules.Transfer(call, "A1", 1, TransferMode.Warm, TargetKind.Agent, "B2", Policy), Is.Null);
        Assert.That(InCallRules.Transfer(call, "A1", 1, TransferMode.Cold, TargetKind.Number, "+862100000001", Policy)!.Kind, Is.EqualTo(RefusalKind.Forbidden));
        Assert.That(InCallRules.AddParty(call, "A1", 1, TargetKind.Number, "+862100000001", Policy)!.Kind, Is.EqualTo(RefusalKind.Forbidden));
        Assert.That(InCallRules.Transfer(call, "A1", 2, TransferMode.Cold, TargetKind.Number, "+862100000001", Policy), Is.Null);
        Assert.That(InCallRules.Transfer(call, "A1", 3, TransferMode.Warm, TargetKind.Queue, "cards", Policy)!.Kind, Is.EqualTo(RefusalKind.Invalid));
        Assert.That(InCallRules.Transfer(call, "A1", 3, TransferMode.Cold, TargetKind.Agent, "A1", Policy)!.Kind, Is.EqualTo(RefusalKind.Invalid));
    }

    [Test]
    public void Only_the_owner_controls_the_call_and_a_party_may_only_mute_itself()
    {
        var call = new Log().Answered().Add(InCallSession.PartyAddedEvent, ("agent", "A1"), ("label", "agent-B2"), ("targetKind", "Agent"), ("target", "B2")).Session;
        Assert.That(call.Phase, Is.EqualTo(InCallPhase.Conference));
        Assert.That(InCallRules.Hold(call, "B2", hold: true)!.Kind, Is.EqualTo(RefusalKind.Forbidden));
        Assert.That(InCallRules.OnCall(call, "B2"), Is.Null);
        Assert.That(InCallRules.OnCall(call, "C3")!.Kind, Is.EqualTo(RefusalKind.Conflict));
        Assert.That(InCallRules.RemoveParty(call, "A1", "party-9")!.Kind, Is.EqualTo(RefusalKind.NotFound));
        Assert.That(InCallRules.AddParty(call, "A1", 3, TargetKind.Agent, "B2", Policy)!.Title, Is.EqualTo("Already on the call"));
    }

    [Test]
    public void Digits_go_to_the_newest_outside_party_and_are_refused_without_one()
    {
        var call = new Log().Answered().Session;
        Assert.That(InCallRules.SendDigits(call, "A1", out _)!.Title, Is.EqualTo("No outside party"));

        call = new Log().Answered()
            .Add(InCallSession.PartyAddedEvent, ("agent", "A1"), ("label", "party-1"), ("targetKind", "Number"), ("target", "x"))
            .Add(InCallSession.PartyAddedEvent, ("agent", "A1"), ("label", "party-2"), ("targetKind", "Number"), ("target", "y")).Session;
        Assert.That(InCallRules.SendDigits(call, "A1", out var to), Is.Null);
        Assert.That(to!.Label, Is.EqualTo("party-2"));
        Assert.That(InCallRules.AreDigits("12w34#"), Is.True);
        Assert.That(InCallRules.AreDigits("12a"), Is.False);
        Assert.That(InCallRules.IsE164("+862100000001"), Is.True);
        Assert.That(InCallRules.IsE164("021-0000"), Is.False);
    }

    [Test]
    public void One_supervisor_monitors_a_call_at_a_time_and_may_change_mode()
    {
        var call = new Log().Answered().Add(InCallSession.MonitorStartedEvent, ("supervisor", "S1"), ("mode", "Listen"), ("agent", "A1"))
            .Add(InCallSession.MonitorChangedEvent, ("supervisor", "S1"), ("mode", "Whisper")).Session;
        Assert.That(call.Monitor, Is.EqualTo(new InCallMonitor("S1", MonitorMode.Whisper)));
        Assert.That(InCallRules.Monitor(call, "S1"), Is.Null);
        Assert.That(InCallRules.Monitor(call, "S2")!.Title, Is.EqualTo("Already monitored"));
        Assert.That(InCallRules.EndMonitor(call, "S2")!.Kind, Is.EqualTo(RefusalKind.Conflict));
    }
}
