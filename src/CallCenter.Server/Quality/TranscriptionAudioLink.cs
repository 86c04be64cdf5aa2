using System.Security.Cryptography;
using System.Text;
using CallCenter.Core.Archive;
using CallCenter.Server.Archive;
using CallCenter.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Quality;

/// <summary>
/// The one-off link Azure batch transcription downloads a recording through (it fetches audio by URL, like a SAS link):
/// a random token whose hash sits on the transcription job, good only while that job waits for Azure and until it expires.
/// The audio is decrypted on the fly with Range support; every download, and every try with a dead token, is in the
/// recording access log.
/// </summary>
public static class TranscriptionAudioLink
{
    private const string Prefix = "/api/qa/transcription/audio/";

    public static string PathFor(string token) => Prefix + token;

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static IEndpointRouteBuilder MapTranscriptionAudioLink(this IEndpointRouteBuilder routes)
    {
        // No staff session: Azure's batch service holds the link, and the token is the credential.
        routes.MapGet(Prefix + "{token}", AudioAsync).WithTags("Quality").WithName("TranscriptionAudio").AllowAnonymous();
        return routes;
    }

    private static async Task<IResult> AudioAsync(string token, HttpContext http, CallCenterDbContext db, IArchiveStorage storage,
        ArchiveKeyRing keys, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var hash = token.Length is > 16 and <= 100 ? Hash(token) : null;
        var job = hash is null ? null : await db.TranscriptionJobs.AsNoTracking()
            .Where(j => j.AudioLinkHash == hash && j.State == TranscriptionJobState.Pending && j.AudioLinkExpiresAt > now)
            .Select(j => new { j.ArchiveNumber, j.CallSid }).SingleOrDefaultAsync(ct);
        var recording = job is null ? null : await db.ArchivedRecordings.AsNoTracking().SingleOrDefaultAsync(r => r.ArchiveNumber == job.ArchiveNumber, ct);
        var file = recording is { DestroyedAt: null, StorageKey: not null, WrappedDataKey: not null } ? await storage.OpenReadAsync(recording.StorageKey, ct) : null;
        db.RecordingAccessLog.Add(new RecordingAccessEntry
        {
            OccurredAt = now, WorkNumber = job is null ? "anonymous" : "azure-batch", Role = "transcription", Action = "transcribe",
            ArchiveNumber = job?.ArchiveNumber, CallSid = job?.CallSid, Result = job is null ? "refused" : file is null ? "missing" : "allowed",
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(), Details = http.Request.Headers.Range.ToString() is { Length: > 0 } range ? range : null,
        });
        // CancellationToken.None: the download is recorded even if the client hangs up at once.
        await db.SaveChangesAsync(CancellationToken.None);
        if (file is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such audio link",
                detail: "The link is unknown, expired, or its transcription is finished.");
        var audio = new RecordingDecryptStream(file, keys.Unwrap(recording!.KeyId, recording.WrappedDataKey!, recording.RecordingSid));
        return TypedResults.Stream(audio, "audio/wav", enableRangeProcessing: true);
    }
}
