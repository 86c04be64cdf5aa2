namespace CallCenter.Server.Prompts;

/// <summary>Which text-to-speech engine renders IVR prompts, and where the rendered audio is kept.</summary>
public sealed class PromptOptions
{
    public const string SectionName = "Prompts";

    /// <summary>auto (Azure when configured, else espeak-ng when installed, else Twilio's own &lt;Say&gt;), azure, espeak or none.</summary>
    public string Engine { get; set; } = "auto";

    /// <summary>Folder for rendered prompts; defaults to a folder under the system temp directory.</summary>
    public string? CacheDirectory { get; set; }

    public string ResolvedCacheDirectory =>
        CacheDirectory is { Length: > 0 } dir ? dir : Path.Combine(Path.GetTempPath(), "callcenter-prompts");
}

/// <summary>Azure Speech text-to-speech over its REST API (the .NET SDK is not available to us).</summary>
public sealed class AzureSpeechOptions
{
    public const string SectionName = "AzureSpeech";

    /// <summary>Azure region, e.g. eastasia; with Key, turns Azure synthesis on.</summary>
    public string? Region { get; set; }

    /// <summary>Subscription key, from configuration or the environment only.</summary>
    public string? Key { get; set; }

    /// <summary>Overrides https://{Region}.tts.speech.microsoft.com (private endpoints, tests).</summary>
    public Uri? TtsEndpoint { get; set; }

    /// <summary>Neural voice per language.</summary>
    public Dictionary<string, string> Voices { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["zh-CN"] = "zh-CN-XiaoxiaoNeural",
        ["en-US"] = "en-US-JennyNeural",
    };

    /// <summary>Longest one synthesis request may take (three attempts in all at most); wall-clock time.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Key) && (TtsEndpoint is not null || !string.IsNullOrWhiteSpace(Region));
}
