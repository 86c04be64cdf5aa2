using System.Diagnostics;
using CallCenter.Core.Calendars;
using CallCenter.Core.Channels;
using CallCenter.Core.Privacy;
using CallCenter.Core.Routing;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Ivr;
using CallCenter.Server.Routing;
using CallCenter.Server.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CallCenter.Server.Channels;

/// <summary>A message from any channel that should become a service request.</summary>
/// <param name="Channel">Where it came from.</param>
/// <param name="ExternalId">The channel's id for the message (MessageSid, Message-ID); null when the channel has none (web form).</param>
/// <param name="Contact">Phone number or e-mail address to answer to.</param>
/// <param name="Line">The hotline number the message was sent to (SMS); null for channels that reach the centre as a whole.</param>
/// <param name="Category">The category the sender chose (web form); null to classify from the text.</param>
/// <param name="Subject">E-mail subject or form title.</param>
/// <param name="Body">The customer's text.</param>
public sealed record IncomingRequest(RequestChannel Channel, string? ExternalId, string Contact, string? Line, string? Category, string? Subject, string Body);

/// <summary>The request a message became, and whether this delivery created it (false for a retried delivery).</summary>
public sealed record IntakeResult(ServiceRequest Request, bool Created);

/// <summary>
/// Turns a message into a service request: links it to the customer, gives it its category's due time on the line's
/// calendar, stores it (one row per channel message id, so retries are one request), writes "request.received" to the
/// call log and puts it into the channel's ACD queue.
/// </summary>
public sealed class ServiceRequestIntake(
    CallCenterDbContext db, ICallEventLog callLog, AcdHost acd, IvrFlowCatalog flows, IOptions<ChannelOptions> options, TimeProvider clock)
{
    /// <summary>Stores and routes the request; <paramref name="attachments"/> were already sealed into storage by the caller.</summary>
    public async Task<IntakeResult> ReceiveAsync(IncomingRequest incoming, IReadOnlyList<ServiceRequestAttachment> attachments, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(incoming);
        ArgumentNullException.ThrowIfNull(attachments);
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("channels.intake");
        activity?.SetTag("request.channel", incoming.Channel.ToString());
        if (await FindByExternalIdAsync(incoming.Channel, incoming.ExternalId, ct) is { } earlier)
            return await ReplayedAsync(earlier, ct);

        var settings = options.Value;
        var policy = settings.Policy();
        var (line, calendar) = LineOf(incoming.Line ?? settings.Line);
        var category = policy.Find(incoming.Category) ?? policy.Classify($"{incoming.Subject} {incoming.Body}");
        var now = clock.GetUtcNow();
        var customerId = incoming.Channel == RequestChannel.Email || incoming.Contact.Contains('@', StringComparison.Ordinal)
            ? null : await VerifiedCustomerAsync(incoming.Contact, ct);
        var request = new ServiceRequest
        {
            Reference = NewReference(),
            Channel = incoming.Channel,
            ExternalId = incoming.ExternalId,
            Contact = incoming.Contact,
            CustomerId = customerId,
            CustomerKey = customerId ?? incoming.Contact,
            Line = line,
            Category = category.Name,
            Queue = settings.QueueOf(incoming.Channel),
            Subject = incoming.Subject,
            Body = incoming.Body,
            ReceivedAt = now,
            DueAt = ServiceRequestPolicy.DueAt(category, now, calendar),
            Status = ServiceRequestStatus.Open,
        };
        request.Attachments.AddRange(attachments);
        db.ServiceRequests.Add(request);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another delivery of the same message won the race: that one is the request.
            db.ChangeTracker.Clear();
            var winner = await FindByExternalIdAsync(incoming.Channel, incoming.ExternalId, ct)
                ?? throw new InvalidOperationException("A unique violation without the row that caused it.", ex);
            return await ReplayedAsync(winner, ct);
        }
        activity?.SetTag("request.reference", request.Reference);
        await RouteAsync(request, ct);
        return new IntakeResult(request, true);
    }

    /// <summary>Whether a message with this channel id was already taken as a request.</summary>
    public Task<bool> IsKnownAsync(RequestChannel channel, string externalId, CancellationToken ct) =>
        db.ServiceRequests.AnyAsync(r => r.Channel == channel && r.ExternalId == externalId, ct);

    /// <summary>Masks a contact for logs and consoles: phone numbers keep prefix and last four digits, addresses their first letter and domain.</summary>
    public static string MaskContact(string contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var at = contact.IndexOf('@', StringComparison.Ordinal);
        return at switch
        {
            < 0 => PhoneNumberMask.Mask(contact) ?? "",
            0 => "***" + contact,
            _ => contact[0] + "***" + contact[at..],
        };
    }

    /// <summary>The hotline number and calendar a request follows: the flow answering the number, else the only flow, else 7×24.</summary>
    private (string Line, BusinessCalendar Calendar) LineOf(string? number)
    {
        var flow = (number is null ? null : flows.ForNumber(number)?.Flow) ?? (flows.Flows.Count == 1 ? flows.Flows.Single() : null);
        return (number ?? (flow is { Numbers.Count: > 0 } ? flow.Numbers[0] : null) ?? "", flow?.Calendar ?? BusinessCalendar.AlwaysOpen);
    }

    // A number that passed the IVR's security check before identifies the customer; otherwise the contact does.
    private async Task<string?> VerifiedCustomerAsync(string phone, CancellationToken ct) =>
        await db.Database.SqlQuery<string>($"""
            SELECT f.customer_key AS "Value" FROM call_facts f JOIN calls c ON c.call_sid = f.call_sid
            WHERE c.from_number = {phone} AND f.verified AND f.customer_key IS NOT NULL
            ORDER BY f.started_at DESC LIMIT 1
            """).ToListAsync(ct) is [var id, ..] ? id : null;

    private async Task<ServiceRequest?> FindByExternalIdAsync(RequestChannel channel, string? externalId, CancellationToken ct) =>
        externalId is null ? null
            : await db.ServiceRequests.Include(r => r.Attachments).SingleOrDefaultAsync(r => r.Channel == channel && r.ExternalId == externalId, ct);

    // A retried delivery changes nothing; an open request is routed again in case the first delivery stopped half-way
    // (both steps are idempotent: the event's step key, and the ACD refusing an id it already holds).
    private async Task<IntakeResult> ReplayedAsync(ServiceRequest request, CancellationToken ct)
    {
        Activity.Current?.SetTag("request.replayed", true);
        if (request.Status == ServiceRequestStatus.Open) await RouteAsync(request, ct);
        return new IntakeResult(request, false);
    }

    private async Task RouteAsync(ServiceRequest request, CancellationToken ct)
    {
        var payload = CallEventPayload.Serialize(new
        {
            channel = request.Channel.ToString().ToLowerInvariant(),
            category = request.Category,
            queue = request.Queue,
            line = request.Line,
            contact = MaskContact(request.Contact),
            verified = request.CustomerId is not null,
            receivedAt = request.ReceivedAt,
            dueAt = request.DueAt,
            attachments = request.Attachments.Count,
        });
        await callLog.AppendAsync(new NewCallEvent(request.Stream, "request.received", "request.received", request.ReceivedAt, payload), ct);
        await acd.EnqueueAsync(new CallRequest(request.Stream, request.Queue) { CustomerId = request.CustomerKey }, ct);
    }

    private static string NewReference() => "SR" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));
}
