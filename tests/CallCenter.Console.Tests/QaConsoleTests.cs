using System.Net.Http.Json;
using CallCenter.Server.Archive;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Quality;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static Microsoft.Playwright.Assertions;

namespace CallCenter.Console.Tests;

/// <summary>The QA console end to end: find a call by a spoken word, hear it through the Range endpoint, score it; the agent sees the score.</summary>
public sealed class QaConsoleTests
{
    internal const string AzureKey = "console-test-speech-key";

    [Test]
    public async Task A_reviewer_finds_a_call_by_a_spoken_word_plays_it_scores_it_and_the_agent_sees_the_score()
    {
        using var azure = WireMockServer.Start();
        var storage = Path.Combine(Path.GetTempPath(), "callcenter-qa-console-" + Guid.NewGuid().ToString("N"));
        await using var harness = new ConsoleHarness(new Dictionary<string, string>
        {
            ["Archive:MasterKeys:k1"] = Convert.ToBase64String(Enumerable.Range(3, 32).Select(i => (byte)i).ToArray()),
            ["Archive:ActiveKeyId"] = "k1",
            ["Archive:StorageDirectory"] = storage,
            ["AzureSpeech:Key"] = AzureKey,
            ["Transcription:Endpoint"] = azure.Urls[0] + "/",
            ["Transcription:RunWorker"] = "false",
        });
        try
        {
            var agent = await harness.NewAgentAsync();
            var archiveNumber = await ArchivedTranscribedCallAsync(harness, azure, agent);
            var supervisorNumber = await harness.Server.Services.CreateStaffAsync(StaffRole.Supervisor);
            using (var supervisor = await AgentConsole.SignInAsync(harness.CreateClient(), supervisorNumber))
            using (var form = await supervisor.Http.PostAsJsonAsync("/api/qa/forms", new
            {
                name = "Hotline call",
                criteria = new object[]
                {
                    new { key = "greeting", label = "Greets and names the bank", weight = 1, fatal = false },
                    new { key = "accuracy", label = "Gives correct information", weight = 3, fatal = false },
                    new { key = "verification", label = "Verifies identity before account details", weight = 0, fatal = true },
                },
            }))
                form.EnsureSuccessStatusCode();

            // The reviewer lands on the QA console and searches by a word the caller said.
            var reviewer = await harness.Server.Services.CreateStaffAsync(StaffRole.Quality);
            var page = await harness.SignInAsync(reviewer);
            await page.GetByLabel("Words spoken").FillAsync("年费");
            await page.GetByRole(AriaRole.Button, new() { Name = "Search calls" }).ClickAsync();
            var row = page.Locator($"#qa-results tr[data-archive-number='{archiveNumber}']");
            await Expect(row).ToContainTextAsync("我想问一下信用卡年费");
            await Expect(row.Locator(".caller")).ToHaveTextAsync("+86138****5678");
            await Expect(page.Locator("#qa-results tr")).ToHaveCountAsync(1);
            await ConsoleHarness.ScreenshotAsync(page, "qa-console-search");

            // The player streams the archived recording: the audio element reads real WAV bytes through the Range endpoint.
            await row.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
            var audio = page.Locator("#qa-audio");
            await Expect(audio).ToHaveAttributeAsync("src", $"/api/archive/recordings/{archiveNumber}/audio");
            await page.WaitForFunctionAsync("() => { const a = document.querySelector('#qa-audio'); return a && a.readyState >= 1 && isFinite(a.duration); }");
            Assert.That(await audio.EvaluateAsync<double>("a => a.duration"), Is.EqualTo(3.0).Within(0.05));
            await using (var scope = harness.Server.Services.CreateAsyncScope())
            {
                var plays = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().RecordingAccessLog
                    .Where(a => a.ArchiveNumber == archiveNumber && a.Action == "play").ToListAsync();
                Assert.That(plays, Is.Not.Empty);
                Assert.That(plays.Select(p => (p.WorkNumber, p.Result)), Is.All.EqualTo((reviewer, "allowed")));
                Assert.That(plays.Select(p => p.Details), Has.Some.StartWith("bytes="), "the browser asked for byte ranges");
            }
            await Expect(page.Locator("#qa-timeline")).ToContainTextAsync("acd.answered");
            await Expect(page.Locator("#qa-channels .lane")).ToHaveCountAsync(2);

            // The transcript follows the audio's clock.
            await audio.EvaluateAsync("a => { a.currentTime = 1.5; }");
            await Expect(page.Locator("#qa-transcript li.current")).ToContainTextAsync("我想问一下信用卡年费");
            await audio.EvaluateAsync("a => { a.currentTime = 2.6; }");
            await Expect(page.Locator("#qa-transcript li.current")).ToContainTextAsync("The annual fee is waived");
            await Expect(page.Locator("#qa-transcript li.current")).ToHaveCountAsync(1);
            await ConsoleHarness.ScreenshotAsync(page, "qa-console-player");

            await page.GetByLabel("Greets and names the bank").FillAsync("60");
            await page.GetByLabel("Gives correct information").FillAsync("100");
            await page.GetByLabel("Verifies identity before account details").SelectOptionAsync("pass");
            await page.GetByLabel("Comment", new() { Exact = true }).FillAsync("Explained the waiver clearly.");
            await page.GetByRole(AriaRole.Button, new() { Name = "Comment at current time" }).ClickAsync();
            await Expect(page.Locator("#qa-comments")).ToContainTextAsync("0:02 Explained the waiver clearly.");
            await page.GetByRole(AriaRole.Button, new() { Name = "Submit score" }).ClickAsync();
            await Expect(page.Locator("#qa-score-messages")).ToContainTextAsync("Scored 90 (Excellent) with Hotline call version 1");
            await Accessibility.AssertNoViolationsAsync(page, "the QA console with a scored call");
            await ConsoleHarness.ScreenshotAsync(page, "qa-console-scored");

            // The agent sees the score, the comment at its moment, and acknowledges it.
            var agentPage = await harness.SignInAsync(agent);
            var evaluation = agentPage.Locator("#my-evaluations .evaluation");
            await Expect(evaluation).ToContainTextAsync("90 Excellent");
            await Expect(evaluation).ToContainTextAsync("0:02 Explained the waiver clearly.");
            await ConsoleHarness.ScreenshotAsync(agentPage, "agent-console-my-evaluations");
            await evaluation.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
            await Expect(evaluation).ToContainTextAsync("You acknowledged this evaluation.");
        }
        finally
        {
            if (Directory.Exists(storage)) Directory.Delete(storage, recursive: true);
        }
    }

