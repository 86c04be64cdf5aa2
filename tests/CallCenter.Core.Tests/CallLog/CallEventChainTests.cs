using CallCenter.Core.CallLog;

namespace CallCenter.Core.Tests.CallLog;

public sealed class CallEventChainTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    private static List<ChainedEvent> Chain(int count)
    {
        var events = new List<ChainedEvent>();
        var prev = CallEventHash.Genesis;
        for (var i = 1; i <= count; i++)
        {
            var sid = $"CA{i % 3:D32}";
            var at = At.AddSeconds(i);
            var payload = $$"""{"n":{{i}}}""";
            var hash = CallEventHash.Compute(i, sid, i, "test", $"step-{i}", at, payload, prev);
            events.Add(new ChainedEvent(i, sid, i, "test", $"step-{i}", at, payload, prev, hash));
            prev = hash;
        }
        return events;
    }

    private static ChainViolation? FirstViolation(IEnumerable<ChainedEvent> events)
    {
        var verifier = new CallEventChainVerifier();
        return events.Select(verifier.Check).FirstOrDefault(v => v is not null);
    }

    [Test]
    public void An_untouched_chain_verifies()
    {
        Assert.That(FirstViolation(Chain(10)), Is.Null);
    }

    [Test]
    public void Altering_a_payload_is_reported_at_that_row()
    {
        var events = Chain(10);
        events[4] = events[4] with { PayloadJson = """{"n":999}""" };

        var violation = FirstViolation(events);

        Assert.That(violation, Is.EqualTo(new ChainViolation(5, events[4].CallSid, 5, ChainBreak.ContentAltered)));
    }

    [Test]
    public void Recomputing_an_altered_rows_hash_is_caught_at_the_next_row()
    {
        var events = Chain(10);
        var e = events[4] with { Type = "forged" };
        events[4] = e with { Hash = CallEventHash.Compute(e.GlobalSeq, e.CallSid, e.CallSeq, e.Type, e.StepKey, e.OccurredAt, e.PayloadJson, e.PrevHash) };

        var violation = FirstViolation(events);

        Assert.That(violation?.GlobalSeq, Is.EqualTo(6));
        Assert.That(violation?.Reason, Is.EqualTo(ChainBreak.PreviousHashMismatch));
    }

    [Test]
    public void Deleting_a_row_is_reported_as_a_gap()
    {
        var events = Chain(10);
        events.RemoveAt(2);

        var violation = FirstViolation(events);

        Assert.That(violation?.GlobalSeq, Is.EqualTo(4));
        Assert.That(violation?.Reason, Is.EqualTo(ChainBreak.SequenceGap));
    }

    [Test]
    public void Moving_text_between_fields_changes_the_hash()
    {
        var a = CallEventHash.Compute(1, "CA1", 1, "ab", "c", At, "{}", CallEventHash.Genesis);
        var b = CallEventHash.Compute(1, "CA1", 1, "a", "bc", At, "{}", CallEventHash.Genesis);

        Assert.That(a, Is.Not.EqualTo(b));
    }

    [Test]
    public void Sub_microsecond_ticks_do_not_change_the_hash_once_truncated_to_storage_precision()
    {
        var precise = At.AddTicks(7);
        var stored = CallEventHash.ToStoragePrecision(precise);

        Assert.That(stored, Is.EqualTo(At));
        Assert.That(CallEventHash.Compute(1, "CA1", 1, "t", "s", precise, "{}", CallEventHash.Genesis),
            Is.EqualTo(CallEventHash.Compute(1, "CA1", 1, "t", "s", stored, "{}", CallEventHash.Genesis)));
    }
}
