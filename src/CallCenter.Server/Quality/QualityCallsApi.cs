using System.Security.Claims;
using System.Text.Json;
using CallCenter.Core.Privacy;
using CallCenter.Server.Archive;
using CallCenter.Server.Audit;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace CallCenter.Server.Quality;

/// <summary>
/// Finding and hearing calls for QA: search over recorded calls (date, queue, agent, disposition, reason family,
/// duration, complaint, score status, words spoken), the call's event timeline, its transcript (every read in the
/// recording access log, like playback), the caller's number (masked; unmasked only for supervisors, audited) and
/// the transcription status.
/// </summary>
public static class QualityCallsApi
{
    public sealed record CallHit(long ArchiveNumber, string CallSid, string? Agent, string? Queue, DateTimeOffset CallStartedAt,
        int DurationSeconds, string CallerNumber, string? Disposition, string? ReasonFamily, bool Complaint, int Evaluations,
        string Transcript, PhraseView? MatchedPhrase);

    public sealed record PhraseView(int? Channel, int? Speaker, int OffsetMs, int DurationMs, string? Locale, string Text);

    public sealed record TranscriptView(long ArchiveNumber, string CallSid, string Status, string? Detail, IReadOnlyList<PhraseView> Phrases);

    public sealed record TimelineEntry(long Seq, string Type, DateTimeOffset OccurredAt, double SecondsFromStart, IReadOnlyDictionary<string, string> Details);

    public sealed record TranscriptionStatusView(bool Enabled, string? DisabledReason, int Pending, int Done, int Failed);

    public sealed record CallerNumberView(string CallSid, string Number);

    public static IEndpointRouteBuilder MapQualityCallsApi(this IEndpointRouteBuilder routes)
    {
        var qa = routes.MapGroup("/api/qa").WithTags("Quality");
        qa.MapGet("/calls", SearchAsync).WithName("SearchQaCalls").RequireStaff(ArchiveApi.RecordingsPolicy);
        qa.MapGet("/calls/{callSid}/timeline", TimelineAsync).WithName("QaCallTimeline").RequireStaff(ArchiveApi.RecordingsPolicy);
        qa.MapPost("/calls/{callSid}/caller-number", UnmaskAsync).WithName("UnmaskCallerNumber").RequireStaff(StaffAuthentication.SupervisorPolicy);
        qa.MapGet("/recordings/{archiveNumber:long}/transcript", TranscriptAsync).WithName("QaTranscript").RequireStaff();
        qa.MapGet("/transcription/status", StatusAsync).WithName("TranscriptionStatus").RequireStaff(ArchiveApi.RecordingsPolicy);
        return routes;
    }

