using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using CallCenter.Core.Channels;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Channels;

/// <summary>
/// The e-mail intake (a mail gateway posts each message as multipart/form-data, whatever protocol it fetched it
/// with; faxes arrive the same way as scanned e-mails) and the public web contact form.
/// </summary>
public static partial class IntakeApi
{
    public const string GatewayKeyHeader = "X-Mail-Gateway-Key";
    public const string WebFormRateLimit = "web-contact-form";

    /// <summary>What the intake answers for a request it took (or had already taken from an earlier delivery).</summary>
    public sealed record RequestReceipt(string Reference, string Category, DateTimeOffset DueAt, bool Created);

    /// <summary>The web contact form: a phone number or an e-mail address to answer to, and the message.</summary>
    public sealed record WebContactForm(string? Name, string? Phone, string? Email, string? Category, string? Message);

    public static IEndpointRouteBuilder MapIntakeApi(this IEndpointRouteBuilder routes)
    {
        var channels = routes.MapGroup("/api/channels").WithTags("Channels").AllowAnonymous();
        // Authenticated by the gateway's shared secret; not a browser form, so no antiforgery token.
        channels.MapPost("/email", EmailAsync).DisableAntiforgery().WithName("EmailIntake")
            .WithSummary("A mail gateway delivers one e-mail (fields messageId, from, subject, text; files as attachments).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden);
        channels.MapPost("/web", WebAsync).RequireRateLimiting(WebFormRateLimit).WithName("WebContactForm")
            .WithSummary("The public contact form: becomes a service request answered by SMS or e-mail.")
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return routes;
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164();

    internal static async Task<Results<Ok<RequestReceipt>, Created<RequestReceipt>, Ok<string>, ValidationProblem, ProblemHttpResult>> EmailAsync(
        HttpRequest request, ServiceRequestIntake intake, SurveyService surveys, AttachmentStore attachments, IOptions<ChannelOptions> options,
        CancellationToken ct)
    {
        var limits = options.Value.Email;
        if (!GatewayKeyMatches(request.Headers[GatewayKeyHeader].ToString(), limits.GatewayKey))
            return Problem(StatusCodes.Status403Forbidden, "Unknown mail gateway", $"{GatewayKeyHeader} is missing or wrong.");
        // Refused before the body is read, so an oversized message costs no memory and leaves nothing behind.
        if (request.ContentLength is not { } length)
            return Problem(StatusCodes.Status400BadRequest, "E-mail without a length", "Send the message with a Content-Length.");
        if (length > limits.MaxMessageBytes)
            return Problem(StatusCodes.Status400BadRequest, "E-mail too large", $"The message has {length} bytes; at most {limits.MaxMessageBytes} are taken.");
        if (!request.HasFormContentType)
            return Problem(StatusCodes.Status400BadRequest, "Malformed e-mail", "Post the message as multipart/form-data.");
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(ct);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
        {
            return Problem(StatusCodes.Status400BadRequest, "Malformed e-mail", "The multipart body could not be read: " + ex.Message);
        }

        var errors = new Dictionary<string, string[]>();
        var messageId = form["messageId"].ToString().Trim();
        var from = form["from"].ToString().Trim();
        var subject = form["subject"].ToString().Trim();
        var text = form["text"].ToString().Trim();
        if (messageId.Length is 0 or > 200) errors["messageId"] = ["messageId (the Message-ID header) is 1 to 200 characters."];
        if (from.Length > 320 || !MailAddress.TryCreate(from, out var sender)) errors["from"] = ["from must be one e-mail address."];
        else from = sender.Address.ToLowerInvariant();
        if (subject.Length > 500) errors["subject"] = ["subject is at most 500 characters."];
        if (text.Length > limits.MaxTextLength) errors["text"] = [$"text is at most {limits.MaxTextLength} characters."];
        if (text.Length == 0 && form.Files.Count == 0) errors["text"] = ["The e-mail has neither text nor attachments."];
        if (form.Files.Count > limits.MaxAttachments) errors["attachments"] = [$"At most {limits.MaxAttachments} attachments are taken."];
        for (var i = 0; i < form.Files.Count; i++)
        {
            var file = form.Files[i];
            if (file.Length == 0 || file.Length > limits.MaxAttachmentBytes)
                errors[$"attachments[{i}]"] = [$"{file.FileName}: an attachment is 1 to {limits.MaxAttachmentBytes} bytes."];
            else if (System.IO.Path.GetFileName(file.FileName) is not { Length: > 0 and <= 255 })
                errors[$"attachments[{i}]"] = ["Each attachment needs a file name of at most 255 characters."];
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Malformed e-mail");

        // A reply to a survey e-mail is an answer, not a request; only its first line counts (the rest is quoted mail).
        var firstLine = text.Split('\n', 2)[0];
        if (form.Files.Count == 0 && await surveys.TryHandleReplyAsync(from, firstLine, "email:" + messageId, ct))
            return TypedResults.Ok("survey");

        if (form.Files.Count > 0 && !attachments.CanStore)
            return Problem(StatusCodes.Status503ServiceUnavailable, "Attachments cannot be stored", "No archive master key is configured.");
        var incoming = new IncomingRequest(RequestChannel.Email, messageId, from, null, null, subject.Length == 0 ? null : subject, text);
        var stored = new List<ServiceRequestAttachment>();
        IntakeResult result;
        try
        {
            if (!await intake.IsKnownAsync(RequestChannel.Email, messageId, ct))
            {
                foreach (var file in form.Files) stored.Add(await attachments.StoreAsync(file, ct));
            }
            result = await intake.ReceiveAsync(incoming, stored, ct);
        }
        catch
        {
            await attachments.DeleteAsync(stored);
            throw;
        }
        // Another delivery of the same e-mail got in first: its files are the request's, these are not needed.
        if (!result.Created) await attachments.DeleteAsync(stored);
        return Receipt(result);
    }

    internal static async Task<Results<Ok<RequestReceipt>, Created<RequestReceipt>, Ok<string>, ValidationProblem, ProblemHttpResult>> WebAsync(
        WebContactForm? form, ServiceRequestIntake intake, IOptions<ChannelOptions> options, CancellationToken ct)
    {
        if (form is null) return Problem(StatusCodes.Status400BadRequest, "Empty form", "Post the form as JSON.");
        var settings = options.Value;
        var errors = new Dictionary<string, string[]>();
        var phone = form.Phone?.Trim();
        var email = form.Email?.Trim();
        var message = form.Message?.Trim() ?? "";
        var name = form.Name?.Trim();
        if (!string.IsNullOrEmpty(phone) && !E164().IsMatch(phone)) errors["phone"] = ["phone must be in international form, e.g. +8613812345678."];
        if (!string.IsNullOrEmpty(email) && (email.Length > 320 || !MailAddress.TryCreate(email, out _))) errors["email"] = ["email must be one e-mail address."];
        if (string.IsNullOrEmpty(phone) && string.IsNullOrEmpty(email)) errors["contact"] = ["Give a phone number or an e-mail address to be answered at."];
        if (message.Length == 0 || message.Length > settings.Web.MaxMessageLength) errors["message"] = [$"message is 1 to {settings.Web.MaxMessageLength} characters."];
        if (name is { Length: > 100 }) errors["name"] = ["name is at most 100 characters."];
        if (!string.IsNullOrWhiteSpace(form.Category) && settings.Policy().Find(form.Category) is null)
            errors["category"] = [$"category must be one of: {string.Join(", ", settings.Policy().Categories.Select(c => c.Name))}."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid contact form");

        // Answered by SMS when a phone number is given (it reaches the customer soonest), else by e-mail.
        var contact = !string.IsNullOrEmpty(phone) ? phone : email!.ToLowerInvariant();
        var subject = string.IsNullOrEmpty(name) ? "Web contact form" : $"Web contact form: {name}";
        var result = await intake.ReceiveAsync(new IncomingRequest(RequestChannel.Web, null, contact, null, form.Category, subject, message), [], ct);
        return Receipt(result);
    }

    private static Results<Ok<RequestReceipt>, Created<RequestReceipt>, Ok<string>, ValidationProblem, ProblemHttpResult> Receipt(IntakeResult result)
    {
        var receipt = new RequestReceipt(result.Request.Reference, result.Request.Category, result.Request.DueAt, result.Created);
        return result.Created ? TypedResults.Created((string?)null, receipt) : TypedResults.Ok(receipt);
    }

    private static bool GatewayKeyMatches(string presented, string configured) =>
        configured.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(configured));

    private static ProblemHttpResult Problem(int status, string title, string detail) => TypedResults.Problem(statusCode: status, title: title, detail: detail);
}
