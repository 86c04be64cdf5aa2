using CallCenter.Core.Channels;

namespace CallCenter.Server.Channels;

/// <summary>Where a service request is in its life.</summary>
public enum ServiceRequestStatus
{
    /// <summary>Waiting for, or with, an agent.</summary>
    Open,
    /// <summary>An agent's reply is on its way; a second reply is refused meanwhile.</summary>
    Sending,
    /// <summary>The customer has been answered.</summary>
    Answered,
}

/// <summary>
/// One non-phone request (SMS, e-mail incl. fax, web form), linked to the customer, with the due time its category
/// gives it on the line's calendar. Its steps are events in the call log under <see cref="Stream"/>.
/// </summary>
public sealed class ServiceRequest
{
    public long Id { get; private set; }

    /// <summary>Public reference, e.g. SR3F9A1C0B7D2E.</summary>
    public required string Reference { get; init; }

    public required RequestChannel Channel { get; init; }

    /// <summary>The sender's id for the message (Twilio MessageSid, e-mail Message-ID); unique per channel so a retried delivery is one request.</summary>
    public string? ExternalId { get; init; }

    /// <summary>Phone number (E.164) or e-mail address the answer goes to.</summary>
    public required string Contact { get; init; }

    /// <summary>Verified customer id when the same number passed the IVR's verification before; otherwise null.</summary>
    public string? CustomerId { get; init; }

    /// <summary>The customer as reports and surveys count them: the verified id, else the contact.</summary>
    public required string CustomerKey { get; init; }

    /// <summary>The hotline line whose calendar set the due time.</summary>
    public required string Line { get; init; }

    public required string Category { get; init; }

    public required string Queue { get; init; }

    public string? Subject { get; init; }

    public required string Body { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }

    public DateTimeOffset DueAt { get; init; }

    public ServiceRequestStatus Status { get; set; }

    /// <summary>The agent who answered.</summary>
    public string? Agent { get; set; }

    /// <summary>When the first answer was sent: timeliness compares it with <see cref="DueAt"/>.</summary>
    public DateTimeOffset? AnsweredAt { get; set; }

    public List<ServiceRequestAttachment> Attachments { get; } = [];

    /// <summary>The call-log stream of this request.</summary>
    public string Stream => StreamOf(Reference);

    /// <summary>Prefix of every request's call-log stream; the ACD knows such an id has no caller to connect.</summary>
    public const string StreamPrefix = "request:";

    public static string StreamOf(string reference) => StreamPrefix + reference;

    /// <summary>Whether an ACD or call-log id is a request's stream.</summary>
    public static bool IsStream(string id) => id.StartsWith(StreamPrefix, StringComparison.Ordinal);
}

/// <summary>A file that came with an e-mail, sealed (AES-256-GCM, data key wrapped by the archive's master key) in archive storage.</summary>
public sealed class ServiceRequestAttachment
{
    public long Id { get; private set; }
    public long RequestId { get; init; }
    public required string FileName { get; init; }
    public required string ContentType { get; init; }
    public long Bytes { get; init; }
    public required byte[] Sha256 { get; init; }
    public required string StorageKey { get; init; }
    public required string KeyId { get; init; }
    public required byte[] WrappedKey { get; init; }
}

/// <summary>Another message in a request's thread: the customer's follow-up or the agent's reply.</summary>
public sealed class ServiceRequestMessage
{
    public long Id { get; private set; }
    public long RequestId { get; init; }
    /// <summary>"in" from the customer, "out" to them.</summary>
    public required string Direction { get; init; }
    public required string Body { get; init; }
    /// <summary>Twilio MessageSid (in or out) or SMTP message id; unique so a retried webhook adds nothing.</summary>
    public string? ExternalId { get; init; }
    public string? Agent { get; init; }
    public DateTimeOffset At { get; init; }
}

/// <summary>One satisfaction survey sent to a customer after a text request or a call; answered at most once.</summary>
public sealed class Survey
{
    public long Id { get; private set; }

    /// <summary>Unguessable id in the survey link.</summary>
    public required string Token { get; init; }

    public required string CustomerKey { get; init; }

    /// <summary>"sms", "email", "web" or "phone": the channel the service was given on.</summary>
    public required string Channel { get; init; }

    /// <summary>The request reference or CallSid surveyed.</summary>
    public required string Subject { get; init; }

    public string? Queue { get; init; }

    public string? Agent { get; init; }

    /// <summary>Where the survey was sent (phone or e-mail address); answers by SMS are matched on it.</summary>
    public required string Contact { get; init; }

    public DateTimeOffset SentAt { get; init; }

    public DateTimeOffset? AnsweredAt { get; set; }

    public int? Rating { get; set; }

    /// <summary>The SMS or e-mail that answered, so a retried delivery of it is recognised.</summary>
    public string? AnswerMessageId { get; set; }

    /// <summary>The caller's optional recorded comment after a call survey's rating (archived like any recording of the call).</summary>
    public string? CommentRecordingSid { get; set; }
}

/// <summary>A customer who asked not to be surveyed.</summary>
public sealed class SurveyOptOut
{
    public required string CustomerKey { get; init; }
    public DateTimeOffset At { get; init; }
    public required string Source { get; init; }
}
