using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Channels;
using CallCenter.Server.Data;
using CallCenter.Server.Metrics;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using netDumbster.smtp;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace CallCenter.Server.Tests.Channels;

/// <summary>
/// A server of its own for the non-phone channels: the ACD harness (WireMock as Twilio's REST API, now also its
/// Messages resource), an in-test SMTP catcher, an archive folder and master key for e-mail attachments.
/// </summary>
internal sealed class ChannelHarness : IAsyncDisposable
{
    public const string GatewayKey = "test-mail-gateway-key";
    public const string Hotline = TwilioForms.BankHotline;

    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    private ChannelHarness(DateTimeOffset now, IReadOnlyDictionary<string, string>? settings)
    {
        Smtp = Configuration.Configure().WithRandomPort().Build();
        StorageDirectory = Path.Combine(Path.GetTempPath(), "callcenter-channels-" + Guid.NewGuid().ToString("N"));
        var all = new Dictionary<string, string>
        {
            ["Archive:MasterKeys:k1"] = Archive.ArchiveHarness.MasterKey,
            ["Archive:ActiveKeyId"] = "k1",
            ["Archive:StorageDirectory"] = StorageDirectory,
            ["Channels:Email:GatewayKey"] = GatewayKey,
            ["Channels:Smtp:Host"] = "127.0.0.1",
            ["Channels:Smtp:Port"] = Smtp.Configuration.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Tests move the clock across a night: the agents stay signed in.
            ["Staff:SessionIdleTimeout"] = "23:00:00",
            ["Staff:SessionAbsoluteLifetime"] = "23:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) all[key] = value;
        Acd = new AcdHarness(settings: all, now: now);
        StubMessages();
    }

    /// <summary>Twilio's Messages resource accepting every SMS.</summary>
    public void StubMessages() =>
        Acd.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Messages.json").UsingPost())
                        // A new message SID per send, as Twilio gives.
            .RespondWith(Response.Create().WithStatusCode(201).WithHeader("Content-Type", "application/json")
                .WithBody(_ => $"{{\"sid\":\"SM{Guid.NewGuid():N}\",\"status\":\"queued\"}}"));

    /// <summary>A harness whose clock starts at the given Shanghai wall-clock time.</summary>
    public static ChannelHarness At(int year, int month, int day, int hour, int minute, IReadOnlyDictionary<string, string>? settings = null) =>
        new(Local(year, month, day, hour, minute), settings);

    /// <summary>A Shanghai wall-clock time as the UTC instant the server stores.</summary>
    public static DateTimeOffset Local(int year, int month, int day, int hour, int minute) => new DateTimeOffset(year, month, day, hour, minute, 0, Shanghai).ToUniversalTime();

    public AcdHarness Acd { get; }

    public SimpleSmtpServer Smtp { get; }

    public string StorageDirectory { get; }

    public static string NewMessageSid() => "SM" + Guid.NewGuid().ToString("N");

    /// <summary>A customer's text to the hotline, signed as Twilio signs it.</summary>
    public Task<HttpResponseMessage> TextAsync(string from, string body, string? messageSid = null, bool signed = true)
    {
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = messageSid ?? NewMessageSid(),
            ["AccountSid"] = AcdHarness.AccountSid,
            ["From"] = from,
            ["To"] = Hotline,
            ["Body"] = body,
            ["NumMedia"] = "0",
        };
        var twilio = Acd.CreateTwilioClient();
        return signed ? twilio.PostSignedAsync(SmsWebhook.Path, form) : twilio.PostAsync(SmsWebhook.Path, form, signature: null);
    }

    /// <summary>The SMS the server asked Twilio to send, as (To, From, Body).</summary>
    public IReadOnlyList<(string To, string From, string Body)> SentSms() =>
        [.. Acd.Twilio.LogEntries
            .Where(e => e.RequestMessage?.Method == "POST" && e.RequestMessage.Path.EndsWith("/Messages.json", StringComparison.Ordinal))
            .Select(e => System.Web.HttpUtility.ParseQueryString(e.RequestMessage!.Body ?? ""))
            .Select(f => (f["To"] ?? "", f["From"] ?? "", f["Body"] ?? ""))];

    /// <summary>Posts one e-mail as the mail gateway does.</summary>
    public Task<HttpResponseMessage> MailAsync(string messageId, string from, string subject, string text,
        IReadOnlyList<(string Name, byte[] Content)>? attachments = null, string? gatewayKey = GatewayKey)
    {
        var content = new MultipartFormDataContent
        {
            { new StringContent(messageId), "messageId" },
            { new StringContent(from), "from" },
            { new StringContent(subject), "subject" },
            { new StringContent(text), "text" },
        };
        foreach (var (name, bytes) in attachments ?? [])
            content.Add(new ByteArrayContent(bytes), "attachments", name);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/channels/email") { Content = content };
        if (gatewayKey is not null) request.Headers.Add(IntakeApi.GatewayKeyHeader, gatewayKey);
        return Acd.Server.CreateClient().SendAsync(request);
    }

    public Task<HttpResponseMessage> WebFormAsync(object form, HttpClient? client = null) =>
        (client ?? Acd.Server.CreateClient()).PostAsJsonAsync("/api/channels/web", form);

    public async Task<ServiceRequest?> RequestAsync(Func<IQueryable<ServiceRequest>, IQueryable<ServiceRequest>> query)
    {
        await using var scope = Acd.Server.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().ServiceRequests.AsNoTracking().Include(r => r.Attachments)).SingleOrDefaultAsync();
    }

    public async Task<T> DbAsync<T>(Func<CallCenterDbContext, Task<T>> read)
    {
        await using var scope = Acd.Server.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<CallCenterDbContext>());
    }

    /// <summary>The reference of the request offered to the agent.</summary>
    public static async Task<string> OfferedReferenceAsync(AgentConsole agent)
    {
        var id = (await agent.OfferAsync())?.GetProperty("callSid").GetString() ?? throw new AssertionException($"No offer for {agent.WorkNumber}.");
        Assert.That(id, Does.StartWith(ServiceRequest.StreamPrefix));
        return id[ServiceRequest.StreamPrefix.Length..];
    }

    public static Task<HttpResponseMessage> ReplyAsync(AgentConsole agent, string reference, string text) =>
        agent.Http.PostAsJsonAsync($"/api/agent/requests/{reference}/reply", new { text });

    /// <summary>The channel report after the metrics worker has rolled up every event so far.</summary>
    public async Task<JsonElement> ReportAsync(DateTimeOffset from, DateTimeOffset to)
    {
        await RollUpAsync();
        var supervisor = await Acd.SupervisorAsync();
        using var response = await supervisor.GetAsync($"/api/metrics/channels?from={Uri.EscapeDataString(from.ToString("O"))}&to={Uri.EscapeDataString(to.ToString("O"))}");
        Assert.That(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
    }

    /// <summary>One run of the metrics worker, as its timer would start it.</summary>
    public Task<int> RollUpAsync() => Acd.Server.Services.GetRequiredService<MetricsWorker>().RunOnceAsync(CancellationToken.None);

    public static JsonElement Row(JsonElement rows, string key) =>
        rows.EnumerateArray().Single(r => (r.TryGetProperty("channel", out var c) ? c : r.GetProperty("key")).GetString() == key);

    public async ValueTask DisposeAsync()
    {
        await Acd.DisposeAsync();
        Smtp.Stop();
        Smtp.Dispose();
        if (Directory.Exists(StorageDirectory)) Directory.Delete(StorageDirectory, recursive: true);
    }
}
