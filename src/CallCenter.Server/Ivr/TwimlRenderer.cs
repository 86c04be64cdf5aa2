using CallCenter.Core.Ivr;
using CallCenter.Server.Prompts;
using CallCenter.Server.Telephony;
using Microsoft.Extensions.Options;
using Twilio.TwiML;
using TwilioVoice = Twilio.TwiML.Voice;

namespace CallCenter.Server.Ivr;

/// <summary>The only place IVR verbs become Twilio TwiML.</summary>
public sealed class TwimlRenderer(PromptLibrary prompts, IOptions<IvrHostOptions> options, IOptions<TwilioOptions> twilio)
{
    private readonly string _publicBase = twilio.Value.PublicBaseUrl!.ToString().TrimEnd('/');

    /// <summary>The URL a gather, record or redirect posts back to, carrying the interpreter's step number.</summary>
    public static Uri StepUrl(string step) => new($"/twilio/voice/ivr?step={Uri.EscapeDataString(step)}", UriKind.Relative);

    /// <summary>The verbs as TwiML; with <paramref name="surge"/>, the surge announcement and callback offer come just before holding.</summary>
    public VoiceResponse Render(IEnumerable<IvrVerb> verbs, Degraded.SurgeOffer? surge = null)
    {
        var response = new VoiceResponse();
        foreach (var verb in verbs)
        {
            switch (verb)
            {
                case Say or Play:
                    AppendSpeech(response, verb);
                    break;
                case Gather g:
                    var gather = new TwilioVoice.Gather(
                        input: g.Input == GatherInput.Dtmf
                            ? [TwilioVoice.Gather.InputEnum.Dtmf]
                            : [TwilioVoice.Gather.InputEnum.Dtmf, TwilioVoice.Gather.InputEnum.Speech],
                        action: StepUrl(g.Action),
                        method: Twilio.Http.HttpMethod.Post,
                        numDigits: g.NumDigits,
                        finishOnKey: g.FinishOnKey,
                        timeout: g.TimeoutSeconds,
                        hints: g.Hints.Count > 0 && g.Input != GatherInput.Dtmf ? string.Join(",", g.Hints) : null,
                        // Silence must come back to us: the interpreter counts it towards the agent fallback.
                        actionOnEmptyResult: true);
                    // Keypad-only gathers name no recognition language (a null would be written as an empty attribute).
                    if (g.Input != GatherInput.Dtmf) gather.Language = GatherLanguage(g.Language);
                    foreach (var prompt in g.Prompts) AppendSpeech(gather, prompt);
                    response.Append(gather);
                    break;
                case Enqueue q:
                    if (surge is not null) AppendSurgeOffer(response, surge, q.Queue, LanguageOf(verbs));
                    response.Append(new TwilioVoice.Enqueue(name: q.Queue,
                        waitUrl: new Uri($"/twilio/voice/queue-wait?lang={Uri.EscapeDataString(LanguageOf(verbs))}", UriKind.Relative),
                        waitUrlMethod: Twilio.Http.HttpMethod.Post));
                    break;
                case Dial d:
                    response.Append(new TwilioVoice.Dial(number: d.Number));
                    break;
                case RecordMessage r:
                    // The message is archived and numbered like any recording, so a callback can link it and an agent play it.
                    response.Append(new TwilioVoice.Record(action: StepUrl(r.Action), method: Twilio.Http.HttpMethod.Post,
                        maxLength: r.MaxSeconds, playBeep: true, finishOnKey: "#",
                        recordingStatusCallback: new Uri(_publicBase + Telephony.TwilioCallControl.RecordingCallbackPath),
                        recordingStatusCallbackMethod: Twilio.Http.HttpMethod.Post,
                        recordingStatusCallbackEvent: [TwilioVoice.Record.RecordingEventEnum.Completed]));
                    break;
                case Redirect r:
                    response.Append(new TwilioVoice.Redirect(StepUrl(r.Action), Twilio.Http.HttpMethod.Post));
                    break;
                case Hangup:
                    response.Append(new TwilioVoice.Hangup());
                    break;
                default:
                    throw new InvalidOperationException($"No TwiML for {verb.GetType().Name}.");
            }
        }
        return response;
    }

    // Pressing 1 posts to the surge webhook; silence falls through to the <Enqueue> after it (the call is already in the ACD).
    private void AppendSurgeOffer(VoiceResponse response, Degraded.SurgeOffer surge, string queue, string language)
    {
        AppendSpeech(response, new Say(surge.Announcement, language, null, "surge.announcement"));
        var gather = new TwilioVoice.Gather(input: [TwilioVoice.Gather.InputEnum.Dtmf],
            action: new Uri($"/twilio/voice/surge-callback?queue={Uri.EscapeDataString(queue)}&lang={Uri.EscapeDataString(language)}", UriKind.Relative),
            method: Twilio.Http.HttpMethod.Post, numDigits: 1, timeout: surge.OfferSeconds);
        AppendSpeech(gather, new Say(surge.CallbackOffer, language, null, "surge.callback_offer"));
        response.Append(gather);
    }

    /// <summary>A cached synthesized prompt when there is one; otherwise Twilio speaks the text itself.</summary>
    private void AppendSpeech(TwiML parent, IvrVerb verb)
    {
        var (text, language, voice) = verb switch
        {
            Say s => (s.Text, s.Language, s.Voice),
            Play p => (p.PromptKey, p.Language, null),
            _ => throw new InvalidOperationException($"{verb.GetType().Name} is not speech."),
        };
        if (prompts.TryGetFileName(text, language) is { } file)
            parent.Append(new TwilioVoice.Play(new Uri($"{_publicBase}/prompts/{file}")));
        else
            // The helper library turns a null string into an empty attribute, so only name a voice that exists.
            parent.Append(voice is null
                ? new TwilioVoice.Say(text, language: language)
                : new TwilioVoice.Say(text, voice: voice, language: language));
    }

    private string GatherLanguage(string language) => options.Value.GatherLanguages.GetValueOrDefault(language) ?? language;

    private static string LanguageOf(IEnumerable<IvrVerb> verbs) =>
        verbs.OfType<Say>().LastOrDefault()?.Language ?? "zh-CN";
}