    /// <summary>
    /// Recorded calls by every filter; with words, only calls with a phrase matching them all, alone or joined to the next phrase
    /// of its channel and speaker (words said across one of Azure's cuts). The first phrase matching alone is returned, else the
    /// first pair, joined, for the player to jump to.
    /// </summary>
    private const string SearchSql = """
        SELECT r.archive_number, r.call_sid, r.agent, r.queue, r.call_started_at, r.duration_seconds, c.from_number,
               w.disposition, w.reason_family, k.complaint, ev.n, coalesce(j.state, 'none'),
               m.channel, m.speaker, m.offset_ms, m.duration_ms, m.locale, m.text
        FROM archived_recordings r
        LEFT JOIN calls c ON c.call_sid = r.call_sid
        LEFT JOIN LATERAL (SELECT e.payload->>'disposition' AS disposition, e.payload->>'reasonFamily' AS reason_family
                           FROM call_events e WHERE e.call_sid = r.call_sid AND e.type = 'agent.wrap_up'
                           ORDER BY e.call_seq DESC LIMIT 1) w ON true
        CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM call_events e WHERE e.call_sid = r.call_sid AND e.type = 'ivr.complaint') AS complaint) k
        CROSS JOIN LATERAL (SELECT count(*)::int AS n FROM qa_evaluations v WHERE v.archive_number = r.archive_number) ev
        LEFT JOIN transcription_jobs j ON j.archive_number = r.archive_number
        LEFT JOIN LATERAL (SELECT p.channel, p.speaker, p.offset_ms, p.duration_ms, p.locale,
                                  CASE WHEN p.search_vector @@ kb_query(@words, false) THEN p.text ELSE qa_span_text(p.text, p.next_text) END AS text
                           FROM transcript_phrases p
                           WHERE @words::text IS NOT NULL AND p.archive_number = r.archive_number AND p.span_vector @@ kb_query(@words, false)
                           ORDER BY p.search_vector @@ kb_query(@words, false) DESC, p.offset_ms LIMIT 1) m ON true
        WHERE r.destroyed_at IS NULL
          AND (@from::timestamptz IS NULL OR r.call_started_at >= @from)
          AND (@to::timestamptz IS NULL OR r.call_started_at < @to)
          AND (@queue::text IS NULL OR r.queue = @queue)
          AND (@agent::text IS NULL OR r.agent = @agent)
          AND (@disposition::text IS NULL OR w.disposition = @disposition)
          AND (@reason::text IS NULL OR w.reason_family = @reason)
          AND (@minDuration::int IS NULL OR r.duration_seconds >= @minDuration)
          AND (@maxDuration::int IS NULL OR r.duration_seconds <= @maxDuration)
          AND (@complaint::boolean IS NULL OR k.complaint = @complaint)
          AND (@scored::boolean IS NULL OR (ev.n > 0) = @scored)
          AND (@words::text IS NULL OR m.text IS NOT NULL)
        ORDER BY r.call_started_at DESC, r.archive_number DESC
        LIMIT @limit
        """;

    private static async Task<Results<Ok<IReadOnlyList<CallHit>>, ValidationProblem>> SearchAsync(
        DateTimeOffset? from, DateTimeOffset? to, string? queue, string? agent, string? disposition, string? reasonFamily,
        int? minDuration, int? maxDuration, bool? complaint, string? scored, string? words, int? limit,
        HttpContext http, NpgsqlDataSource dataSource, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (from is not null && to is not null && to <= from) errors["to"] = ["to must be after from."];
        if (minDuration < 0 || maxDuration < 0) errors["duration"] = ["Durations are seconds, 0 or more."];
        if (scored is not (null or "scored" or "unscored")) errors["scored"] = ["scored is 'scored' or 'unscored'."];
        if (words is { Length: > 200 }) errors["words"] = ["At most 200 characters."];
        if (limit is < 1 or > 500) errors["limit"] = ["limit is 1 to 500."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid search");

        await using var cmd = dataSource.CreateCommand(SearchSql);
        var p = cmd.Parameters;
        p.Add(new NpgsqlParameter("from", NpgsqlDbType.TimestampTz) { Value = (object?)from?.ToUniversalTime() ?? DBNull.Value });
        p.Add(new NpgsqlParameter("to", NpgsqlDbType.TimestampTz) { Value = (object?)to?.ToUniversalTime() ?? DBNull.Value });
        p.Add(Text("queue", queue));
        p.Add(Text("agent", agent));
        p.Add(Text("disposition", disposition));
        p.Add(Text("reason", reasonFamily));
        p.Add(new NpgsqlParameter("minDuration", NpgsqlDbType.Integer) { Value = (object?)minDuration ?? DBNull.Value });
        p.Add(new NpgsqlParameter("maxDuration", NpgsqlDbType.Integer) { Value = (object?)maxDuration ?? DBNull.Value });
        p.Add(new NpgsqlParameter("complaint", NpgsqlDbType.Boolean) { Value = (object?)complaint ?? DBNull.Value });
        p.Add(new NpgsqlParameter("scored", NpgsqlDbType.Boolean) { Value = scored is null ? DBNull.Value : scored == "scored" });
        p.Add(Text("words", words));
        p.AddWithValue("limit", limit ?? 100);
        var hits = new List<CallHit>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            PhraseView? matched = r.IsDBNull(17) ? null : new PhraseView(r.IsDBNull(12) ? null : r.GetInt32(12),
                r.IsDBNull(13) ? null : r.GetInt32(13), r.GetInt32(14), r.GetInt32(15), r.IsDBNull(16) ? null : r.GetString(16), r.GetString(17));
            hits.Add(new CallHit(r.GetInt64(0), r.GetString(1), Str(r, 2), Str(r, 3), r.GetFieldValue<DateTimeOffset>(4), r.GetInt32(5),
                PhoneNumberMask.Mask(Str(r, 6)), Str(r, 7), Str(r, 8), r.GetBoolean(9), r.GetInt32(10), r.GetString(11), matched));
        }
        // A matched phrase is a piece of the transcript shown on screen: each one shown is a read of that transcript.
        var now = clock.GetUtcNow();
        foreach (var hit in hits.Where(x => x.MatchedPhrase is not null))
            db.RecordingAccessLog.Add(new RecordingAccessEntry
            {
                OccurredAt = now, WorkNumber = http.User.WorkNumber(), Role = http.User.FindFirstValue(ClaimTypes.Role), Action = "search",
                ArchiveNumber = hit.ArchiveNumber, CallSid = hit.CallSid, Result = "allowed", RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
                Details = words is { Length: > 300 } ? words[..300] : words,
            });
        await db.SaveChangesAsync(CancellationToken.None);
        return TypedResults.Ok<IReadOnlyList<CallHit>>(hits);
    }

