using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CallCenter.Core.CallLog;

/// <summary>The fields of one call event that the tamper-evident hash chain covers.</summary>
public sealed record ChainedEvent(
    long GlobalSeq,
    string CallSid,
    int CallSeq,
    string Type,
    string StepKey,
    DateTimeOffset OccurredAt,
    string PayloadJson,
    byte[] PrevHash,
    byte[] Hash);

/// <summary>Computes and checks the SHA-256 chain that links every call event to the one before it.</summary>
public static class CallEventHash
{
    /// <summary>The previous-hash of the very first event: 32 zero bytes.</summary>
    public static byte[] Genesis => new byte[32];

    /// <summary>
    /// SHA-256 over a length-prefixed encoding of every field, so no two different events
    /// can produce the same byte stream by shifting text between fields. The database function
    /// append_call_events computes the same bytes; the verifier recomputes them here independently.
    /// </summary>
    public static byte[] Compute(
        long globalSeq, string callSid, int callSeq, string type, string stepKey,
        DateTimeOffset occurredAt, string payloadJson, ReadOnlySpan<byte> prevHash)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(number, globalSeq);
        hash.AppendData(number);
        AppendText(hash, callSid);
        BinaryPrimitives.WriteInt64BigEndian(number, callSeq);
        hash.AppendData(number);
        AppendText(hash, type);
        AppendText(hash, stepKey);
        // Microseconds since the Unix epoch: what PostgreSQL timestamptz keeps, and what the database's
        // own append function (which computes the same hash in SQL) can derive exactly.
        BinaryPrimitives.WriteInt64BigEndian(number, (occurredAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
        hash.AppendData(number);
        AppendText(hash, payloadJson);
        hash.AppendData(prevHash);
        return hash.GetHashAndReset();
    }

    /// <summary>Truncates a timestamp to the microsecond precision that storage keeps.</summary>
    public static DateTimeOffset ToStoragePrecision(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % 10, TimeSpan.Zero);

    private static void AppendText(IncrementalHash hash, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}

/// <summary>Why a stored event breaks the chain.</summary>
public enum ChainBreak
{
    /// <summary>The global numbers are not consecutive: a row was deleted or inserted.</summary>
    SequenceGap,
    /// <summary>The stored previous-hash differs from the hash of the row before it.</summary>
    PreviousHashMismatch,
    /// <summary>The stored hash differs from the hash of the row's own content: the row was altered.</summary>
    ContentAltered,
}

/// <summary>The first row at which the chain is broken, and why.</summary>
public sealed record ChainViolation(long GlobalSeq, string CallSid, int CallSeq, ChainBreak Reason)
{
    public override string ToString() => Reason switch
    {
        ChainBreak.SequenceGap => $"event #{GlobalSeq} (call {CallSid}, step {CallSeq}): sequence gap before this row, a row was removed or inserted",
        ChainBreak.PreviousHashMismatch => $"event #{GlobalSeq} (call {CallSid}, step {CallSeq}): previous-hash does not match the row before it",
        _ => $"event #{GlobalSeq} (call {CallSid}, step {CallSeq}): content altered, stored hash does not match",
    };
}

/// <summary>Walks events in global order and reports the first one that breaks the chain.</summary>
public sealed class CallEventChainVerifier
{
    private long _expectedSeq = 1;
    private byte[] _previousHash = CallEventHash.Genesis;

    /// <summary>How many events were checked so far.</summary>
    public long Checked { get; private set; }

    /// <summary>Checks the next event; returns the violation, or null when the row is intact.</summary>
    public ChainViolation? Check(ChainedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Checked++;
        ChainViolation? violation = null;
        if (e.GlobalSeq != _expectedSeq)
            violation = new(e.GlobalSeq, e.CallSid, e.CallSeq, ChainBreak.SequenceGap);
        else if (!e.PrevHash.AsSpan().SequenceEqual(_previousHash))
            violation = new(e.GlobalSeq, e.CallSid, e.CallSeq, ChainBreak.PreviousHashMismatch);
        else
        {
            var recomputed = CallEventHash.Compute(e.GlobalSeq, e.CallSid, e.CallSeq, e.Type, e.StepKey,
                e.OccurredAt, e.PayloadJson, e.PrevHash);
            if (!recomputed.AsSpan().SequenceEqual(e.Hash))
                violation = new(e.GlobalSeq, e.CallSid, e.CallSeq, ChainBreak.ContentAltered);
        }

        _expectedSeq = e.GlobalSeq + 1;
        _previousHash = e.Hash;
        return violation;
    }
}
