using System.ComponentModel.DataAnnotations;
using CallCenter.Server.Prompts;

namespace CallCenter.Server.Quality;

/// <summary>
/// Transcription of archived recordings through Azure Speech fast transcription. Region and key are the shared
/// <c>AzureSpeech:Region</c> / <c>AzureSpeech:Key</c>; without them transcription is off and jobs wait, queued.
/// </summary>
public sealed class TranscriptionOptions
{
    public const string SectionName = "Transcription";

    /// <summary>Languages Azure may hear (it identifies which one per phrase).</summary>
    [MinLength(1)]
    public string[] Locales { get; set; } = ["zh-CN", "en-US"];

    /// <summary>Overrides https://{region}.api.cognitive.microsoft.com/ (private endpoints, tests).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>False on web-only instances.</summary>
    public bool RunWorker { get; set; } = true;

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(15);

    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 6;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Fast transcription takes files up to 200 MB; a larger recording goes to batch transcription.</summary>
    public long MaxAudioBytes { get; set; } = 200L * 1024 * 1024;

    /// <summary>Fast transcription takes audio shorter than 2 hours; a longer recording goes to batch transcription.</summary>
    public TimeSpan MaxAudioDuration { get; set; } = TimeSpan.FromHours(2);

    /// <summary>
    /// Speaker separation within a channel (Azure diarization), up to this many voices; below 2 (the default 0) it is off. Azure diarizes one
    /// channel at a time, so with it on a stereo recording is sent to fast transcription once per channel; batch transcription
    /// diarizes only mono recordings (Azure does not offer it for stereo).
    /// </summary>
    [Range(0, 35)]
    public int MaxSpeakersPerChannel { get; set; }

    /// <summary>
    /// The address Azure's batch service downloads a recording from: this server's public HTTPS base URL (default
    /// <c>Twilio:PublicBaseUrl</c>). Without either, recordings too large for fast transcription fail with that reason.
    /// </summary>
    public Uri? AudioBaseUrl { get; set; }

    /// <summary>How long the one-off audio link given to Azure's batch service works (Azure may start hours later).</summary>
    public TimeSpan AudioLinkLifetime { get; set; } = TimeSpan.FromHours(48);

    /// <summary>How often a running batch transcription is asked for its status.</summary>
    public TimeSpan BatchPollInterval { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Azure deletes a finished batch transcription after this many hours (6 to 744); we delete it as soon as it is read.</summary>
    [Range(6, 744)]
    public int BatchTimeToLiveHours { get; set; } = 48;

    /// <summary>One attempt's limit: fast transcription answers faster than real time, but a long call still takes minutes.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Azure Speech's REST base: the configured endpoint, else the region's.</summary>
    internal Uri ServiceBase(AzureSpeechOptions speech) => Endpoint ?? new Uri($"https://{speech.Region}.api.cognitive.microsoft.com/");
}
