using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.RegularExpressions;
using CallCenter.Core.Archive;
using CallCenter.Server.Archive;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CallCenter.Server.Channels;

/// <summary>Where a picture or file sent by MMS stands: waiting to be fetched from Twilio, sealed in the archive, or given up on.</summary>
public static class MediaState
{
    public const string Pending = "pending";
    public const string Stored = "stored";
    public const string Failed = "failed";
}

/// <summary>
/// One media item of an inbound MMS (Twilio's MediaUrl{i}/MediaContentType{i}). The row is written with the message, so
/// the text reaches the agent at once with the item marked pending; the fetch from Twilio is a durable job on this row
/// (lease, attempts, backoff), and the file is then sealed in archive storage like e-mail attachments and recordings.
/// </summary>
public sealed class ServiceRequestMedia
{
    public long Id { get; private set; }
    public long RequestId { get; init; }
    /// <summary>The MMS's MessageSid; with <see cref="MediaIndex"/> unique, so a retried webhook adds nothing.</summary>
    public required string MessageSid { get; init; }
    public int MediaIndex { get; init; }
    public required string AccountSid { get; init; }
    public required string MediaSid { get; init; }
    /// <summary>The content type Twilio declared in the webhook.</summary>
    public required string ContentType { get; init; }
    public DateTimeOffset ReceivedAt { get; init; }
    /// <summary>Kept at least the archive's statutory five years from arrival.</summary>
    public DateTimeOffset RetainUntil { get; init; }
    public string State { get; set; } = MediaState.Pending;
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public string? LastError { get; set; }
    public long? Bytes { get; set; }
    public byte[]? Sha256 { get; set; }
    public string? StorageKey { get; set; }
    public string? KeyId { get; set; }
    public byte[]? WrappedKey { get; set; }
    public DateTimeOffset? StoredAt { get; set; }
}

internal sealed class ServiceRequestMediaConfiguration : IEntityTypeConfiguration<ServiceRequestMedia>
{
    public void Configure(EntityTypeBuilder<ServiceRequestMedia> e)
    {
        e.ToTable("service_request_media");
        e.HasIndex(m => new { m.MessageSid, m.MediaIndex }).IsUnique();
        e.HasIndex(m => m.RequestId);
        // The fetch job scans only unfinished items, oldest due first.
        e.HasIndex(m => m.NextAttemptAt).HasFilter("state = 'pending'");
        e.Property(m => m.MessageSid).HasMaxLength(64);
        e.Property(m => m.AccountSid).HasMaxLength(64);
        e.Property(m => m.MediaSid).HasMaxLength(64);
        e.Property(m => m.ContentType).HasMaxLength(255);
        e.Property(m => m.State).HasMaxLength(16);
        e.Property(m => m.LastError).HasMaxLength(500);
        e.Property(m => m.StorageKey).HasMaxLength(255);
        e.Property(m => m.KeyId).HasMaxLength(64);
        e.HasOne<ServiceRequest>().WithMany().HasForeignKey(m => m.RequestId).OnDelete(DeleteBehavior.Restrict);
    }
}

/// <summary>One media item named by an inbound MMS webhook.</summary>
public sealed record IncomingMedia(int Index, string MediaSid, string ContentType);

