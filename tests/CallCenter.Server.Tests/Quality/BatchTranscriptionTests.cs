using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Quality;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace CallCenter.Server.Tests.Quality;

/// <summary>Recordings over fast transcription's limit go to Azure batch transcription (WireMock here), polled from the job row.</summary>
public sealed class BatchTranscriptionTests
{
    private const string JobPath = "/speechtotext/transcriptions/0f1e2d3c";
    private static readonly Guid JobMapping = Guid.Parse("6a1d3c57-1c39-4f0e-9d55-0b7f5f7e2a11");

    [Test]
    public async Task A_recording_over_the_fast_limit_is_transcribed_in_batch_and_polling_resumes_from_the_job_row()
    {
        await using var h = await QualityHarness.StartAsync(more: new Dictionary<string, string>
        {
            // The test recording is 4 kB: anything above 1 kB is "too large" for fast transcription here.
            ["Transcription:MaxAudioBytes"] = "1000",
            ["Transcription:AudioBaseUrl"] = "https://hotline.example.com/",
        });
        var recording = await h.ArchivedCallAsync("G1101");
        var azure = h.Azure.Urls[0];
        h.Azure.Given(Request.Create().WithPath("/speechtotext/transcriptions:submit").WithParam("api-version", AzureBatchTranscription.ApiVersion)
                .WithHeader("Ocp-Apim-Subscription-Key", QualityHarness.AzureKey).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithHeader("Content-Type", "application/json")
                .WithBodyAsJson(new { self = $"{azure}{JobPath}?api-version=2024-11-15", status = "NotStarted" }));

        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.False, "handed over, not finished");
        var submitted = h.Azure.LogEntries.Single().RequestMessage!;
        using var submission = JsonDocument.Parse(submitted.Body!);
        var root = submission.RootElement;
        Assert.That(root.GetProperty("locale").GetString(), Is.EqualTo("zh-CN"));
        Assert.That(root.GetProperty("properties").GetProperty("timeToLiveHours").GetInt32(), Is.EqualTo(48));
        Assert.That(root.GetProperty("properties").GetProperty("channels").EnumerateArray().Select(c => c.GetInt32()), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(root.GetProperty("properties").GetProperty("languageIdentification").GetProperty("candidateLocales").EnumerateArray()
            .Select(c => c.GetString()), Is.EqualTo(new[] { "zh-CN", "en-US" }));
        var audioUrl = new Uri(root.GetProperty("contentUrls")[0].GetString()!);
        Assert.That(audioUrl.GetLeftPart(UriPartial.Path), Does.StartWith("https://hotline.example.com/api/qa/transcription/audio/"));
        var job = await h.JobAsync(recording.ArchiveNumber);
        Assert.That((job.State, job.Attempts, job.BatchUrl), Is.EqualTo((TranscriptionJobState.Pending, 1, $"{azure}{JobPath}?api-version=2024-11-15")));
        Assert.That(job.AudioLinkHash, Is.Not.Null.And.Not.Contain(audioUrl.Segments[^1]), "only the token's hash is stored");

        // Azure downloads the audio through the link, in ranges, with no session; each download is in the access log.
        using var anonymous = h.Archive.Server.CreateClient();
        using (var range = new HttpRequestMessage(HttpMethod.Get, audioUrl.PathAndQuery))
        {
            range.Headers.Range = new RangeHeaderValue(0, 3);
            using var audio = await anonymous.SendAsync(range);
            Assert.That(audio.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
            Assert.That(await audio.Content.ReadAsStringAsync(), Is.EqualTo("RIFF"), "decrypted audio");
        }
        using (var guessed = await anonymous.GetAsync("/api/qa/transcription/audio/" + new string('A', 43)))
            Assert.That(guessed.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var accesses = await h.Archive.AccessLogAsync(recording.ArchiveNumber);
        Assert.That(accesses.Select(a => (a.WorkNumber, a.Action, a.Result, a.Details)), Does.Contain(("azure-batch", "transcribe", "allowed", (string?)"bytes=0-3")));

        var (_, qa) = await h.SignInAsync(StaffRole.Quality);
        var waiting = await qa.GetFromJsonAsync<QualityCallsApi.TranscriptView>($"/api/qa/recordings/{recording.ArchiveNumber}/transcript", TestJson.Options);
        Assert.That((waiting!.Status, waiting.Detail), Is.EqualTo(("pending", "Too large for fast transcription: Azure batch transcription is working on it.")));

        // Not due before the poll interval; then a transcriber of a restarted server (a new instance) polls the kept job.
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.Null);
        AzureJobIs(h, new { self = $"{azure}{JobPath}", status = "Running" });
        h.Archive.Clock.Advance(TimeSpan.FromMinutes(2));
        var restarted = ActivatorUtilities.CreateInstance<Transcriber>(h.Archive.Server.Services);
        Assert.That(await restarted.ProcessOneAsync(CancellationToken.None), Is.False);
        Assert.That(h.Azure.LogEntries.Count(e => e.RequestMessage!.Path == "/speechtotext/transcriptions:submit"), Is.EqualTo(1), "polled, not resubmitted");
        Assert.That((await h.JobAsync(recording.ArchiveNumber)).Attempts, Is.EqualTo(1), "a poll is not an attempt");

        AzureJobIs(h, new { self = $"{azure}{JobPath}", status = "Succeeded", links = new { files = $"{azure}{JobPath}/files?api-version=2024-11-15" } });
        h.Azure.Given(Request.Create().WithPath(JobPath + "/files").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBodyAsJson(new
            {
                values = new object[]
                {
                    new { kind = "TranscriptionReport", links = new { contentUrl = $"{azure}/results/report.json" } },
                    new { kind = "Transcription", links = new { contentUrl = $"{azure}/results/0f1e2d3c.json?sv=sas" } },
                },
            }));
        h.Azure.Given(Request.Create().WithPath("/results/0f1e2d3c.json").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBodyAsJson(new
            {
                recognizedPhrases = new object[]
                {
                    new { recognitionStatus = "Success", channel = 0, offsetInTicks = 12_000_000L, durationInTicks = 25_000_000L, locale = "zh-CN",
                        nBest = new[] { new { confidence = 0.91, display = "我想问一下信用卡年费怎么收。" } } },
                    new { recognitionStatus = "Success", channel = 1, offsetInTicks = 40_000_000L, durationInTicks = 20_000_000L, locale = "en-US",
                        nBest = new[] { new { confidence = 0.88, display = "The annual fee is waived." } } },
                    new { recognitionStatus = "NoMatch", channel = 1, offsetInTicks = 70_000_000L, durationInTicks = 1_000_000L, locale = "en-US",
                        nBest = Array.Empty<object>() },
                },
            }));
        h.Azure.Given(Request.Create().WithPath(JobPath).UsingDelete()).RespondWith(Response.Create().WithStatusCode(204));
        h.Archive.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.True);

        job = await h.JobAsync(recording.ArchiveNumber);
        Assert.That((job.State, job.BatchUrl, job.AudioLinkHash), Is.EqualTo((TranscriptionJobState.Done, (string?)null, (string?)null)));
        Assert.That(h.Azure.LogEntries.Any(e => e.RequestMessage!.Path == JobPath && e.RequestMessage.Method == "DELETE"), Is.True, "Azure's copy is deleted once read");
        var result = h.Azure.LogEntries.Single(e => e.RequestMessage!.Path == "/results/0f1e2d3c.json").RequestMessage!;
        Assert.That(result.Headers!.ContainsKey("Ocp-Apim-Subscription-Key"), Is.False, "the key goes only to the Speech API, not to the result's storage link");

        var transcript = await qa.GetFromJsonAsync<QualityCallsApi.TranscriptView>($"/api/qa/recordings/{recording.ArchiveNumber}/transcript", TestJson.Options);
        Assert.That(transcript!.Phrases.Select(p => (p.Channel, p.OffsetMs, p.DurationMs, p.Text)), Is.EqualTo(new (int?, int, int, string)[]
        {
            (0, 1_200, 2_500, "我想问一下信用卡年费怎么收。"), (1, 4_000, 2_000, "The annual fee is waived."),
        }));
        Assert.That((await qa.GetFromJsonAsync<List<QualityCallsApi.CallHit>>("/api/qa/calls?words=年费", TestJson.Options))!.Single().ArchiveNumber,
            Is.EqualTo(recording.ArchiveNumber));
        using var finished = await anonymous.GetAsync(audioUrl.PathAndQuery);
        Assert.That(finished.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "the link dies with the job");
    }

