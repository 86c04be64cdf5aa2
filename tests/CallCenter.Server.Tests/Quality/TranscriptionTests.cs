using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.Quality;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Tests.Quality;

/// <summary>Archived recordings are transcribed through Azure fast transcription (WireMock here) and found by words spoken.</summary>
public sealed class TranscriptionTests
{
    [Test]
    public async Task An_archived_recording_is_queued_transcribed_per_channel_and_found_by_a_spoken_Chinese_word()
    {
        await using var h = await QualityHarness.StartAsync();
        var recording = await h.ArchivedCallAsync("G1001");
        Assert.That((await h.JobAsync(recording.ArchiveNumber)).State, Is.EqualTo(TranscriptionJobState.Pending));

        h.AzureTranscribes((0, 1_200, 2_500, "zh-CN", "您好，我想问一下信用卡年费怎么收"), (1, 4_000, 3_000, "zh-CN", "您好，这里是银行客服，请问有什么可以帮您"),
            (1, 8_000, 2_000, "en-US", "The annual fees are waived this year."));
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.True);
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.Null, "nothing else is due");

        var request = h.Azure.LogEntries.Single().RequestMessage!;
        Assert.That(request.Headers!["Content-Type"].Single(), Does.StartWith("multipart/form-data"));
        var body = request.Body ?? System.Text.Encoding.UTF8.GetString(request.BodyAsBytes ?? []);
        Assert.That(body, Does.Match("name=\"?definition").And.Contain("\"locales\":[\"zh-CN\",\"en-US\"]").And.Contain("\"channels\":[0,1]"));
        Assert.That(body, Does.Match("name=\"?audio").And.Contain("RIFF"));
        var job = await h.JobAsync(recording.ArchiveNumber);
        Assert.That((job.State, job.Attempts, job.CompletedAt), Is.EqualTo((TranscriptionJobState.Done, 1, (DateTimeOffset?)h.Archive.Clock.GetUtcNow())));

        var (_, qa) = await h.SignInAsync(StaffRole.Quality);
        var hits = (await qa.GetFromJsonAsync<List<QualityCallsApi.CallHit>>("/api/qa/calls?words=年费", TestJson.Options))!;
        Assert.That(hits.Single().ArchiveNumber, Is.EqualTo(recording.ArchiveNumber));
        Assert.That(hits[0].MatchedPhrase, Is.EqualTo(new QualityCallsApi.PhraseView(0, null, 1_200, 2_500, "zh-CN", "您好，我想问一下信用卡年费怎么收")));
        Assert.That(hits[0].Transcript, Is.EqualTo(TranscriptionJobState.Done));
        Assert.That((await qa.GetFromJsonAsync<List<QualityCallsApi.CallHit>>("/api/qa/calls?words=fee", TestJson.Options))!.Single().MatchedPhrase!.Channel,
            Is.EqualTo(1), "English words match by stem");
        Assert.That(await qa.GetFromJsonAsync<List<QualityCallsApi.CallHit>>("/api/qa/calls?words=贷款", TestJson.Options), Is.Empty);

        var transcript = await qa.GetFromJsonAsync<QualityCallsApi.TranscriptView>($"/api/qa/recordings/{recording.ArchiveNumber}/transcript", TestJson.Options);
        Assert.That(transcript!.Status, Is.EqualTo("done"));
        Assert.That(transcript.Phrases.Select(p => (p.Channel, p.OffsetMs)), Is.EqualTo(new (int?, int)[] { (0, 1_200), (1, 4_000), (1, 8_000) }));
        var accesses = await h.Archive.AccessLogAsync(recording.ArchiveNumber);
        var reader = accesses[^1].WorkNumber;
        Assert.That(accesses.Select(a => (a.WorkNumber, a.Action, a.Details)), Is.EqualTo(new[]
        {
            ("system", "transcribe", (string?)null), (reader, "search", "年费"), (reader, "search", "fee"), (reader, "transcript", (string?)null),
        }), "every sight of transcript text is in the access log: the matched phrases of two searches, then the transcript");
    }

    [Test]
    public async Task Without_an_Azure_key_jobs_wait_and_the_status_says_why()
    {
        await using var h = await QualityHarness.StartAsync(azure: false);
        var recording = await h.ArchivedCallAsync("G1002");
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.Null);
        Assert.That(h.AzureRequests, Is.Zero);

        var (_, qa) = await h.SignInAsync(StaffRole.Quality);
        var status = await qa.GetFromJsonAsync<QualityCallsApi.TranscriptionStatusView>("/api/qa/transcription/status", TestJson.Options);
        Assert.That(status, Is.EqualTo(new QualityCallsApi.TranscriptionStatusView(false, "AzureSpeech:Key is not configured.", 1, 0, 0)));
        var transcript = await qa.GetFromJsonAsync<QualityCallsApi.TranscriptView>($"/api/qa/recordings/{recording.ArchiveNumber}/transcript", TestJson.Options);
        Assert.That((transcript!.Status, transcript.Phrases.Count), Is.EqualTo(("disabled", 0)));
        Assert.That(transcript.Detail, Does.Contain("AzureSpeech:Key"));
    }

    [Test]
    public async Task A_server_error_is_retried_later_and_a_refused_recording_is_given_up()
    {
        await using var h = await QualityHarness.StartAsync();
        var recording = await h.ArchivedCallAsync("G1003");
        h.AzureAnswers(503, """{"error":"busy"}""");
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.False);
        Assert.That(h.AzureRequests, Is.EqualTo(3), "the resilience pipeline retried twice");
        var job = await h.JobAsync(recording.ArchiveNumber);
        Assert.That((job.State, job.Attempts), Is.EqualTo((TranscriptionJobState.Pending, 1)));
        Assert.That(job.NextAttemptAt, Is.GreaterThan(h.Archive.Clock.GetUtcNow()));
        Assert.That(job.LastError, Does.Contain("503"));
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.Null, "not due before its backoff");

        h.AzureAnswers(400);
        h.Archive.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.False);
        Assert.That(h.AzureRequests, Is.EqualTo(1), "a refusal is not retried");
        job = await h.JobAsync(recording.ArchiveNumber);
        Assert.That((job.State, job.Attempts), Is.EqualTo((TranscriptionJobState.Failed, 2)));
        Assert.That(job.LastError, Does.Contain("Audio format not supported"));
    }

    [Test]
    public async Task An_agent_cannot_read_a_transcript_and_the_attempt_is_audited()
    {
        await using var h = await QualityHarness.StartAsync();
        var recording = await h.ArchivedCallAsync("G1004");
        var (agent, http) = await h.SignInAsync(StaffRole.Agent);
        using var response = await http.GetAsync($"/api/qa/recordings/{recording.ArchiveNumber}/transcript");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var entry = (await h.Archive.AccessLogAsync(recording.ArchiveNumber)).Single();
        Assert.That((entry.WorkNumber, entry.Action, entry.Result), Is.EqualTo((agent, "transcript", "refused")));
    }

    [Test]
    public async Task Destroying_a_recording_destroys_its_transcript()
    {
        await using var h = await QualityHarness.StartAsync();
        var recording = await h.ArchivedCallAsync("G1005");
        h.AzureTranscribes((0, 0, 1_000, "zh-CN", "我要投诉"));
        await h.Transcriber.ProcessOneAsync(CancellationToken.None);
        Assert.That(await h.DbAsync(db => db.TranscriptPhrases.CountAsync(p => p.ArchiveNumber == recording.ArchiveNumber)), Is.EqualTo(1));
        await h.DbAsync(db => db.ArchivedRecordings.Where(r => r.ArchiveNumber == recording.ArchiveNumber)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.DestroyedAt, h.Archive.Clock.GetUtcNow())));
        Assert.That(await h.DbAsync(db => db.TranscriptPhrases.CountAsync(p => p.ArchiveNumber == recording.ArchiveNumber)), Is.Zero);
    }

    [Test]
    public async Task Words_said_across_two_transcript_phrases_are_still_found()
    {
        await using var h = await QualityHarness.StartAsync();
        var recording = await h.ArchivedCallAsync("G1006");
        // Azure cut the caller's 年费 after 年, and the agent's "annual fee" after "annual".
        h.AzureTranscribes((0, 1_000, 1_500, "zh-CN", "我想问一下信用卡年。"), (0, 2_600, 1_200, "zh-CN", "费怎么收？"),
            (1, 4_000, 1_400, "en-US", "Let me check the annual"), (1, 5_500, 1_000, "en-US", "fee for your card."),
            (0, 7_000, 800, "zh-CN", "好的"));
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.True);

        var (_, qa) = await h.SignInAsync(StaffRole.Quality);
        var chinese = (await qa.GetFromJsonAsync<List<QualityCallsApi.CallHit>>("/api/qa/calls?words=年费", TestJson.Options))!;
        Assert.That(chinese.Single().MatchedPhrase, Is.EqualTo(new QualityCallsApi.PhraseView(0, null, 1_000, 1_500, "zh-CN", "我想问一下信用卡年费怎么收？")),
            "the pair is shown joined, from where the first phrase starts");
        var english = (await qa.GetFromJsonAsync<List<QualityCallsApi.CallHit>>("/api/qa/calls?words=annual%20fee", TestJson.Options))!;
        Assert.That(english.Single().MatchedPhrase!.OffsetMs, Is.EqualTo(4_000));
        Assert.That(english[0].MatchedPhrase!.Text, Is.EqualTo("Let me check the annual fee for your card."));
        var whole = (await qa.GetFromJsonAsync<List<QualityCallsApi.CallHit>>("/api/qa/calls?words=怎么收", TestJson.Options))!;
        Assert.That(whole.Single().MatchedPhrase!.OffsetMs, Is.EqualTo(2_600), "a phrase matching alone comes before a pair that contains it");
        Assert.That(await qa.GetFromJsonAsync<List<QualityCallsApi.CallHit>>("/api/qa/calls?words=收好", TestJson.Options), Is.Empty,
            "a phrase is joined to the next only across a short pause: 好的 comes 3.2 s after 收？");
    }

    [Test]
    public async Task With_speaker_separation_each_channel_is_sent_apart_and_phrases_keep_their_speaker()
    {
        await using var h = await QualityHarness.StartAsync(more: new Dictionary<string, string> { ["Transcription:MaxSpeakersPerChannel"] = "3" });
        var recording = await h.ArchivedCallAsync("G1007");
        h.Azure.Given(WireMock.RequestBuilders.Request.Create().WithPath(QualityHarness.TranscribePath).UsingPost())
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBodyAsJson(new
            {
                durationMilliseconds = 4_000,
                phrases = new object[]
                {
                    new { speaker = 0, offsetMilliseconds = 100, durationMilliseconds = 900, text = "请稍等，我请同事接听。", locale = "zh-CN" },
                    new { speaker = 1, offsetMilliseconds = 1_500, durationMilliseconds = 900, text = "您好，我是信用卡中心。", locale = "zh-CN" },
                },
            }));
        Assert.That(await h.Transcriber.ProcessOneAsync(CancellationToken.None), Is.True);

        var definitions = h.Azure.LogEntries.Select(e => e.RequestMessage!.Body ?? System.Text.Encoding.UTF8.GetString(e.RequestMessage.BodyAsBytes ?? [])).ToList();
        Assert.That(definitions, Has.Count.EqualTo(2), "Azure diarizes one channel per request");
        Assert.That(definitions[0], Does.Contain("\"channels\":[0]").And.Contain("\"diarization\":{\"enabled\":true,\"maxSpeakers\":3}"));
        Assert.That(definitions[1], Does.Contain("\"channels\":[1]").And.Contain("\"diarization\":{\"enabled\":true,\"maxSpeakers\":3}"));

        var (_, qa) = await h.SignInAsync(StaffRole.Quality);
        var transcript = await qa.GetFromJsonAsync<QualityCallsApi.TranscriptView>($"/api/qa/recordings/{recording.ArchiveNumber}/transcript", TestJson.Options);
        Assert.That(transcript!.Phrases.Select(p => (p.Channel, p.Speaker, p.OffsetMs)), Is.EquivalentTo(new (int?, int?, int)[]
        {
            (0, 0, 100), (0, 1, 1_500), (1, 0, 100), (1, 1, 1_500),
        }));
        Assert.That(await qa.GetFromJsonAsync<List<QualityCallsApi.CallHit>>("/api/qa/calls?words=接听您好", TestJson.Options), Is.Empty,
            "two speakers' phrases are not joined into one");
    }
}