/// <summary>
/// MMS media: read from the webhook, registered against the request, fetched from Twilio's Media resource over the
/// "twilio-rest" client (authenticated, Polly pipeline, Twilio:ApiBaseUrl), sealed into archive storage, and opened for
/// the agent or QA through an audited endpoint.
/// </summary>
public sealed partial class MmsMedia(CallCenterDbContext db, NpgsqlDataSource dataSource, IHttpClientFactory httpClients, IArchiveStorage storage,
    ArchiveKeyRing keys, IOptions<TwilioOptions> twilio, IOptions<ArchiveOptions> archive, ICallEventLog callLog, MediaFetchSignal signal,
    TimeProvider clock, ILogger<MmsMedia> logger)
{
    /// <summary>Twilio sends at most ten media items per message.</summary>
    public const int MaxItems = 10;

    /// <summary>Attempts before an item is given up on (the text itself is never lost).</summary>
    public const int MaxAttempts = 12;

    /// <summary>How long a claimed fetch may take before another worker may take it over.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private static readonly Uri TwilioApi = new("https://api.twilio.com");

    [GeneratedRegex("/Media/(ME[0-9a-fA-F]{32})$")]
    private static partial Regex MediaUrlPattern();

    // Letters and digits only: it is escaped into the fetch path, so nothing else could change where the request goes.
    [GeneratedRegex("^AC[0-9a-zA-Z]{32}$")]
    private static partial Regex AccountSidPattern();

    /// <summary>
    /// The webhook's media items, or the problems with them. Only the media SID is taken from each URL: the fetch URL is
    /// built from SIDs, so a forged URL cannot make the server fetch elsewhere.
    /// </summary>
    public static IReadOnlyList<IncomingMedia> Parse(IFormCollection form, Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(errors);
        var count = form["NumMedia"].ToString();
        if (count.Length == 0) return [];
        if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > MaxItems)
        {
            errors["NumMedia"] = [$"NumMedia must be a whole number 0 to {MaxItems}."];
            return [];
        }
        // The account is part of the media's address at Twilio.
        if (n > 0 && !AccountSidPattern().IsMatch(form["AccountSid"].ToString()))
            errors["AccountSid"] = ["AccountSid must be AC followed by 32 letters or digits."];
        var items = new List<IncomingMedia>();
        for (var i = 0; i < n; i++)
        {
            var url = form[$"MediaUrl{i}"].ToString();
            var type = form[$"MediaContentType{i}"].ToString();
            if (MediaUrlPattern().Match(url) is not { Success: true } match)
                errors[$"MediaUrl{i}"] = [$"MediaUrl{i} must be a Twilio media URL ending in /Media/ME… ."];
            else if (type.Length is 0 or > 255 || !type.Contains('/', StringComparison.Ordinal))
                errors[$"MediaContentType{i}"] = [$"MediaContentType{i} must be a content type such as image/jpeg."];
            else
                items.Add(new IncomingMedia(i, match.Groups[1].Value, type));
        }
        return items;
    }

    /// <summary>Registers the message's items for the request (a retried webhook adds nothing) and wakes the fetch job.</summary>
    public async Task RegisterAsync(ServiceRequest request, string accountSid, string messageSid, IReadOnlyList<IncomingMedia> items, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0) return;
        var now = clock.GetUtcNow();
        var retainUntil = now.AddYears(Math.Max(archive.Value.Retention.DefaultYears, RetentionPolicy.StatutoryMinimumYears));
        var added = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO service_request_media (request_id, message_sid, media_index, account_sid, media_sid, content_type, received_at,
                retain_until, state, attempts, next_attempt_at)
            SELECT {request.Id}, {messageSid}, t.i, {accountSid}, t.sid, t.type, {now}, {retainUntil}, 'pending', 0, {now}
            FROM unnest({items.Select(m => m.Index).ToArray()}, {items.Select(m => m.MediaSid).ToArray()}, {items.Select(m => m.ContentType).ToArray()}) AS t(i, sid, type)
            ON CONFLICT (message_sid, media_index) DO NOTHING
            """, ct);
        if (added == 0) return;
        await callLog.AppendAsync(new NewCallEvent(request.Stream, "request.media_received", "media:" + messageSid, now,
            CallEventPayload.Serialize(new { messageSid, items = items.Count, contentTypes = items.Select(m => m.ContentType).ToArray() })), ct);
        signal.Wake();
    }

    /// <summary>Fetches every due item, one claim at a time; returns how many were stored.</summary>
    public async Task<int> ProcessDueAsync(CancellationToken ct)
    {
        var stored = 0;
        while (await ClaimAsync(ct) is { } item)
        {
            using var activity = CallCenterTelemetry.ActivitySource.StartActivity("channels.mms_media_fetch");
            activity?.SetTag("message.sid", item.MessageSid);
            try
            {
                await FetchAsync(item, ct);
                stored++;
            }
            // Whatever failed (Twilio, its pipeline, storage, the key ring), the item waits for a later attempt.
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
                await ReleaseAsync(item, ex.Message, CancellationToken.None);
            }
        }
        return stored;
    }

    private async Task FetchAsync(ServiceRequestMedia item, CancellationToken ct)
    {
        var settings = twilio.Value;
        var account = string.IsNullOrEmpty(settings.AccountSid) ? item.AccountSid : settings.AccountSid;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(TwilioApi,
            $"/2010-04-01/Accounts/{Uri.EscapeDataString(item.AccountSid)}/Messages/{Uri.EscapeDataString(item.MessageSid)}/Media/{Uri.EscapeDataString(item.MediaSid)}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{account}:{settings.AuthToken}")));
        using var response = await httpClients.CreateClient(TwilioCallControl.HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new HttpRequestException($"Twilio answered {(int)response.StatusCode} to the download of media {item.MediaSid}.", null, response.StatusCode);

        var name = Guid.NewGuid().ToString("N");
        var dataKey = RecordingEnvelope.NewDataKey();
        // The file's own name is the associated data, so a wrapped key cannot be moved to another file.
        var (keyId, wrapped) = keys.Wrap(dataKey, name);
        var key = $"mms/{clock.GetUtcNow():yyyy/MM/dd}/{name}.ccatt";
        SealedRecording sealedFile;
        await using (var write = await storage.CreateAsync(key, ct))
        {
            await using var source = await response.Content.ReadAsStreamAsync(ct);
            sealedFile = await RecordingEnvelope.SealAsync(source, write.Content, dataKey, ct);
            await write.CommitAsync(ct);
        }
        var now = clock.GetUtcNow();
        var updated = await db.ServiceRequestMedia.Where(m => m.Id == item.Id && m.State == MediaState.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.State, MediaState.Stored).SetProperty(m => m.Bytes, sealedFile.PlaintextBytes)
                .SetProperty(m => m.Sha256, sealedFile.Sha256).SetProperty(m => m.StorageKey, key).SetProperty(m => m.KeyId, keyId)
                .SetProperty(m => m.WrappedKey, wrapped).SetProperty(m => m.StoredAt, now).SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(m => m.LastError, (string?)null), CancellationToken.None);
        if (updated == 0)
        {
            // Another worker stored it after our lease ran out: its copy is the one that counts.
            await storage.DeleteAsync(key, CancellationToken.None);
            return;
        }
        var reference = await db.ServiceRequests.Where(r => r.Id == item.RequestId).Select(r => r.Reference).SingleAsync(CancellationToken.None);
        await callLog.AppendAsync(new NewCallEvent(ServiceRequest.StreamOf(reference), "request.media_stored", $"media:{item.MessageSid}:{item.MediaIndex}", now,
            CallEventPayload.Serialize(new { messageSid = item.MessageSid, index = item.MediaIndex, bytes = sealedFile.PlaintextBytes })), CancellationToken.None);
    }

    // Backoff doubles from 30 s up to an hour; after the last attempt the item is marked failed and logged, the text stays.
    private async Task ReleaseAsync(ServiceRequestMedia item, string error, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var delay = TimeSpan.FromSeconds(Math.Min(3600, 30 * Math.Pow(2, Math.Max(0, item.Attempts - 1))));
        var failed = item.Attempts >= MaxAttempts;
        logger.LogWarning("MMS media {MediaSid} of {MessageSid} not fetched (attempt {Attempt}): {Error}", item.MediaSid, item.MessageSid, item.Attempts, error);
        var message = error.Length > 500 ? error[..500] : error;
        await db.ServiceRequestMedia.Where(m => m.Id == item.Id && m.State == MediaState.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(m => m.State, failed ? MediaState.Failed : MediaState.Pending)
                .SetProperty(m => m.NextAttemptAt, now + delay).SetProperty(m => m.LeaseUntil, (DateTimeOffset?)null)
                .SetProperty(m => m.LastError, message), ct);
        if (!failed) return;
        var reference = await db.ServiceRequests.Where(r => r.Id == item.RequestId).Select(r => r.Reference).SingleAsync(ct);
        await callLog.AppendAsync(new NewCallEvent(ServiceRequest.StreamOf(reference), "request.media_failed", $"media_failed:{item.MessageSid}:{item.MediaIndex}", now,
            CallEventPayload.Serialize(new { messageSid = item.MessageSid, index = item.MediaIndex, attempts = item.Attempts, error = message })), ct);
    }

    // SKIP LOCKED and the lease let several instances share the queue without fetching one item twice at a time.
    private async Task<ServiceRequestMedia?> ClaimAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var cmd = dataSource.CreateCommand("""
            UPDATE service_request_media m SET lease_until = @leaseUntil, attempts = m.attempts + 1
            WHERE m.id = (SELECT id FROM service_request_media WHERE state = 'pending' AND next_attempt_at <= @now
                AND (lease_until IS NULL OR lease_until <= @now) ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING m.id
            """);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("leaseUntil", now + Lease);
        if (await cmd.ExecuteScalarAsync(ct) is not long id) return null;
        return await db.ServiceRequestMedia.AsNoTracking().SingleAsync(m => m.Id == id, ct);
    }

    /// <summary>
    /// Opens one stored item for the agent holding its request, or for QA staff and supervisors; every attempt, allowed
    /// or not, is written to the recording access log.
    /// </summary>
    public async Task<IResult> OpenAsync(string reference, long id, HttpContext http, bool holdsRequest, bool mayReview, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        var stream = ServiceRequest.StreamOf(reference);
        var details = $"mms media {id}";
        if (!holdsRequest && !mayReview)
        {
            await AuditAsync(http, stream, "refused", details);
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not allowed to open this media",
                detail: "Only the agent holding the request, QA staff and supervisors may open it. This attempt has been recorded.");
        }
        var item = await db.ServiceRequestMedia.AsNoTracking()
            .Where(m => m.Id == id && db.ServiceRequests.Any(r => r.Id == m.RequestId && r.Reference == reference)).SingleOrDefaultAsync(ct);
        var file = item is { State: MediaState.Stored, StorageKey: { } key } ? await storage.OpenReadAsync(key, ct) : null;
        if (item is null || file is null)
        {
            await AuditAsync(http, stream, "missing", details);
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such media",
                detail: item is { State: MediaState.Pending } ? "The media is still being fetched from Twilio." : null);
        }
        var dataKey = keys.Unwrap(item.KeyId!, item.WrappedKey!, Path.GetFileNameWithoutExtension(item.StorageKey!));
        await AuditAsync(http, stream, "allowed", details);
        return TypedResults.Stream(new RecordingDecryptStream(file, dataKey), item.ContentType);
    }

    private async Task AuditAsync(HttpContext http, string stream, string result, string details)
    {
        var user = http.User;
        var userAgent = http.Request.Headers.UserAgent.ToString();
        db.RecordingAccessLog.Add(new RecordingAccessEntry
        {
            OccurredAt = clock.GetUtcNow(),
            WorkNumber = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "anonymous",
            Role = user.FindFirstValue(ClaimTypes.Role),
            Action = "view",
            CallSid = stream,
            Result = result,
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
            UserAgent = userAgent.Length > 300 ? userAgent[..300] : userAgent,
            Details = details,
        });
        // CancellationToken.None: a refused attempt is recorded even if the client hangs up at once.
        await db.SaveChangesAsync(CancellationToken.None);
    }
}

/// <summary>Wakes the media fetch worker when a webhook has registered items, instead of waiting for its next poll.</summary>
public sealed class MediaFetchSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Wake()
    {
        if (_signal.CurrentCount > 0) return;
        try { _signal.Release(); }
        catch (SemaphoreFullException) { } // already woken: one wake-up is enough
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);

    public void Dispose() => _signal.Dispose();
}

/// <summary>Runs the MMS media fetch job on every new MMS and at least every minute; one failed run never stops the host.</summary>
public sealed class MediaFetchWorker(IServiceScopeFactory scopes, MediaFetchSignal signal, ILogger<MediaFetchWorker> logger) : BackgroundService
{
    public static readonly TimeSpan PollEvery = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<MmsMedia>().ProcessDueAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "MMS media fetch run failed; the next run retries");
            }
            try
            {
                await signal.WaitAsync(PollEvery, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
