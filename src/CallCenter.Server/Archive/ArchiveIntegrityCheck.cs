using System.Security.Cryptography;
using CallCenter.Core.Archive;
using CallCenter.Server.CallLog;
using Npgsql;

namespace CallCenter.Server.Archive;

/// <summary>One archived recording that failed the check, and why.</summary>
public sealed record IntegrityProblem(long ArchiveNumber, string RecordingSid, string Kind, string Detail);

/// <summary>The integrity check's findings over the recordings and the call log.</summary>
public sealed record IntegrityReport(long RecordingsChecked, IReadOnlyList<IntegrityProblem> Problems, ChainAuditReport CallLog)
{
    public bool Healthy => Problems.Count == 0 && CallLog.FirstViolation is null;
}

/// <summary>
/// Re-reads every live archived file: it must exist, open with its data key (every GCM tag checked) and hash to
/// the catalogued SHA-256 and size. Then walks the call log's hash chain. Reports; never repairs.
/// </summary>
public sealed class ArchiveIntegrityCheck(NpgsqlDataSource dataSource, IArchiveStorage storage, ArchiveKeyRing keys, ILogger<ArchiveIntegrityCheck> logger)
{
    public const string Missing = "missing";
    public const string Corrupt = "corrupt";

    public async Task<IntegrityReport> RunAsync(CancellationToken ct)
    {
        var problems = new List<IntegrityProblem>();
        long checkedCount = 0, after = 0;
        while (true)
        {
            var batch = new List<(long Number, string Sid, string? Key, string KeyId, byte[] Wrapped, byte[] Sha, long Size)>();
            await using (var cmd = dataSource.CreateCommand("""
                SELECT archive_number, recording_sid, storage_key, key_id, wrapped_data_key, sha256, size_bytes
                FROM archived_recordings WHERE destroyed_at IS NULL AND archive_number > @after
                ORDER BY archive_number LIMIT 500
                """))
            {
                cmd.Parameters.AddWithValue("after", after);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                    batch.Add((r.GetInt64(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetString(3),
                        (byte[])r[4], (byte[])r[5], r.GetInt64(6)));
            }
            if (batch.Count == 0) break;
            foreach (var row in batch)
            {
                checkedCount++;
                if (await CheckAsync(row.Number, row.Sid, row.Key, row.KeyId, row.Wrapped, row.Sha, row.Size, ct) is { } problem)
                {
                    logger.LogError("Archive integrity: recording #{ArchiveNumber} ({RecordingSid}) {Kind}: {Detail}",
                        problem.ArchiveNumber, problem.RecordingSid, problem.Kind, problem.Detail);
                    problems.Add(problem);
                }
            }
            after = batch[^1].Number;
        }
        var chain = await CallEventChainAudit.VerifyAsync(dataSource, ct);
        if (chain.FirstViolation is { } broken) logger.LogError("Archive integrity: call log broken at {Violation}", broken);
        return new IntegrityReport(checkedCount, problems, chain);
    }

    private async Task<IntegrityProblem?> CheckAsync(long number, string sid, string? key, string keyId, byte[] wrapped, byte[] sha, long size, CancellationToken ct)
    {
        if (key is null) return new IntegrityProblem(number, sid, Missing, "catalogue row has no file");
        await using var file = await storage.OpenReadAsync(key, ct);
        if (file is null) return new IntegrityProblem(number, sid, Missing, $"no file at {key}");
        try
        {
            var dataKey = keys.Unwrap(keyId, wrapped, sid);
            var (bytes, hash) = await RecordingEnvelope.VerifyAsync(file, dataKey, ct);
            if (bytes != size) return new IntegrityProblem(number, sid, Corrupt, $"{bytes} bytes decrypted, {size} catalogued");
            if (!CryptographicOperations.FixedTimeEquals(hash, sha)) return new IntegrityProblem(number, sid, Corrupt, "SHA-256 differs from the catalogue");
            return null;
        }
        catch (Exception ex) when (ex is CryptographicException or InvalidDataException or EndOfStreamException)
        {
            return new IntegrityProblem(number, sid, Corrupt, ex.Message);
        }
    }
}
