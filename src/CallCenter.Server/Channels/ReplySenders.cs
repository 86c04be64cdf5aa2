using System.Net.Sockets;
using CallCenter.Server.Telephony;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Utils;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using Twilio.Types;

namespace CallCenter.Server.Channels;

/// <summary>A reply could not be handed to Twilio or the SMTP relay; nothing was sent (as far as we know).</summary>
public sealed class ReplyNotSentException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Sends a text message to a customer; returns the provider's message id.</summary>
public interface ISmsSender
{
    Task<string> SendAsync(string from, string to, string body, CancellationToken ct);
}

/// <summary>Sends an e-mail to a customer; returns its Message-ID.</summary>
public interface IEmailSender
{
    Task<string> SendAsync(string to, string subject, string body, string? inReplyTo, CancellationToken ct);
}

/// <summary>Twilio Programmable Messaging over REST, through the same resilient HTTP client as call control (POSTs never retried).</summary>
public sealed class TwilioSmsSender(IHttpClientFactory httpClients, IOptions<TwilioOptions> options) : ISmsSender
{
    public async Task<string> SendAsync(string from, string to, string body, CancellationToken ct)
    {
        var settings = options.Value;
        if (string.IsNullOrEmpty(settings.AccountSid))
            throw new ReplyNotSentException("Twilio:AccountSid is not configured, so no SMS can be sent.");
        var client = new TwilioRestClient(settings.AccountSid, settings.AuthToken, accountSid: settings.AccountSid,
            httpClient: new Twilio.Http.SystemNetHttpClient(httpClients.CreateClient(TwilioCallControl.HttpClientName)));
        try
        {
            // The helper library takes no token; the resilience pipeline's timeout bounds the wait instead.
            ct.ThrowIfCancellationRequested();
            var message = await MessageResource.CreateAsync(new CreateMessageOptions(new PhoneNumber(to)) { From = new PhoneNumber(from), Body = body }, client);
            return message.Sid;
        }
        catch (Exception ex) when (ex is ApiException or ApiConnectionException or HttpRequestException or Polly.Timeout.TimeoutRejectedException
                                   or Polly.CircuitBreaker.BrokenCircuitException or TwilioException)
        {
            throw new ReplyNotSentException($"Twilio did not take the SMS: {ex.Message}", ex);
        }
    }
}

/// <summary>Plain-text mail through the configured SMTP relay with MailKit (STARTTLS whenever offered).</summary>
public sealed class SmtpEmailSender(IOptions<ChannelOptions> options) : IEmailSender
{
    public async Task<string> SendAsync(string to, string subject, string body, string? inReplyTo, CancellationToken ct)
    {
        var smtp = options.Value.Smtp;
        if (string.IsNullOrWhiteSpace(smtp.Host))
            throw new ReplyNotSentException("Channels:Smtp:Host is not configured, so no e-mail can be sent.");
        var from = MailboxAddress.Parse(smtp.From);
        var message = new MimeMessage { Subject = subject, Body = new TextPart("plain") { Text = body } };
        message.From.Add(from);
        message.To.Add(MailboxAddress.Parse(to));
        message.MessageId = MimeUtils.GenerateMessageId(from.Domain);
        if (!string.IsNullOrEmpty(inReplyTo))
        {
            message.InReplyTo = inReplyTo;
            message.References.Add(inReplyTo);
        }
        using var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(smtp.Host, smtp.Port, smtp.RequireTls ? SecureSocketOptions.StartTls : SecureSocketOptions.StartTlsWhenAvailable, ct);
            if (!string.IsNullOrEmpty(smtp.UserName))
                await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", ct);
            await client.SendAsync(message, ct);
            await client.DisconnectAsync(quit: true, ct);
            return message.MessageId;
        }
        catch (Exception ex) when (ex is SmtpCommandException or SmtpProtocolException or MailKit.Security.AuthenticationException or ServiceNotConnectedException
                                   or IOException or SocketException or TimeoutException)
        {
            throw new ReplyNotSentException($"The SMTP relay did not take the e-mail: {ex.Message}", ex);
        }
    }
}
