using Microsoft.Extensions.Options;
using Twilio.TwiML;
using TwilioVoice = Twilio.TwiML.Voice;

namespace CallCenter.Server.Telephony;

/// <summary>
/// Twilio's fallback URL (`POST /twilio/voice/fallback`), called when the voice URL fails: static TwiML
/// that still reaches people, built from configuration alone (no database, no Redis, no flow), so it
/// answers even while everything behind the server is down.
/// </summary>
public static class FallbackWebhook
{
    public static RouteGroupBuilder MapFallbackWebhook(this RouteGroupBuilder voice)
    {
        voice.MapPost("/fallback", (IOptions<TwilioOptions> options) => Twiml.Ok(Build(options.Value.FallbackNumber)))
            .WithName("TwilioVoiceFallback");
        return voice;
    }

    /// <summary>Dials the configured backup number (another site, a branch desk); without one, queues for any agent.</summary>
    public static VoiceResponse Build(string? fallbackNumber)
    {
        var response = new VoiceResponse()
            .Say("系统繁忙，正在为您转接人工服务，请稍候。", language: "zh-CN")
            .Say("We are experiencing difficulties. Connecting you to an agent, please hold.", language: "en-US");
        if (!string.IsNullOrWhiteSpace(fallbackNumber))
            response.Append(new TwilioVoice.Dial(number: fallbackNumber, timeout: 60));
        else
            response.Append(new TwilioVoice.Enqueue(name: "general"));
        return response;
    }
}
