using System.Text;
using CallCenter.Server.Archive;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CallCenter.Server.Tests.Archive;

/// <summary>
/// A server with its own database (retention sweeps touch every row, so no other test's recordings may be in
/// reach), its own archive folder and master key, and WireMock as Twilio's Recording API. Workers do not run:
/// tests drive ingest and sweeps themselves, at instants of their fake clock.
/// </summary>
internal sealed class ArchiveHarness : IAsyncDisposable
{
    public const string AccountSid = "AC00000000000000000000000000a4c1";
    public static readonly string MasterKey = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray());

    private CallCenterServerFactory _root;

    private readonly IReadOnlyDictionary<string, string> _settings;

    private ArchiveHarness(TestDatabase database, string storage, WireMockServer twilio, DateTimeOffset now, IArchiveIngestFaults? faults,
        IReadOnlyDictionary<string, string>? settings)
    {
        Database = database;
        StorageDirectory = storage;
        Twilio = twilio;
        _settings = settings ?? new Dictionary<string, string>();
        (_root, Server) = Start(now, faults);
    }

    public TestDatabase Database { get; }
    public string StorageDirectory { get; }
    public WireMockServer Twilio { get; }
    public WebApplicationFactory<Program> Server { get; private set; }
    public FakeTimeProvider Clock => _root.Clock;
    public ArchiveIngestor Ingestor => Server.Services.GetRequiredService<ArchiveIngestor>();
    public RetentionSweep Sweep => Server.Services.GetRequiredService<RetentionSweep>();
    public ArchiveIntegrityCheck Integrity => Server.Services.GetRequiredService<ArchiveIntegrityCheck>();

    public static async Task<ArchiveHarness> StartAsync(IArchiveIngestFaults? faults = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var storage = Path.Combine(Path.GetTempPath(), "callcenter-archive-" + Guid.NewGuid().ToString("N"));
        return new ArchiveHarness(await TestDatabase.CreateAsync("archive"), storage, WireMockServer.Start(), CallCenterServerFactory.DefaultNow, faults, settings);
    }

    /// <summary>Stops the server as a crash would leave it (database, files and Twilio as they are) and starts a fresh one.</summary>
    public async Task RestartAsync(TimeSpan later, IArchiveIngestFaults? faults = null)
    {
        var now = Clock.GetUtcNow() + later;
        await Server.DisposeAsync();
        await _root.DisposeAsync();
        (_root, Server) = Start(now, faults);
    }

    private (CallCenterServerFactory, WebApplicationFactory<Program>) Start(DateTimeOffset now, IArchiveIngestFaults? faults)
    {
        var root = new CallCenterServerFactory(Database, now);
        var server = root.WithWebHostBuilder(b =>
        {
            b.UseSetting("Twilio:AccountSid", AccountSid);
            b.UseSetting("Twilio:ApiBaseUrl", Twilio.Urls[0]);
            b.UseSetting("Archive:MasterKeys:k1", MasterKey);
            b.UseSetting("Archive:ActiveKeyId", "k1");
            b.UseSetting("Archive:StorageDirectory", StorageDirectory);
            foreach (var (key, value) in _settings) b.UseSetting(key, value);
            if (faults is not null) b.ConfigureTestServices(s => s.AddSingleton(faults));
        });
        server.CreateClient().Dispose();
        return (root, server);
    }

    /// <summary>A WAV file of the given length: a RIFF header and noise, different every time.</summary>
    public static byte[] Wav(int length)
    {
        var wav = new byte[length];
        Random.Shared.NextBytes(wav);
        Encoding.ASCII.GetBytes("RIFF").CopyTo(wav, 0);
        BitConverter.GetBytes(length - 8).CopyTo(wav, 4);
        Encoding.ASCII.GetBytes("WAVEfmt ").CopyTo(wav, 8);
        return wav;
    }

    public static string NewRecordingSid() => "RE" + Guid.NewGuid().ToString("N");

    /// <summary>Makes Twilio hold a recording: its media downloadable, its deletion accepted.</summary>
    public string TwilioHolds(byte[] media)
    {
        var sid = NewRecordingSid();
        TwilioHoldsRecording(sid, media);
        return sid;
    }

    /// <summary>Makes Twilio hold a recording it did not have before (its media answered 404 until now).</summary>
    public void TwilioHoldsRecording(string sid, byte[] media)
    {
        var path = $"/2010-04-01/Accounts/{AccountSid}/Recordings/{sid}";
        Twilio.Given(Request.Create().WithPath(path + ".wav").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "audio/x-wav").WithBody(media));
        Twilio.Given(Request.Create().WithPath(path + ".json").UsingDelete()).RespondWith(Response.Create().WithStatusCode(204));
    }

    public int TwilioDeletions(string recordingSid) =>
        Twilio.LogEntries.Count(e => e.RequestMessage?.Method == "DELETE" && e.RequestMessage.Path.Contains(recordingSid, StringComparison.Ordinal));

    /// <summary>A call that came in through the webhook and was answered by an agent from a queue (call log events).</summary>
    public async Task<string> AnsweredCallAsync(string agent = "A1001", string queue = "general", bool complaint = false)
    {
        var callSid = TwilioForms.NewCallSid();
        using (var incoming = await Server.CreateTwilioClient().PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(callSid)))
            incoming.EnsureSuccessStatusCode();
        var log = Server.Services.GetRequiredService<ICallEventLog>();
        var now = Clock.GetUtcNow();
        if (complaint)
            await log.AppendAsync(new NewCallEvent(callSid, "ivr.complaint", "900.1.ivr.complaint", now,
                CallEventPayload.Serialize(new { node = "complaint", flow = "bank-hotline", data = new { queue } })), CancellationToken.None);
        await log.AppendAsync(new NewCallEvent(callSid, "acd.answered", "acd.answered#1", now,
            CallEventPayload.Serialize(new { queue, agent, waitedSeconds = 3 })), CancellationToken.None);
        return callSid;
    }

    public static Dictionary<string, string> RecordingCallback(string callSid, string recordingSid, string status = "completed") => new()
    {
        ["AccountSid"] = AccountSid,
        ["CallSid"] = callSid,
        ["RecordingSid"] = recordingSid,
        ["RecordingUrl"] = $"https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Recordings/{recordingSid}",
        ["RecordingStatus"] = status,
        ["RecordingDuration"] = "42",
        ["RecordingChannels"] = "2",
        ["RecordingSource"] = "DialVerb",
        ["RecordingStartTime"] = "Fri, 27 Nov 2026 09:00:05 +0000",
    };

    public async Task PostRecordingCallbackAsync(string callSid, string recordingSid)
    {
        using var response = await Server.CreateTwilioClient().PostSignedAsync("/twilio/voice/recording", RecordingCallback(callSid, recordingSid));
        Assert.That((int)response.StatusCode, Is.EqualTo(204), await response.Content.ReadAsStringAsync());
    }

    /// <summary>A call answered, recorded, reported by Twilio and archived: returns its catalogue row and the original media.</summary>
    public async Task<(ArchivedRecording Row, byte[] Media)> ArchivedCallAsync(bool complaint = false, int length = 200_000)
    {
        var callSid = await AnsweredCallAsync(complaint: complaint);
        var media = Wav(length);
        var sid = TwilioHolds(media);
        await PostRecordingCallbackAsync(callSid, sid);
        Assert.That(await Ingestor.ProcessOneAsync(CancellationToken.None), Is.True);
        return ((await CatalogueAsync(sid))!, media);
    }

    public async Task<ArchivedRecording?> CatalogueAsync(string recordingSid)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().ArchivedRecordings.AsNoTracking()
            .SingleOrDefaultAsync(r => r.RecordingSid == recordingSid);
    }

    public async Task<ArchiveJob> JobAsync(string recordingSid)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().ArchiveJobs.AsNoTracking()
            .SingleAsync(j => j.RecordingSid == recordingSid);
    }

    public async Task<List<RecordingAccessEntry>> AccessLogAsync(long archiveNumber)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().RecordingAccessLog.AsNoTracking()
            .Where(a => a.ArchiveNumber == archiveNumber).OrderBy(a => a.Id).ToListAsync();
    }

    /// <summary>Every file (committed or temp) the archive folder holds for a recording.</summary>
    public string[] FilesOf(string recordingSid) =>
        Directory.Exists(StorageDirectory) ? Directory.GetFiles(StorageDirectory, recordingSid + "*", SearchOption.AllDirectories) : [];

    public async Task<HttpClient> StaffAsync(StaffRole role) =>
        (await AgentConsole.SignInAsync(Server.CreateClient(), await Server.Services.CreateStaffAsync(role))).Http;

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await _root.DisposeAsync();
        Twilio.Stop();
        Twilio.Dispose();
        await Database.DisposeAsync();
        if (Directory.Exists(StorageDirectory)) Directory.Delete(StorageDirectory, recursive: true);
    }
}

/// <summary>Kills the ingest once, at one step, the way a crash would interrupt it.</summary>
internal sealed class CrashAt(IngestStep step) : IArchiveIngestFaults
{
    public void At(IngestStep at, string recordingSid)
    {
        if (at == step) throw new SimulatedCrashException(step);
    }
}

internal sealed class SimulatedCrashException(IngestStep step) : Exception($"Simulated crash after step {step}.");
