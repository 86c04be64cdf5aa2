using CallCenter.Core.CallLog;
using Npgsql;

namespace CallCenter.Server.CallLog;

/// <summary>The outcome of walking the whole call log: how many rows, and the first broken one if any.</summary>
public sealed record ChainAuditReport(long EventsChecked, ChainViolation? FirstViolation);

/// <summary>Re-reads the stored call log in order and recomputes its hash chain.</summary>
public static class CallEventChainAudit
{
    public static async Task<ChainAuditReport> VerifyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var verifier = new CallEventChainVerifier();
        await using var cmd = dataSource.CreateCommand(
            "SELECT global_seq, call_sid, call_seq, type, step_key, occurred_at, payload::text, prev_hash, hash FROM call_events ORDER BY global_seq");
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await r.ReadAsync(cancellationToken))
        {
            var e = new ChainedEvent(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetString(4),
                r.GetFieldValue<DateTimeOffset>(5), r.GetString(6), (byte[])r[7], (byte[])r[8]);
            if (verifier.Check(e) is { } violation)
                return new ChainAuditReport(verifier.Checked, violation);
        }
        return new ChainAuditReport(verifier.Checked, null);
    }
}
