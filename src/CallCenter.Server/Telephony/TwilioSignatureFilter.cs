using CallCenter.Server.Hosting;
using Microsoft.Extensions.Options;
using Twilio.Security;

namespace CallCenter.Server.Telephony;

/// <summary>
/// Rejects any /twilio request whose X-Twilio-Signature does not match the public URL and form,
/// before the handler runs, so a forged request changes nothing. An address that keeps sending forged
/// requests is turned away with 429 for a while (<see cref="WebhookRefusalLimiter"/>).
/// </summary>
internal sealed class TwilioSignatureFilter(
    IOptions<TwilioOptions> options, WebhookRefusalLimiter refusals, IOptions<RequestRateLimitOptions> limits) : IEndpointFilter
{
    private readonly RequestValidator _validator = new(options.Value.AuthToken);
    private readonly string _publicBase = options.Value.PublicBaseUrl!.ToString().TrimEnd('/');

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var address = RequestRateLimits.ClientAddress(context.HttpContext);
        if (refusals.IsBlocked(address))
        {
            await RequestRateLimits.WriteTooManyRequestsAsync(context.HttpContext, limits.Value.WebhookRefusalWindow);
            return Results.Empty;
        }
        var request = context.HttpContext.Request;
        var signature = request.Headers["X-Twilio-Signature"].ToString();
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(context.HttpContext.RequestAborted);
            foreach (var (key, value) in form) parameters[key] = value.ToString();
        }
        var url = _publicBase + request.PathBase + request.Path + request.QueryString;
        if (signature.Length == 0 || !_validator.Validate(url, parameters, signature))
        {
            refusals.CountRefusal(address);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Invalid Twilio signature",
                detail: "X-Twilio-Signature is missing or does not match this URL and form.");
        }
        return await next(context);
    }
}
