using CallCenter.Server.Archive;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Channels;

/// <summary>
/// `POST /api/surveys/{token}`: the survey link's answer (unknown, answered or expired surveys change nothing); and
/// `GET /api/surveys/results` for QA and supervisors: answered surveys with the caller's recorded comment, if any.
/// </summary>
public static class SurveyApi
{
    public sealed record SurveyAnswer(int? Rating);

    /// <summary>
    /// One answered survey. A call survey's voice comment is played through the audited recordings endpoint
    /// (`/api/archive/recordings/{CommentArchiveNumber}/audio`) once archived; its transcript follows when transcribed.
    /// </summary>
    public sealed record SurveyResult(string Channel, string Subject, string? Queue, string? Agent, DateTimeOffset SentAt, DateTimeOffset AnsweredAt,
        int Rating, bool Satisfied, string? CommentRecordingSid, long? CommentArchiveNumber, string? CommentTranscript);

    /// <summary>Longest period one listing covers.</summary>
    public static readonly TimeSpan MaxResultsPeriod = TimeSpan.FromDays(31);

    public static IEndpointRouteBuilder MapSurveyApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/surveys/{token}", AnswerAsync).WithTags("Surveys").AllowAnonymous().WithName("AnswerSurvey")
            .WithSummary("Rate the service 1-5 (5 = very satisfied) once, through the survey link's token.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        routes.MapGet("/api/surveys/results", ResultsAsync).WithTags("Surveys").WithName("SurveyResults")
            .WithSummary("Surveys answered in [from, to) with rating, queue, agent and the caller's voice comment (archive number and transcript), for QA and supervisors.")
            .RequireStaff(ArchiveApi.RecordingsPolicy);
        return routes;
    }

    private static async Task<Results<Ok<SurveyResult[]>, ValidationProblem>> ResultsAsync(
        DateTimeOffset from, DateTimeOffset to, CallCenterDbContext db, Microsoft.Extensions.Options.IOptions<ChannelOptions> options, CancellationToken ct)
    {
        if (to <= from || to - from > MaxResultsPeriod)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = [$"to must be after from, at most {MaxResultsPeriod.TotalDays} days later."] },
                title: "Invalid period");
        var policy = options.Value.Surveys.Policy;
        var answered = await db.Surveys.AsNoTracking().Where(s => s.AnsweredAt >= from && s.AnsweredAt < to && s.Rating != null)
            .OrderBy(s => s.AnsweredAt).Take(5000).ToListAsync(ct);
        var sids = answered.Where(s => s.CommentRecordingSid is not null).Select(s => s.CommentRecordingSid!).ToList();
        var archived = await db.ArchivedRecordings.AsNoTracking().Where(r => sids.Contains(r.RecordingSid))
            .Select(r => new { r.RecordingSid, r.ArchiveNumber }).ToDictionaryAsync(r => r.RecordingSid, r => r.ArchiveNumber, ct);
        var numbers = archived.Values.ToList();
        var phrases = await db.TranscriptPhrases.AsNoTracking().Where(p => numbers.Contains(p.ArchiveNumber)).OrderBy(p => p.OffsetMs)
            .Select(p => new { p.ArchiveNumber, p.Text }).ToListAsync(ct);
        var transcripts = phrases.GroupBy(p => p.ArchiveNumber).ToDictionary(g => g.Key, g => string.Join(" ", g.Select(p => p.Text)));
        return TypedResults.Ok(answered.Select(s =>
        {
            long? number = s.CommentRecordingSid is { } sid && archived.TryGetValue(sid, out var n) ? n : null;
            return new SurveyResult(s.Channel, s.Subject, s.Queue, s.Agent, s.SentAt, s.AnsweredAt!.Value, s.Rating!.Value, policy.IsSatisfied(s.Rating.Value),
                s.CommentRecordingSid, number, number is { } k && transcripts.TryGetValue(k, out var text) ? text : null);
        }).ToArray());
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> AnswerAsync(
        string token, SurveyAnswer answer, SurveyService surveys, CancellationToken ct)
    {
        if (answer.Rating is not (>= 1 and <= 5) || token.Length > 64)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["rating"] = ["rating is a whole number 1 to 5."] }, title: "Invalid survey answer");
        return await surveys.AnswerByTokenAsync(token, answer.Rating.Value, ct) switch
        {
            SurveyAnswerOutcome.Recorded => TypedResults.NoContent(),
            SurveyAnswerOutcome.UnknownSurvey => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown survey", detail: "No survey has this link."),
            SurveyAnswerOutcome.AlreadyAnswered => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Survey already answered", detail: "Each survey is answered once; the first answer stands."),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Survey closed", detail: "This survey can no longer be answered."),
        };
    }
}
