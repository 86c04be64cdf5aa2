using System.Net.Http.Json;
using CallCenter.Server.Archive;
using CallCenter.Server.Data;
using CallCenter.Server.Quality;
using CallCenter.Server.Staff;
using CallCenter.Server.Tests.Archive;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CallCenter.Server.Tests.Quality;

/// <summary>
/// The archive harness (own database, archive folder, WireMock as Twilio) plus WireMock as Azure Speech fast
/// transcription. Tests drive ingest and transcription themselves; with <c>azure: false</c> no key is configured.
/// </summary>
internal sealed class QualityHarness : IAsyncDisposable
{
    public const string AzureKey = "test-speech-key-0123456789";
    public const string TranscribePath = "/speechtotext/transcriptions:transcribe";

    private QualityHarness(ArchiveHarness archive, WireMockServer azure)
    {
        Archive = archive;
        Azure = azure;
    }

    public ArchiveHarness Archive { get; }
    public WireMockServer Azure { get; }
    public Transcriber Transcriber => Archive.Server.Services.GetRequiredService<Transcriber>();

    public static async Task<QualityHarness> StartAsync(bool azure = true, IReadOnlyDictionary<string, string>? more = null)
    {
        var speech = WireMockServer.Start();
        var settings = new Dictionary<string, string>
        {
            ["Transcription:RunWorker"] = "false",
            ["Transcription:Endpoint"] = speech.Urls[0] + "/",
        };
        if (azure) settings["AzureSpeech:Key"] = AzureKey;
        foreach (var (key, value) in more ?? new Dictionary<string, string>()) settings[key] = value;
        return new QualityHarness(await ArchiveHarness.StartAsync(settings: settings), speech);
    }

    /// <summary>Azure answers every transcription with these phrases (channel, offset ms, duration ms, locale, text).</summary>
    public void AzureTranscribes(params (int Channel, int OffsetMs, int DurationMs, string Locale, string Text)[] phrases)
    {
        Azure.Reset();
        var body = new
        {
            durationMilliseconds = phrases.Length == 0 ? 0 : phrases.Max(p => p.OffsetMs + p.DurationMs),
            combinedPhrases = phrases.GroupBy(p => p.Channel).Select(g => new { channel = g.Key, text = string.Join(" ", g.Select(p => p.Text)) }),
            phrases = phrases.Select(p => new
            {
                channel = p.Channel, offsetMilliseconds = p.OffsetMs, durationMilliseconds = p.DurationMs, text = p.Text, locale = p.Locale,
                confidence = 0.93, words = Array.Empty<object>(),
            }),
        };
        Azure.Given(Request.Create().WithPath(TranscribePath).WithParam("api-version", AzureFastTranscription.ApiVersion)
                .WithHeader("Ocp-Apim-Subscription-Key", AzureKey).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBodyAsJson(body));
    }

    public void AzureAnswers(int status, string body = """{"error":{"code":"InvalidRequest","message":"Audio format not supported."}}""")
    {
        Azure.Reset();
        Azure.Given(Request.Create().WithPath(TranscribePath).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "application/json").WithBody(body));
    }

    public int AzureRequests => Azure.LogEntries.Count(e => e.RequestMessage?.Path == TranscribePath);

    /// <summary>A call answered by <paramref name="agent"/> from <paramref name="queue"/>, recorded and archived.</summary>
    public async Task<ArchivedRecording> ArchivedCallAsync(string agent, string queue = "general", bool complaint = false)
    {
        var callSid = await Archive.AnsweredCallAsync(agent, queue, complaint);
        var sid = Archive.TwilioHolds(ArchiveHarness.Wav(4_000));
        await Archive.PostRecordingCallbackAsync(callSid, sid);
        Assert.That(await Archive.Ingestor.ProcessOneAsync(CancellationToken.None), Is.True);
        return (await Archive.CatalogueAsync(sid))!;
    }

    public async Task<(string WorkNumber, HttpClient Http)> SignInAsync(StaffRole role)
    {
        var workNumber = await Archive.Server.Services.CreateStaffAsync(role);
        return (workNumber, (await AgentConsole.SignInAsync(Archive.Server.CreateClient(), workNumber)).Http);
    }

    public async Task<T> DbAsync<T>(Func<CallCenterDbContext, Task<T>> read)
    {
        await using var scope = Archive.Server.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<CallCenterDbContext>());
    }

    public Task<TranscriptionJob> JobAsync(long archiveNumber) =>
        DbAsync(db => db.TranscriptionJobs.AsNoTracking().SingleAsync(j => j.ArchiveNumber == archiveNumber));

    public Task<List<CallCenter.Server.Audit.OperationLogEntry>> OperationsAsync(string action) =>
        DbAsync(db => db.OperationLog.AsNoTracking().Where(o => o.Action == action).OrderBy(o => o.Id).ToListAsync());

    /// <summary>A form with two weighted criteria and a fatal identity check, created by a supervisor.</summary>
    public static async Task<EvaluationApi.FormView> CreateFormAsync(HttpClient supervisor, string name = "Hotline call")
    {
        using var response = await supervisor.PostAsJsonAsync("/api/qa/forms", new
        {
            name,
            criteria = new object[]
            {
                new { key = "greeting", label = "Greets and names the bank", weight = 1, fatal = false },
                new { key = "accuracy", label = "Gives correct information", weight = 3, fatal = false },
                new { key = "verification", label = "Verifies identity before account details", weight = 0, fatal = true },
            },
        });
        Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<EvaluationApi.FormView>(TestJson.Options))!;
    }

    public static object[] Answers(decimal greeting, decimal accuracy, bool verified) =>
        [new { key = "greeting", points = greeting }, new { key = "accuracy", points = accuracy }, new { key = "verification", passed = verified }];

    public async ValueTask DisposeAsync()
    {
        await Archive.DisposeAsync();
        Azure.Stop();
        Azure.Dispose();
    }
}
