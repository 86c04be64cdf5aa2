using System.ComponentModel.DataAnnotations;
using CallCenter.Server.Staff;
using CallCenter.Server.Telephony;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Twilio.Jwt.AccessToken;

namespace CallCenter.Server.Agents;

/// <summary>
/// Twilio Voice SDK credentials for the console's softphone (environment Twilio__Voice__ApiKeySid and so on).
/// Without them the console runs in no-audio mode, driving the same agent API.
/// </summary>
public sealed class VoiceTokenOptions
{
    public const string SectionName = "Twilio:Voice";

    /// <summary>An API key (SK…) of the account; tokens are signed with its secret, never with the auth token.</summary>
    public string? ApiKeySid { get; set; }

    public string? ApiKeySecret { get; set; }

    /// <summary>The TwiML app (AP…) for calls the softphone places; optional, agents mostly receive calls.</summary>
    public string? TwimlAppSid { get; set; }

    /// <summary>How long a token lives; the console asks for a new one before it runs out.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "01:00:00")]
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>Mints short-lived Twilio Voice access tokens whose identity is the logged-in agent's softphone client.</summary>
public static class VoiceTokenApi
{
    /// <summary>A Voice SDK access token, the client identity it registers as, and when it expires.</summary>
    public sealed record VoiceToken(string Token, string Identity, DateTimeOffset ExpiresAt);

    public static IEndpointRouteBuilder MapVoiceTokenApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/agent/voice-token", Mint).WithTags("Agent").RequireStaff().WithName("AgentVoiceToken")
            .WithSummary("A short-lived Twilio Voice access token for your softphone; 404 when the server has no Voice credentials (no-audio mode).");
        return routes;
    }

    private static Results<Ok<VoiceToken>, ProblemHttpResult> Mint(
        HttpContext http, IOptions<VoiceTokenOptions> voice, IOptions<TwilioOptions> twilio, TimeProvider clock)
    {
        var v = voice.Value;
        if (twilio.Value.AccountSid is not { Length: > 0 } accountSid || v.ApiKeySid is not { Length: > 0 } keySid || v.ApiKeySecret is not { Length: > 0 } secret)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No audio on this server",
                detail: "Twilio:AccountSid, Twilio:Voice:ApiKeySid and Twilio:Voice:ApiKeySecret are not configured; use the console without audio.");

        var identity = TwilioCallControl.ClientIdentity(http.User.WorkNumber());
        var expires = clock.GetUtcNow() + v.TokenLifetime;
        var grant = new VoiceGrant { IncomingAllow = true, OutgoingApplicationSid = v.TwimlAppSid };
        var token = new Token(accountSid, keySid, secret, identity, expiration: expires.UtcDateTime, grants: new HashSet<IGrant> { grant });
        return TypedResults.Ok(new VoiceToken(token.ToJwt(), identity, expires));
    }
}
