namespace CallCenter.Server.Ivr;

/// <summary>How the server runs the IVR flows: where they are, how long a call's state lives, how it is protected.</summary>
public sealed class IvrHostOptions
{
    public const string SectionName = "Ivr";

    /// <summary>Folder of flow files; by default the nearest `ivr-flows` folder above the content root.</summary>
    public string? FlowsDirectory { get; set; }

    /// <summary>How long a call's IVR state stays in Redis after its last step.</summary>
    public TimeSpan SessionTtl { get; set; } = TimeSpan.FromHours(4);

    /// <summary>
    /// How long a call's IVR state is kept after its final status callback: long enough for a webhook Twilio posts after the
    /// hang-up (a &lt;Record&gt;'s action), short so that ended calls do not pile up in memory and Redis.
    /// </summary>
    public TimeSpan EndedSessionTtl { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Base64 of 32 bytes: the AES-256-GCM key for IVR state in Redis (it briefly holds a card number).
    /// Every instance must share it; without it a random per-process key is used, fit for one instance only.
    /// </summary>
    public string? StateKey { get; set; }

    /// <summary>Speech below this confidence is asked again.</summary>
    public double ConfidenceFloor { get; set; } = 0.5;

    /// <summary>Twilio speech-recognition language per flow language, where the codes differ.</summary>
    public Dictionary<string, string> GatherLanguages { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["zh-CN"] = "cmn-Hans-CN",
    };

    /// <summary>How long one round of the queue hold message waits before Twilio asks again.</summary>
    public int HoldPauseSeconds { get; set; } = 15;
}
