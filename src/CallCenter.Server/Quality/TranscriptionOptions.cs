using System.ComponentModel.DataAnnotations;

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

    /// <summary>Fast transcription takes files up to 200 MB; a larger recording is marked failed rather than sent.</summary>
    public long MaxAudioBytes { get; set; } = 200L * 1024 * 1024;

    /// <summary>One attempt's limit: fast transcription answers faster than real time, but a long call still takes minutes.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
