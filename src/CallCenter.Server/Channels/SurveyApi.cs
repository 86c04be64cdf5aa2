using Microsoft.AspNetCore.Http.HttpResults;

namespace CallCenter.Server.Channels;

/// <summary>`POST /api/surveys/{token}`: the survey link's answer. Unknown, answered or expired surveys change nothing.</summary>
public static class SurveyApi
{
    public sealed record SurveyAnswer(int? Rating);

    public static IEndpointRouteBuilder MapSurveyApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/surveys/{token}", AnswerAsync).WithTags("Surveys").AllowAnonymous().WithName("AnswerSurvey")
            .WithSummary("Rate the service 1-5 (5 = very satisfied) once, through the survey link's token.")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return routes;
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
