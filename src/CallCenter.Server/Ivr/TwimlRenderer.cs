using System.Collections.Concurrent;
using System.Text;
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
    // Menus repeat for every caller, and only the step number in their action URL differs, so a menu's TwiML is built once
    // with this in place of the step and filled in per call. Building it (the helper library writes an XML document) is the
    // largest allocation of a menu step. The slot is made of URL-safe letters, so escaping leaves it as it is.
    private const string StepSlot = "step_slot_5f1c";
    // Enough for every node × language × retry variant of the shipped flows many times over; past it, replies are built each time.
    private const int MaxCachedReplies = 4096;
    // Each document is kept cut at its step slots, so filling one in is a single join.
    private readonly ConcurrentDictionary<string, string[]> _replies = new(StringComparer.Ordinal);
    private int _promptsReady = -1;
    private readonly string _publicBase = twilio.Value.PublicBaseUrl!.ToString().TrimEnd('/');

    /// <summary>How many menu documents are kept for reuse.</summary>
    internal int CachedDocuments => _replies.Count;

    /// <summary>The URL a gather, record or redirect posts back to, carrying the interpreter's step number.</summary>
    public static Uri StepUrl(string step) => new($"/twilio/voice/ivr?step={Uri.EscapeDataString(step)}", UriKind.Relative);

    /// <summary>
    /// The TwiML document for <paramref name="verbs"/> posting back to <paramref name="step"/>. Replies holding a caller's own
    /// values (<see cref="Say.Personal"/>) or a surge offer are built each time and never kept.
    /// </summary>
    public string RenderDocument(IReadOnlyList<IvrVerb> verbs, string step, Degraded.SurgeOffer? surge = null)
    {
        if (surge is not null || ShapeOf(verbs, step) is not { } shape)
            return Render(verbs, surge).ToString();
        // A prompt that became ready since is played from its file instead of spoken: build the documents again.
        if (prompts.ReadyCount is var ready && ready != _promptsReady)
        {
            _replies.Clear();
            _promptsReady = ready;
        }
        if (!_replies.TryGetValue(shape, out var template))
        {
            template = Render([.. verbs.Select(v => WithAction(v, StepSlot))]).ToString().Split(StepSlot);
            if (_replies.Count < MaxCachedReplies) _replies.TryAdd(shape, template);
        }
        return string.Join(Uri.EscapeDataString(step), template);
    }

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

    // Everything that decides the TwiML except the step: null when a verb carries a caller's own values or posts to another step.
    private static string? ShapeOf(IReadOnlyList<IvrVerb> verbs, string step)
    {
        // Prompts make a shape a few hundred characters long, for every step: one builder per thread keeps its buffer.
        var shape = t_shape ??= new StringBuilder(1024);
        shape.Clear();
        foreach (var verb in verbs)
            if (!AppendShape(shape, verb, step)) return null;
        return shape.ToString();
    }

    [ThreadStatic] private static StringBuilder? t_shape;

    private static bool AppendShape(StringBuilder shape, IvrVerb verb, string step)
    {
        const char Separator = '\u001f';
        switch (verb)
        {
            case Say s:
                if (s.Personal) return false;
                shape.Append('S').Append(s.Language).Append(Separator).Append(s.Voice).Append(Separator).Append(s.Text);
                break;
            case Play p:
                shape.Append('P').Append(p.Language).Append(Separator).Append(p.PromptKey);
                break;
            case Gather g:
                if (g.Action != step) return false;
                shape.Append('G').Append((int)g.Input).Append(Separator).Append(g.NumDigits).Append(Separator).Append(g.FinishOnKey)
                    .Append(Separator).Append(g.TimeoutSeconds).Append(Separator).Append(g.Language).Append(Separator).AppendJoin(',', g.Hints);
                foreach (var prompt in g.Prompts)
                    if (!AppendShape(shape, prompt, step)) return false;
                shape.Append('g');
                break;
            case Enqueue q:
                shape.Append('Q').Append(q.Queue);
                break;
            case Dial d:
                shape.Append('D').Append(d.Number);
                break;
            case RecordMessage r:
                if (r.Action != step) return false;
                shape.Append('R').Append(r.MaxSeconds);
                break;
            case Redirect r:
                if (r.Action != step) return false;
                shape.Append('r');
                break;
            case Hangup:
                shape.Append('H');
                break;
            default:
                return false;
        }
        shape.Append(Separator);
        return true;
    }

    // The interpreter's actions all name the current step; the cached document names the slot instead.
    private static IvrVerb WithAction(IvrVerb verb, string action) => verb switch
    {
        Gather g => g with { Action = action },
        Redirect r => r with { Action = action },
        RecordMessage r => r with { Action = action },
        _ => verb,
    };

    private string GatherLanguage(string language) => options.Value.GatherLanguages.GetValueOrDefault(language) ?? language;

    private static string LanguageOf(IEnumerable<IvrVerb> verbs) =>
        verbs.OfType<Say>().LastOrDefault()?.Language ?? "zh-CN";
}
