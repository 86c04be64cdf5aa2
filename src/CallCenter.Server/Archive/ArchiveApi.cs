using System.Globalization;
using System.Security.Claims;
using CallCenter.Server.Audit;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Archive;

/// <summary>
/// The QA side of the archive: catalogue search, playback with HTTP Range (decrypted on the fly), download and
/// watermarked export for QA staff and supervisors; legal holds for supervisors. Every attempt to reach audio,
/// allowed or refused, is a row in the recording access log before any byte is sent.
/// </summary>
public static class ArchiveApi
{
    /// <summary>Who may listen to recordings: QA staff and supervisors (least privilege: not agents, not admins).</summary>
    public const string RecordingsPolicy = "recordings";

    public sealed record RecordingView(long ArchiveNumber, string RecordingSid, string CallSid, string? Agent, string? Queue,
        string Category, DateTimeOffset CallStartedAt, int DurationSeconds, long SizeBytes, string Sha256, DateTimeOffset RetainUntil,
        bool OnLegalHold, DateTimeOffset? DestroyedAt, string? DestroyedUnder);

    public sealed record LegalHoldRequest(string? Reason, string[]? CallSids);

    public sealed record LegalHoldView(long Id, string Reason, string PlacedBy, DateTimeOffset PlacedAt, string? ReleasedBy,
        DateTimeOffset? ReleasedAt, IReadOnlyList<string> CallSids);

    public static AuthorizationBuilder AddRecordingsPolicy(this AuthorizationBuilder builder) =>
        builder.AddPolicy(RecordingsPolicy, p => p.RequireClaim(StaffAuthentication.PasswordCurrentClaim, "true")
            .RequireRole(nameof(StaffRole.Quality), nameof(StaffRole.Supervisor)));

    public static IEndpointRouteBuilder MapArchiveApi(this IEndpointRouteBuilder routes)
    {
        routes.MapRecordingStatusWebhook();
        routes.MapRecordingPauses();
        var archive = routes.MapGroup("/api/archive").WithTags("Archive");
        archive.MapGet("/recordings", SearchAsync).WithName("SearchRecordings").RequireStaff(RecordingsPolicy);
        // Any staff member reaches these; the role check is inside so that a refusal is audited too.
        archive.MapGet("/recordings/{archiveNumber:long}/audio", (long archiveNumber, HttpContext http, RecordingAccess access, CancellationToken ct) =>
            access.OpenAsync(archiveNumber, RecordingAccess.Play, http, ct)).WithName("PlayRecording").RequireStaff();
        archive.MapGet("/recordings/{archiveNumber:long}/download", (long archiveNumber, HttpContext http, RecordingAccess access, CancellationToken ct) =>
            access.OpenAsync(archiveNumber, RecordingAccess.Download, http, ct)).WithName("DownloadRecording").RequireStaff();
        archive.MapGet("/recordings/{archiveNumber:long}/export", (long archiveNumber, HttpContext http, RecordingAccess access, CancellationToken ct) =>
            access.OpenAsync(archiveNumber, RecordingAccess.Export, http, ct)).WithName("ExportRecording").RequireStaff();
        archive.MapPost("/legal-holds", PlaceHoldAsync).WithName("PlaceLegalHold").RequireStaff(StaffAuthentication.SupervisorPolicy);
        archive.MapGet("/legal-holds/{id:long}", GetHoldAsync).WithName("GetLegalHold").RequireStaff(RecordingsPolicy);
        archive.MapPost("/legal-holds/{id:long}/release", ReleaseHoldAsync).WithName("ReleaseLegalHold").RequireStaff(StaffAuthentication.SupervisorPolicy);
        return routes;
    }

