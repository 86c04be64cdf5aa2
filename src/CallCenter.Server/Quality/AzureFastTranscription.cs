using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using CallCenter.Server.Prompts;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Quality;

/// <summary>A phrase as Azure recognised it.</summary>
public sealed record RecognisedPhrase(int? Channel, int? Speaker, int OffsetMs, int DurationMs, string? Locale, string Text, double? Confidence);

/// <summary>Azure refused the request for good (bad audio, bad key): retrying will not help.</summary>
public sealed class TranscriptionRefusedException(string message) : Exception(message);

/// <summary>
/// Azure Speech fast transcription (REST, api-version 2024-11-15): one multipart POST with the audio and a
/// definition naming the candidate locales and, for a dual-channel recording, both channels to transcribe apart
/// (with speaker separation on, one channel per POST, since Azure diarizes a single channel); the answer lists phrases
/// with offsets, durations, channel, speaker and locale. Recordings over its size or duration limit go to
/// <see cref="AzureBatchTranscription"/> instead. Typed HttpClient with the standard
/// resilience pipeline (retries on 5xx/429/timeouts, circuit breaker); the audio is buffered so a retry can resend it.
/// </summary>
public sealed class AzureFastTranscription(HttpClient http, IOptions<AzureSpeechOptions> speech, IOptions<TranscriptionOptions> options)
{
    public const string ApiVersion = "2024-11-15";

    /// <summary>Null when transcription is configured; else why not, for the status endpoint.</summary>
    public string? DisabledReason
    {
        get
        {
            var s = speech.Value;
            if (string.IsNullOrWhiteSpace(s.Key)) return "AzureSpeech:Key is not configured.";
            if (options.Value.Endpoint is null && string.IsNullOrWhiteSpace(s.Region)) return "AzureSpeech:Region is not configured.";
            return null;
        }
    }

    public Uri TranscribeUri => new(options.Value.ServiceBase(speech.Value), $"speechtotext/transcriptions:transcribe?api-version={ApiVersion}");

    /// <summary>
    /// Transcribes a recording: both channels apart in one request; with speaker separation on (Azure diarizes one channel per
    /// request), one request per channel, each phrase then carrying the speaker Azure told apart within its channel.
    /// </summary>
    public async Task<IReadOnlyList<RecognisedPhrase>> TranscribeAsync(byte[] wav, int channels, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(wav);
        if (DisabledReason is { } reason) throw new InvalidOperationException(reason);
        var maxSpeakers = options.Value.MaxSpeakersPerChannel;
        if (maxSpeakers < 2) return await TranscribeAsync(wav, new Definition(options.Value.Locales, channels >= 2 ? [0, 1] : null, null), null, ct);
        var diarization = new Diarization(true, maxSpeakers);
        if (channels < 2) return await TranscribeAsync(wav, new Definition(options.Value.Locales, null, diarization), null, ct);
        var phrases = new List<RecognisedPhrase>();
        foreach (var channel in (int[])[0, 1])
            phrases.AddRange(await TranscribeAsync(wav, new Definition(options.Value.Locales, [channel], diarization), channel, ct));
        return phrases;
    }

    private async Task<IReadOnlyList<RecognisedPhrase>> TranscribeAsync(byte[] wav, Definition definition, int? channel, CancellationToken ct)
    {
        using var form = new MultipartFormDataContent();
        var audio = new ByteArrayContent(wav);
        audio.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        form.Add(audio, "audio", "recording.wav");
        form.Add(new StringContent(JsonSerializer.Serialize(definition, Json)), "definition");
        using var request = new HttpRequestMessage(HttpMethod.Post, TranscribeUri) { Content = form };
        request.Headers.Add("Ocp-Apim-Subscription-Key", speech.Value.Key);
        using var response = await http.SendAsync(request, ct);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            var message = $"Azure fast transcription answered {(int)response.StatusCode}: {(body.Length > 500 ? body[..500] : body)}";
            // 4xx other than throttling and timeouts is about this request (audio format, key): not worth retrying.
            if ((int)response.StatusCode is >= 400 and < 500 && response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout))
                throw new TranscriptionRefusedException(message);
            throw new HttpRequestException(message, null, response.StatusCode);
        }
        var result = await response.Content.ReadFromJsonAsync<Result>(Json, ct)
            ?? throw new InvalidOperationException("Azure fast transcription answered with an empty body.");
        return [.. (result.Phrases ?? []).Where(p => !string.IsNullOrWhiteSpace(p.Text))
            .Select(p => new RecognisedPhrase(p.Channel ?? channel, p.Speaker, p.OffsetMilliseconds, p.DurationMilliseconds, p.Locale, p.Text!.Trim(), p.Confidence))];
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private sealed record Definition(string[] Locales, int[]? Channels, Diarization? Diarization);

    private sealed record Diarization(bool Enabled, int MaxSpeakers);

    private sealed record Result(int DurationMilliseconds, List<Phrase>? Phrases);

    private sealed record Phrase(int? Channel, int? Speaker, int OffsetMilliseconds, int DurationMilliseconds, string? Text, string? Locale, double? Confidence);
}