    /// <summary>A caller queued through the IVR, answered by the agent, recorded (3 s of real stereo WAV), archived and transcribed.</summary>
    internal static async Task<long> ArchivedTranscribedCallAsync(ConsoleHarness harness, WireMockServer azure, string agent)
    {
        var call = await harness.QueueCallAsync();
        var log = harness.Server.Services.GetRequiredService<ICallEventLog>();
        await log.AppendAsync(new NewCallEvent(call.CallSid, "acd.answered", "acd.answered#1", harness.Clock.GetUtcNow(),
            CallEventPayload.Serialize(new { queue = "general", agent, waitedSeconds = 4 })), CancellationToken.None);

        var recordingSid = "RE" + Guid.NewGuid().ToString("N");
        var path = $"/2010-04-01/Accounts/{ConsoleHarness.AccountSid}/Recordings/{recordingSid}";
        harness.Twilio.Given(Request.Create().WithPath(path + ".wav").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "audio/x-wav").WithBody(StereoWav(seconds: 3)));
        harness.Twilio.Given(Request.Create().WithPath(path + ".json").UsingDelete()).RespondWith(Response.Create().WithStatusCode(204));
        using (var callback = await harness.CreateTwilioClient().PostSignedAsync("/twilio/voice/recording", new Dictionary<string, string>
        {
            ["AccountSid"] = ConsoleHarness.AccountSid, ["CallSid"] = call.CallSid, ["RecordingSid"] = recordingSid,
            ["RecordingUrl"] = $"https://api.twilio.com{path}", ["RecordingStatus"] = "completed", ["RecordingDuration"] = "3",
            ["RecordingChannels"] = "2", ["RecordingSource"] = "DialVerb", ["RecordingStartTime"] = "Fri, 27 Nov 2026 09:00:05 +0000",
        }))
            callback.EnsureSuccessStatusCode();
        Assert.That(await harness.Server.Services.GetRequiredService<ArchiveIngestor>().ProcessOneAsync(CancellationToken.None), Is.True);

        azure.Given(Request.Create().WithPath("/speechtotext/transcriptions:transcribe").WithHeader("Ocp-Apim-Subscription-Key", AzureKey).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBodyAsJson(new
            {
                durationMilliseconds = 3000,
                phrases = new object[]
                {
                    new { channel = 1, offsetMilliseconds = 100, durationMilliseconds = 900, text = "您好，这里是银行客服。", locale = "zh-CN", confidence = 0.9 },
                    new { channel = 0, offsetMilliseconds = 1_100, durationMilliseconds = 1_200, text = "我想问一下信用卡年费。", locale = "zh-CN", confidence = 0.9 },
                    new { channel = 1, offsetMilliseconds = 2_400, durationMilliseconds = 600, text = "The annual fee is waived.", locale = "en-US", confidence = 0.9 },
                },
            }));
        // Other tests' recordings share this database and may queue jobs of their own: work them all, then check ours.
        Assert.That(await harness.Server.Services.GetRequiredService<Transcriber>().ProcessDueAsync(CancellationToken.None), Is.GreaterThan(0));
        await using var scope = harness.Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var archiveNumber = await db.ArchivedRecordings.Where(r => r.RecordingSid == recordingSid).Select(r => r.ArchiveNumber).SingleAsync();
        Assert.That(await db.TranscriptPhrases.CountAsync(p => p.ArchiveNumber == archiveNumber), Is.EqualTo(3), "this call's transcript is stored");
        return archiveNumber;
    }

    /// <summary>8 kHz, 16-bit, two channels (caller and agent tones): a WAV file a browser decodes.</summary>
    private static byte[] StereoWav(int seconds)
    {
        const int rate = 8000, channels = 2, bytesPerSample = 2;
        var frames = rate * seconds;
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.ASCII, leaveOpen: true))
        {
            w.Write("RIFF"u8);
            w.Write(36 + frames * channels * bytesPerSample);
            w.Write("WAVEfmt "u8);
            w.Write(16);
            w.Write((short)1);
            w.Write((short)channels);
            w.Write(rate);
            w.Write(rate * channels * bytesPerSample);
            w.Write((short)(channels * bytesPerSample));
            w.Write((short)(8 * bytesPerSample));
            w.Write("data"u8);
            w.Write(frames * channels * bytesPerSample);
            for (var i = 0; i < frames; i++)
            {
                w.Write((short)(8000 * Math.Sin(2 * Math.PI * 440 * i / rate)));
                w.Write((short)(8000 * Math.Sin(2 * Math.PI * 660 * i / rate)));
            }
        }
        return stream.ToArray();
    }
}