    private static async Task<Results<Ok<IReadOnlyList<RecordingView>>, ValidationProblem>> SearchAsync(
        string? callSid, string? agent, DateTimeOffset? from, DateTimeOffset? to, CallCenterDbContext db, CancellationToken ct)
    {
        if (callSid is null && agent is null && from is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["query"] = ["Give callSid, agent or from."] });
        var query = db.ArchivedRecordings.AsNoTracking();
        if (callSid is not null) query = query.Where(r => r.CallSid == callSid);
        if (agent is not null) query = query.Where(r => r.Agent == agent);
        if (from is not null) query = query.Where(r => r.CallStartedAt >= from);
        if (to is not null) query = query.Where(r => r.CallStartedAt < to);
        var rows = await query.OrderBy(r => r.ArchiveNumber).Take(500)
            .Select(r => new
            {
                Row = r,
                Held = db.LegalHolds.Any(h => h.ReleasedAt == null && h.Calls.Any(c => c.CallSid == r.CallSid)),
            }).ToListAsync(ct);
        return TypedResults.Ok<IReadOnlyList<RecordingView>>([.. rows.Select(x => View(x.Row, x.Held))]);
    }

    private static RecordingView View(ArchivedRecording r, bool held) =>
        new(r.ArchiveNumber, r.RecordingSid, r.CallSid, r.Agent, r.Queue, r.Category, r.CallStartedAt, r.DurationSeconds, r.SizeBytes,
            Convert.ToHexStringLower(r.Sha256), r.RetainUntil, held, r.DestroyedAt, r.DestroyedUnder);

    private static async Task<Results<Created<LegalHoldView>, ValidationProblem>> PlaceHoldAsync(
        LegalHoldRequest request, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var reason = request.Reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 500) errors["reason"] = ["A reason of 1 to 500 characters is required."];
        var calls = (request.CallSids ?? []).Select(c => c.Trim()).Distinct(StringComparer.Ordinal).ToList();
        if (calls.Count == 0) errors["callSids"] = ["At least one CallSid is required."];
        else if (calls.Any(c => c.Length is 0 or > 64)) errors["callSids"] = ["Every CallSid has 1 to 64 characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Legal hold not placed");

        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var hold = new LegalHold { Reason = reason!, PlacedBy = who, PlacedAt = now, Calls = [.. calls.Select(c => new LegalHoldCall { CallSid = c })] };
        db.LegalHolds.Add(hold);
        await db.SaveChangesAsync(ct);
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "archive.legal_hold.place",
            Target = $"hold {hold.Id}", Result = "succeeded", Details = $"{calls.Count} calls: {reason}" });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/archive/legal-holds/{hold.Id}", HoldView(hold));
    }

    private static async Task<Results<Ok<LegalHoldView>, ProblemHttpResult>> GetHoldAsync(long id, CallCenterDbContext db, CancellationToken ct) =>
        await db.LegalHolds.AsNoTracking().Include(h => h.Calls).SingleOrDefaultAsync(h => h.Id == id, ct) is { } hold
            ? TypedResults.Ok(HoldView(hold))
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such legal hold");

    private static async Task<Results<Ok<LegalHoldView>, ProblemHttpResult>> ReleaseHoldAsync(
        long id, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        if (await db.LegalHolds.Include(h => h.Calls).SingleOrDefaultAsync(h => h.Id == id, ct) is not { } hold)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such legal hold");
        if (hold.ReleasedAt is not null)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Legal hold already released",
                detail: $"Released by {hold.ReleasedBy} at {hold.ReleasedAt:o}.");
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        hold.ReleasedBy = who;
        hold.ReleasedAt = now;
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "archive.legal_hold.release",
            Target = $"hold {hold.Id}", Result = "succeeded" });
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(HoldView(hold));
    }

    private static LegalHoldView HoldView(LegalHold h) =>
        new(h.Id, h.Reason, h.PlacedBy, h.PlacedAt, h.ReleasedBy, h.ReleasedAt, [.. h.Calls.Select(c => c.CallSid).Order(StringComparer.Ordinal)]);
}