    [Test]
    public async Task A_batch_job_Azure_could_not_do_is_submitted_afresh_on_the_next_attempt()
    {
        await using var h = await QualityHarness.StartAsync(more: new Dictionary<string, string>
        {
            ["Transcription:MaxAudioBytes"] = "1000",
            ["Transcription:AudioBaseUrl"] = "https://hotline.example.com/",
        });
        var recording = await h.ArchivedCallAsync("G1102");
        var azure = h.Azure.Urls[0];
        h.Azure.Given(Request.Create().WithPath("/speechtotext/transcriptions:submit").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithHeader("Content-Type", "application/json")
                .WithBodyAsJson(new { self = $"{azure}{JobPath}", status = "NotStarted" }));
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.False);
        AzureJobIs(h, new { self = $"{azure}{JobPath}", status = "Failed", properties = new { error = new { code = "InvalidData", message = "Could not download the audio." } } });
        h.Archive.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.False);
        var job = await h.JobAsync(recording.ArchiveNumber);
        Assert.That((job.State, job.BatchUrl, job.Attempts), Is.EqualTo((TranscriptionJobState.Pending, (string?)null, 2)));
        Assert.That(job.LastError, Does.Contain("Could not download the audio."));

        h.Archive.Clock.Advance(TimeSpan.FromMinutes(3));
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.False);
        Assert.That(h.Azure.LogEntries.Count(e => e.RequestMessage!.Path == "/speechtotext/transcriptions:submit"), Is.EqualTo(2), "submitted afresh");
        Assert.That((await h.JobAsync(recording.ArchiveNumber)).BatchUrl, Is.EqualTo($"{azure}{JobPath}"));
    }

    private static void AzureJobIs(QualityHarness h, object body)
    {
        // One mapping, replaced on each call: Azure's answer about the job changes as it runs.
        h.Azure.Given(Request.Create().WithPath(JobPath).UsingGet()).WithGuid(JobMapping)
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBodyAsJson(body));
    }
}
