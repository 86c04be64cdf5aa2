using CallCenter.Server.Hosting;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Telephony;

/// <summary>
/// Rejects any /twilio request whose X-Twilio-Signature does not match the public URL and form,
/// before the handler runs, so a forged request changes nothing. An address that keeps sending forged
/// requests is turned away with 429 for a while (<see cref="WebhookRefusalLimiter"/>).
/// ASP.NET builds the filter for every request, so what it needs is built once, in the singletons it takes.
/// </summary>
internal sealed class TwilioSignatureFilter(
    TwilioSignatureValidator validator, WebhookRefusalLimiter refusals, IOptions<RequestRateLimitOptions> limits) : IEndpointFilter
{
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
        var form = request.HasFormContentType ? await request.ReadFormAsync(context.HttpContext.RequestAborted) : null;
        if (!validator.IsValid(string.Concat(request.PathBase.ToString(), request.Path.ToString(), request.QueryString.ToString()), form, signature))
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