    private static NpgsqlParameter Text(string name, string? value) =>
        new(name, NpgsqlDbType.Text) { Value = string.IsNullOrWhiteSpace(value) ? DBNull.Value : value.Trim() };

    private static string? Str(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    /// <summary>Payload fields a reviewer needs to follow the call (path, waits, transfers, pauses); numbers and free text stay out.</summary>
    private static readonly string[] TimelineFields =
        ["node", "flow", "step", "digits", "choice", "option", "language", "queue", "agent", "waitedSeconds", "reason", "target", "disposition",
         "reasonFamily", "operation", "result", "status", "priority"];

    private static async Task<Results<Ok<IReadOnlyList<TimelineEntry>>, ProblemHttpResult>> TimelineAsync(
        string callSid, CallCenterDbContext db, CancellationToken ct)
    {
        var events = await db.CallEvents.AsNoTracking().Where(e => e.CallSid == callSid).OrderBy(e => e.CallSeq)
            .Select(e => new { e.CallSeq, e.Type, e.OccurredAt, e.Payload }).ToListAsync(ct);
        if (events.Count == 0) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such call");
        var start = events[0].OccurredAt;
        return TypedResults.Ok<IReadOnlyList<TimelineEntry>>([.. events.Select(e =>
            new TimelineEntry(e.CallSeq, e.Type, e.OccurredAt, (e.OccurredAt - start).TotalSeconds, Details(e.Payload)))]);
    }

    private static Dictionary<string, string> Details(string payload)
    {
        var details = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(payload);
            Collect(doc.RootElement, details);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("data", out var data)) Collect(data, details);
        }
        catch (JsonException)
        {
            // A payload that is not JSON shows as the event type alone.
        }
        return details;
    }

    private static void Collect(JsonElement element, Dictionary<string, string> into)
    {
        if (element.ValueKind != JsonValueKind.Object) return;
        foreach (var field in TimelineFields)
            if (element.TryGetProperty(field, out var value) && value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                into.TryAdd(field, value.ToString());
    }

    private static async Task<Results<Ok<CallerNumberView>, ProblemHttpResult>> UnmaskAsync(
        string callSid, HttpContext http, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var number = await db.Calls.AsNoTracking().Where(c => c.CallSid == callSid).Select(c => c.FromNumber).SingleOrDefaultAsync(ct);
        if (number is null) return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such call");
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = clock.GetUtcNow(), Operator = http.User.WorkNumber(), Action = "qa.caller_number.unmask",
            Target = $"call {callSid}", Result = "succeeded" });
        await db.SaveChangesAsync(CancellationToken.None);
        return TypedResults.Ok(new CallerNumberView(callSid, number));
    }

    private static async Task<Results<Ok<TranscriptView>, ProblemHttpResult>> TranscriptAsync(
        long archiveNumber, HttpContext http, CallCenterDbContext db, AzureFastTranscription azure, IAuthorizationService authorization,
        TimeProvider clock, CancellationToken ct)
    {
        var allowed = (await authorization.AuthorizeAsync(http.User, ArchiveApi.RecordingsPolicy)).Succeeded;
        var recording = allowed ? await db.ArchivedRecordings.AsNoTracking().Where(r => r.ArchiveNumber == archiveNumber)
            .Select(r => new { r.CallSid, r.DestroyedAt }).SingleOrDefaultAsync(ct) : null;
        var result = !allowed ? "refused" : recording is null || recording.DestroyedAt is not null ? "missing" : "allowed";
        db.RecordingAccessLog.Add(new RecordingAccessEntry
        {
            OccurredAt = clock.GetUtcNow(), WorkNumber = http.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous",
            Role = http.User.FindFirstValue(ClaimTypes.Role), Action = "transcript", ArchiveNumber = archiveNumber, CallSid = recording?.CallSid,
            Result = result, RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
        });
        // CancellationToken.None: the read is recorded even if the client hangs up at once.
        await db.SaveChangesAsync(CancellationToken.None);
        if (!allowed)
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed to read transcripts",
                detail: "Only QA staff and supervisors may read transcripts. This attempt has been recorded.");
        if (result == "missing") return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such recording");

        var job = await db.TranscriptionJobs.AsNoTracking().Where(j => j.ArchiveNumber == archiveNumber)
            .Select(j => new { j.State, j.LastError, Batch = j.BatchUrl != null }).SingleOrDefaultAsync(ct);
        var phrases = await db.TranscriptPhrases.AsNoTracking().Where(p => p.ArchiveNumber == archiveNumber).OrderBy(p => p.OffsetMs).ThenBy(p => p.Channel)
            .Select(p => new PhraseView(p.Channel, p.Speaker, p.OffsetMs, p.DurationMs, p.Locale, p.Text)).ToListAsync(ct);
        var (status, detail) = job switch
        {
            null => ("none", "Archived before transcription existed; not queued."),
            { State: TranscriptionJobState.Pending } when azure.DisabledReason is { } reason => ("disabled", $"Transcription is off: {reason}"),
            { State: TranscriptionJobState.Failed } => ("failed", job.LastError),
            { State: TranscriptionJobState.Pending, Batch: true } => (job.State, "Too large for fast transcription: Azure batch transcription is working on it."),
            _ => (job.State, null),
        };
        return TypedResults.Ok(new TranscriptView(archiveNumber, recording!.CallSid, status, detail, phrases));
    }

    private static async Task<Ok<TranscriptionStatusView>> StatusAsync(CallCenterDbContext db, AzureFastTranscription azure, CancellationToken ct)
    {
        var counts = await db.TranscriptionJobs.AsNoTracking().GroupBy(j => j.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        int Count(string state) => counts.FirstOrDefault(c => c.Key == state)?.Count ?? 0;
        return TypedResults.Ok(new TranscriptionStatusView(azure.DisabledReason is null, azure.DisabledReason,
            Count(TranscriptionJobState.Pending), Count(TranscriptionJobState.Done), Count(TranscriptionJobState.Failed)));
    }
}