/// <summary>Opens archived audio for one request after checking the role and writing the access-log row.</summary>
public sealed class RecordingAccess(CallCenterDbContext db, IAuthorizationService authorization, IArchiveStorage storage,
    ArchiveKeyRing keys, TimeProvider clock, ArchiveMetrics metrics, ILogger<RecordingAccess> logger)
{
    public const string Play = "play";
    public const string Download = "download";
    public const string Export = "export";

    public async Task<IResult> OpenAsync(long archiveNumber, string action, HttpContext http, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        var user = http.User;
        var now = clock.GetUtcNow();
        // QA and supervisors; and an agent for the recorded message of a callback they took (the caller asked to be called about it).
        var allowed = (await authorization.AuthorizeAsync(user, ArchiveApi.RecordingsPolicy)).Succeeded
            || (action == Play && await Outbound.CallbackApi.IsMessageOfAgentsCallbackAsync(db, user.WorkNumber(), archiveNumber, ct));
        var recording = allowed ? await db.ArchivedRecordings.AsNoTracking().SingleOrDefaultAsync(r => r.ArchiveNumber == archiveNumber, ct) : null;
        if (!allowed)
        {
            await AuditAsync(http, now, action, archiveNumber, null, "refused", null);
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed to access recordings",
                detail: "Only QA staff and supervisors may play, download or export recordings. This attempt has been recorded.");
        }
        if (recording is null || recording.DestroyedAt is not null || recording.WrappedDataKey is null || recording.StorageKey is null)
        {
            await AuditAsync(http, now, action, archiveNumber, recording?.CallSid, "missing", null);
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such recording",
                detail: recording?.DestroyedAt is { } at ? $"Recording #{archiveNumber} was destroyed at {at:o} ({recording.DestroyedUnder})." : null);
        }

        var file = await storage.OpenReadAsync(recording.StorageKey, ct);
        if (file is null)
        {
            logger.LogError("Archived recording #{ArchiveNumber} has no file at {StorageKey}", archiveNumber, recording.StorageKey);
            await AuditAsync(http, now, action, archiveNumber, recording.CallSid, "missing", "file missing");
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Recording file missing",
                detail: "The catalogue lists this recording but its file is missing; the integrity check reports it too.");
        }
        var dataKey = keys.Unwrap(recording.KeyId, recording.WrappedDataKey, recording.RecordingSid);
        var audio = new Core.Archive.RecordingDecryptStream(file, dataKey);
        string? fileName = action switch
        {
            Export => WatermarkedName(recording, user.WorkNumber(), now),
            Download => $"{recording.ArchiveNumber:D10}_{recording.CallSid}.wav",
            _ => null,
        };
        var details = action == Play ? http.Request.Headers.Range.ToString() : fileName;
        await AuditAsync(http, now, action, archiveNumber, recording.CallSid, "allowed", details);
        return TypedResults.Stream(audio, "audio/wav", fileDownloadName: fileName, enableRangeProcessing: true);
    }

    /// <summary>An export names who took it and when, so a copy found elsewhere leads back to the access log.</summary>
    public static string WatermarkedName(ArchivedRecording recording, string requester, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(recording);
        return string.Create(CultureInfo.InvariantCulture,
            $"{recording.ArchiveNumber:D10}_{recording.CallSid}_exported-by-{requester}_{at.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}.wav");
    }

    private async Task AuditAsync(HttpContext http, DateTimeOffset now, string action, long archiveNumber, string? callSid, string result,
        string? details)
    {
        var user = http.User;
        var userAgent = http.Request.Headers.UserAgent.ToString();
        db.RecordingAccessLog.Add(new RecordingAccessEntry
        {
            OccurredAt = now,
            WorkNumber = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous",
            Role = user.FindFirstValue(ClaimTypes.Role),
            Action = action,
            ArchiveNumber = archiveNumber,
            CallSid = callSid,
            Result = result,
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
            UserAgent = userAgent.Length > 300 ? userAgent[..300] : userAgent,
            Details = details is { Length: > 300 } ? details[..300] : details,
        });
        // CancellationToken.None: a refused attempt is recorded even if the client hangs up at once.
        await db.SaveChangesAsync(CancellationToken.None);
        metrics.Accesses.Add(1, new KeyValuePair<string, object?>("action", action), new KeyValuePair<string, object?>("result", result));
    }
}
