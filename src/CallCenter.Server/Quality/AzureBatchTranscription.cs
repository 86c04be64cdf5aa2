using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using CallCenter.Server.Prompts;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Quality;

/// <summary>Where a batch transcription stands at Azure: NotStarted, Running, Succeeded or Failed; the files link once it succeeded.</summary>
public sealed record BatchTranscriptionStatus(string Status, Uri? Files, string? Error)
{
    public bool Running => Status is "NotStarted" or "Running";
}

/// <summary>
/// Azure Speech batch transcription (REST, api-version 2024-11-15) for recordings fast transcription cannot take (over its
/// size or duration limit): submit a job naming a URL Azure downloads the audio from, poll the job, read the transcription
/// file, delete the job. Same typed HttpClient pipeline as fast transcription (retries on 5xx/429/timeouts). The key is
/// only ever sent to the Speech endpoint itself, never to a URL Azure hands back on another host.
/// </summary>
public sealed class AzureBatchTranscription(HttpClient http, IOptions<AzureSpeechOptions> speech, IOptions<TranscriptionOptions> options)
{
    public const string ApiVersion = "2024-11-15";

    private Uri ServiceBase => options.Value.ServiceBase(speech.Value);

    /// <summary>Creates the job; returns its <c>self</c> URL, which the transcription job keeps so polling survives a restart.</summary>
    public async Task<Uri> SubmitAsync(Uri audio, int channels, long archiveNumber, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(audio);
        var o = options.Value;
        var stereo = channels >= 2;
        var properties = new Properties(
            TimeToLiveHours: o.BatchTimeToLiveHours,
            Channels: stereo ? [0, 1] : null,
            // Azure diarizes only mono audio in batch; a stereo call is told apart by its channels.
            Diarization: !stereo && o.MaxSpeakersPerChannel >= 2 ? new Diarization(true, o.MaxSpeakersPerChannel) : null,
            LanguageIdentification: o.Locales.Length >= 2 ? new LanguageIdentification(o.Locales, "Continuous") : null);
        var body = new Submission([audio.ToString()], o.Locales[0], $"callcenter recording {archiveNumber}", properties);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(ServiceBase, $"speechtotext/transcriptions:submit?api-version={ApiVersion}"))
        {
            Content = JsonContent.Create(body, options: Json),
        };
        var created = await SendAsync<Transcription>(request, ct);
        return created.Self ?? throw new InvalidOperationException("Azure batch transcription answered without the job's self link.");
    }

    public async Task<BatchTranscriptionStatus> StatusAsync(Uri job, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, OnService(job));
        var t = await SendAsync<Transcription>(request, ct);
        return new BatchTranscriptionStatus(t.Status ?? "Unknown", t.Links?.Files, t.Properties?.Error?.Message ?? t.Properties?.Error?.Code);
    }

    /// <summary>Lists the job's files and reads its transcription (the result file is on Azure's storage behind a SAS link: no key sent there).</summary>
    public async Task<IReadOnlyList<RecognisedPhrase>> ResultAsync(Uri files, CancellationToken ct)
    {
        using var list = new HttpRequestMessage(HttpMethod.Get, OnService(files));
        var listing = await SendAsync<FileList>(list, ct);
        var content = listing.Values?.FirstOrDefault(f => f.Kind == "Transcription")?.Links?.ContentUrl
            ?? throw new InvalidOperationException("Azure batch transcription succeeded but lists no transcription file.");
        using var read = new HttpRequestMessage(HttpMethod.Get, content);
        var result = await SendAsync<ResultFile>(read, ct, withKey: false);
        return [.. (result.RecognizedPhrases ?? [])
            .Where(p => p.RecognitionStatus is null or "Success")
            .Select(p => (Phrase: p, Best: p.NBest?.FirstOrDefault()))
            .Where(x => !string.IsNullOrWhiteSpace(x.Best?.Display))
            .Select(x => new RecognisedPhrase(x.Phrase.Channel, x.Phrase.Speaker, Milliseconds(x.Phrase.OffsetInTicks), Milliseconds(x.Phrase.DurationInTicks),
                x.Phrase.Locale, x.Best!.Display!.Trim(), x.Best.Confidence))];
    }

    /// <summary>Deletes the job (and Azure's copy of the transcript) once read; its time to live deletes it anyway if this fails.</summary>
    public async Task DeleteAsync(Uri job, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, OnService(job));
        request.Headers.Add("Ocp-Apim-Subscription-Key", speech.Value.Key);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
            throw new HttpRequestException($"Azure batch transcription delete answered {(int)response.StatusCode}", null, response.StatusCode);
    }

    private static int Milliseconds(long ticks) => (int)Math.Min(int.MaxValue, ticks / TimeSpan.TicksPerMillisecond);

    /// <summary>Links from Azure's answers carry our key only when they point at the Speech endpoint we were configured with.</summary>
    private Uri OnService(Uri link) =>
        Uri.Compare(link, ServiceBase, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0
            ? link
            : throw new TranscriptionRefusedException($"Azure pointed at {link.GetLeftPart(UriPartial.Authority)}, not the Speech endpoint; the key is not sent there.");

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken ct, bool withKey = true)
    {
        if (withKey) request.Headers.Add("Ocp-Apim-Subscription-Key", speech.Value.Key);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            var message = $"Azure batch transcription answered {(int)response.StatusCode}: {(text.Length > 500 ? text[..500] : text)}";
            if ((int)response.StatusCode is >= 400 and < 500 && response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout))
                throw new TranscriptionRefusedException(message);
            throw new HttpRequestException(message, null, response.StatusCode);
        }
        return await response.Content.ReadFromJsonAsync<T>(Json, ct)
            ?? throw new InvalidOperationException("Azure batch transcription answered with an empty body.");
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private sealed record Submission(string[] ContentUrls, string Locale, string DisplayName, Properties Properties);

    private sealed record Properties(int TimeToLiveHours, int[]? Channels, Diarization? Diarization, LanguageIdentification? LanguageIdentification);

    private sealed record Diarization(bool Enabled, int MaxSpeakers);

    private sealed record LanguageIdentification(string[] CandidateLocales, string Mode);

    private sealed record Transcription(Uri? Self, string? Status, TranscriptionLinks? Links, TranscriptionState? Properties);

    private sealed record TranscriptionLinks(Uri? Files);

    private sealed record TranscriptionState(ErrorDetail? Error);

    private sealed record ErrorDetail(string? Code, string? Message);

    private sealed record FileList(List<FileEntry>? Values);

    private sealed record FileEntry(string? Kind, FileLinks? Links);

    private sealed record FileLinks(Uri? ContentUrl);

    private sealed record ResultFile(List<ResultPhrase>? RecognizedPhrases);

    private sealed record ResultPhrase(string? RecognitionStatus, int? Channel, int? Speaker, long OffsetInTicks, long DurationInTicks, string? Locale, List<Alternative>? NBest);

    private sealed record Alternative(double? Confidence, string? Display);
}
