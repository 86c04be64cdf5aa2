using System.Collections.Concurrent;
using System.Globalization;

namespace CallCenter.Core.Ivr;

/// <summary>
/// Runs a validated flow one webhook at a time: (state, input, context) in, (new state, verbs, events,
/// core request) out. Pure and deterministic, so a retried webhook with the same state and input yields
/// the same step and the same event keys.
/// </summary>
/// <remarks>
/// Host loop: <see cref="Start"/> on the incoming call; store <see cref="IvrStep.State"/>; render
/// <see cref="IvrStep.Verbs"/>; log <see cref="IvrStep.Events"/>; when <see cref="IvrStep.CoreRequest"/> is set,
/// call the core system and <see cref="Continue"/> with <see cref="IvrInput.FromCore"/>; on each gather /
/// record callback, <see cref="Continue"/> with <see cref="IvrInput.FromTwilio"/> or <see cref="IvrInput.RecordingDone"/>;
/// after the agent leg ends, <see cref="AfterAgent"/> runs the survey.
/// </remarks>
public sealed class IvrInterpreter
{
    // A validated flow has no exitless loop; this only guards against running an unvalidated one forever.
    private const int MaxHopsPerStep = 64;

    /// <summary>Most recent nodes kept in <see cref="IvrCallState.Path"/>.</summary>
    public const int MaxPathLength = 64;

    private readonly IvrFlow _flow;
    private readonly IvrOptions _options;
    // A menu's speech hints depend only on the node and the language, and every caller in that menu needs them.
    private readonly ConcurrentDictionary<(string Node, string Language), IReadOnlyList<string>> _hints = new();

    /// <summary>Creates an interpreter for one flow.</summary>
    public IvrInterpreter(IvrFlow flow, IvrOptions? options = null)
    {
        _flow = flow;
        _options = options ?? new IvrOptions();
    }

    /// <summary>The flow this interpreter runs.</summary>
    public IvrFlow Flow => _flow;

    /// <summary>First step of a new call.</summary>
    public IvrStep Start(IvrContext context)
    {
        var state = new IvrCallState
        {
            FlowId = _flow.Id,
            NodeId = _flow.Start.Target,
            Language = _flow.DefaultLanguage,
            Step = 1,
            Phase = IvrPhase.Choice,
        };
        var run = new Run(this, state, context);
        run.Event("ivr.entered", state.NodeId, ("flow", _flow.Id), ("after_hours", Flag(!run.Open)));
        run.Enter(_flow.Start.Target);
        return run.Finish();
    }

    /// <summary>Next step of a call from its stored state and the input the host received.</summary>
    public IvrStep Continue(IvrCallState state, IvrInput input, IvrContext context)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(input);
        if (state.FlowId != _flow.Id)
            throw new ArgumentException($"State belongs to flow '{state.FlowId}', not '{_flow.Id}'.", nameof(state));
        var run = new Run(this, state with { Step = state.Step + 1 }, context);
        var node = _flow.Node(state.NodeId);
        switch (state.Phase)
        {
            case IvrPhase.Choice when node.Kind == NodeKind.Survey:
                run.SurveyAnswer(node, input);
                break;
            case IvrPhase.Choice:
                run.Choice(node, input);
                break;
            case IvrPhase.Card:
            case IvrPhase.Pin:
                run.Credentials(node, input);
                break;
            case IvrPhase.Core:
                run.CoreAnswer(node, input);
                break;
            case IvrPhase.Recording:
                run.Recorded(node, input);
                break;
            case IvrPhase.Done:
                // A late webhook after the IVR handed the call on: nothing more to say.
                run.Verb(new Hangup());
                break;
        }

        return run.Finish();
    }

    /// <summary>After the agent leg ends: the post-call survey when the flow has one, otherwise hang up.</summary>
    public IvrStep AfterAgent(IvrCallState state, IvrContext context)
    {
        var run = new Run(this, state with { Step = state.Step + 1, Retries = 0 }, context);
        if (_flow.Survey is { } survey)
        {
            run.Enter(survey.Target);
        }
        else
        {
            run.State = run.State with { Phase = IvrPhase.Done };
            run.Verb(new Hangup());
            run.Event("ivr.hangup", state.NodeId);
        }

        return run.Finish();
    }

    private static string Flag(bool value) => value ? "true" : "false";

    /// <summary>One step in progress: accumulates verbs and events while moving through nodes.</summary>
    private sealed class Run(IvrInterpreter owner, IvrCallState state, IvrContext context)
    {
        private readonly List<IvrVerb> _verbs = [];
        private readonly List<IvrEvent> _events = [];
        private CoreRequest? _core;
        private int _hops;

        private IvrFlow Flow => owner._flow;

        private IvrOptions Options => owner._options;

        public IvrCallState State { get; set; } = state;

        public bool Open { get; } = owner._flow.Calendar.IsOpen(context.Now);

        public IvrStep Finish() => new(State, _verbs, _events, _core);

        public void Verb(IvrVerb verb) => _verbs.Add(verb);

        public void Event(string type, string nodeId, params (string Key, string Value)[] data) =>
            _events.Add(new IvrEvent(
                type,
                string.Create(CultureInfo.InvariantCulture, $"{State.Step:D3}.{_events.Count + 1}.{type}"),
                nodeId,
                data.ToDictionary(d => d.Key, d => d.Value, StringComparer.Ordinal)));

        /// <summary>Moves to a node and runs it until it needs input or ends the IVR part of the call.</summary>
        public void Enter(string nodeId)
        {
            if (++_hops > MaxHopsPerStep)
                throw new InvalidOperationException($"Flow '{Flow.Id}' loops without input at node '{nodeId}'; validate it first.");

            var node = Flow.Node(nodeId);
            // The state lives in Redis for every call: keep the path bounded even for a caller who circles the menus.
            var path = State.Path.Count < MaxPathLength ? State.Path : State.Path.Skip(State.Path.Count - MaxPathLength + 1);
            State = State with { NodeId = nodeId, Retries = 0, Path = [.. path, nodeId] };
            switch (node.Kind)
            {
                case NodeKind.Say:
                    Speak(node, "prompt");
                    Enter(node.Next!.Target);
                    break;
                case NodeKind.Menu:
                case NodeKind.Language:
                    if (nodeId == Flow.MainMenu.Target)
                        Notices(node);
                    AskChoice(node);
                    break;
                case NodeKind.Verify:
                    if (State.SelfServiceLocked)
                    {
                        Human(node, "self_service_locked");
                    }
                    else if (State.Verified)
                    {
                        Enter(node.Next!.Target);
                    }
                    else
                    {
                        Event("ivr.verification_started", node.Id);
                        AskCard(node);
                    }

                    break;
                case NodeKind.SelfService:
                    if (State.SelfServiceLocked || !State.Verified)
                    {
                        // The validator keeps money behind verification; this is the runtime backstop.
                        Human(node, State.SelfServiceLocked ? "self_service_locked" : "not_verified");
                        break;
                    }

                    Speak(node, "prompt");
                    State = State with { Phase = IvrPhase.Core };
                    _core = new CoreRequest(ToOperation(node.Action!.Value), State.CustomerId, null, null);
                    Event("ivr.core_requested", node.Id, ("operation", _core.Operation.ToString()));
                    break;
                case NodeKind.Queue:
                case NodeKind.Complaint:
                    Queue(node);
                    break;
                case NodeKind.Voicemail:
                    Speak(node, "prompt");
                    State = State with { Phase = IvrPhase.Recording };
                    Verb(new RecordMessage(node.MaxSeconds, node.Callback, Action));
                    Event("ivr.voicemail_offered", node.Id, ("callback", Flag(node.Callback)), ("after_hours", Flag(!Open)));
                    break;
                case NodeKind.Survey:
                    State = State with { Phase = IvrPhase.Choice };
                    Verb(Gather(node, [.. Prompt(node, "prompt")], GatherInput.Dtmf, 1, null, []));
                    break;
                case NodeKind.Transfer:
                    Speak(node, "prompt");
                    State = State with { Phase = IvrPhase.Done };
                    Verb(new Dial(node.Number!));
                    Event("ivr.transferred", node.Id, ("number", node.Number!));
                    break;
                case NodeKind.Hangup:
                    Speak(node, "prompt");
                    State = State with { Phase = IvrPhase.Done };
                    Verb(new Hangup());
                    Event("ivr.hangup", node.Id);
                    break;
            }
        }

        private void Queue(FlowNode node)
        {
            if (!Open)
            {
                // Agents are not staffed: the caller leaves a message or asks for a callback instead.
                Event("ivr.after_hours", node.Id, ("instead_of", node.Id), ("target", Flow.AfterHours.Target));
                Enter(Flow.AfterHours.Target);
                return;
            }

            Speak(node, "prompt");
            var priority = node.Priority;
            if (State.Data.TryGetValue("priority", out var vip) && int.TryParse(vip, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p))
                priority = Math.Max(priority, p);
            State = State with { Phase = IvrPhase.Done };
            Verb(new Enqueue(node.Queue!, node.Skills, priority));
            if (node.Kind == NodeKind.Complaint)
                Event("ivr.complaint", node.Id, ("queue", node.Queue!));
            Event("ivr.queued", node.Id, ("queue", node.Queue!), ("skills", string.Join(",", node.Skills)),
                ("priority", priority.ToString(CultureInfo.InvariantCulture)), ("verified", Flag(State.Verified)));
        }

        private void Notices(FlowNode node)
        {
            if (State.NoticesPlayed)
                return;
            State = State with { NoticesPlayed = true };
            if (context.EmergencyAnnouncement is { Count: > 0 } announcement)
            {
                var language = announcement.ContainsKey(State.Language) ? State.Language
                    : announcement.ContainsKey(Flow.DefaultLanguage) ? Flow.DefaultLanguage
                    : announcement.Keys.First();
                Verb(SayOrPlay(announcement[language], language, "emergency"));
                Event("ivr.emergency_announcement", node.Id, ("language", language));
            }

            if (!Open && Flow.AfterHoursNotice is { } notice && notice.In(State.Language) is { } text)
                Verb(SayOrPlay(text, State.Language, "after-hours-notice"));
        }

        private void AskChoice(FlowNode node, IvrVerb? before = null)
        {
            State = State with { Phase = IvrPhase.Choice };
            List<IvrVerb> prompts = before is null ? [] : [before];
            if (node.Kind == NodeKind.Language)
            {
                // The caller has not chosen yet: say the choice in every offered language, each in its own voice.
                prompts.AddRange(Flow.Languages.Select(l => SayOrPlay(node.Prompts["prompt"].In(l) ?? "", l, $"{node.Id}.prompt")));
            }
            else
            {
                prompts.AddRange(Prompt(node, "prompt"));
            }

            var hints = owner._hints.GetOrAdd((node.Id, State.Language), key => node.Options
                .SelectMany(o => (o.Words.GetValueOrDefault(key.Language) ?? []).Concat(o.Words.GetValueOrDefault("*") ?? []))
                .Distinct(StringComparer.Ordinal)
                .ToList());
            Verb(Gather(node, prompts, GatherInput.DtmfAndSpeech, 1, null, hints));
        }

        private void AskCard(FlowNode node, IvrVerb? before = null)
        {
            State = State with { Phase = IvrPhase.Card, PendingCard = null };
            Verb(Gather(node, [.. Before(before), .. Prompt(node, "card")], GatherInput.Dtmf, null, "#", []));
        }

        private void AskPin(FlowNode node, IvrVerb? before = null)
        {
            State = State with { Phase = IvrPhase.Pin };
            Verb(Gather(node, [.. Before(before), .. Prompt(node, "pin")], GatherInput.Dtmf, Options.PinDigits, null, []));
        }

        private static IEnumerable<IvrVerb> Before(IvrVerb? verb) => verb is null ? [] : [verb];

        public void Choice(FlowNode node, IvrInput input)
        {
            switch (input.Kind)
            {
                case InputKind.NoInput:
                    Event("ivr.no_input", node.Id, ("attempt", (State.Retries + 1).ToString(CultureInfo.InvariantCulture)));
                    Retry(node, "no-input", () => AskChoice(node, Message("no-input")));
                    return;
                case InputKind.Digits:
                    var key = input.Digits![..1];
                    if (key == "0")
                    {
                        Event("ivr.menu_choice", node.Id, ("key", "0"), ("via", "dtmf"), ("target", Flow.Agent.Target));
                        Human(node, "key_0");
                        return;
                    }

                    if (node.Options.FirstOrDefault(o => o.Key == key) is { } pressed)
                    {
                        Choose(node, pressed, "dtmf");
                        return;
                    }

                    Invalid(node);
                    return;
                case InputKind.Speech:
                    if (input.Confidence < Options.ConfidenceFloor)
                    {
                        Event("ivr.low_confidence", node.Id, ("confidence", input.Confidence.ToString("0.00", CultureInfo.InvariantCulture)));
                        Retry(node, "not-understood", () => AskChoice(node, Message("not-understood")));
                        return;
                    }

                    var said = input.Speech!;
                    var human = node.Options.FirstOrDefault(o => o.Key == "0");
                    if (Options.HumanWords.Concat(human?.AllWords ?? []).Any(w => Mentions(said, w)))
                    {
                        Event("ivr.menu_choice", node.Id, ("key", "0"), ("via", "speech"), ("target", Flow.Agent.Target));
                        Human(node, "spoken_agent");
                        return;
                    }

                    var matches = node.Options.Where(o => o.Key != "0" && Words(o).Any(w => Mentions(said, w))).ToList();
                    if (matches.Count == 1)
                    {
                        Choose(node, matches[0], "speech");
                        return;
                    }

                    // Nothing matched, or the words fit more than one option: ask again rather than guess.
                    Invalid(node);
                    return;
                default:
                    Unexpected(node, input, () => AskChoice(node));
                    return;
            }
        }

        private IEnumerable<string> Words(MenuOption option) =>
            (option.Words.GetValueOrDefault(State.Language) ?? []).Concat(option.Words.GetValueOrDefault("*") ?? [])
            .Concat(option.Language is null ? [] : option.AllWords);

        private void Invalid(FlowNode node)
        {
            Event("ivr.invalid_input", node.Id, ("attempt", (State.Retries + 1).ToString(CultureInfo.InvariantCulture)));
            Retry(node, "invalid", () => AskChoice(node, Message("invalid")));
        }

        private void Choose(FlowNode node, MenuOption option, string via)
        {
            if (option.Language is { } language)
            {
                State = State with { Language = language };
                Event("ivr.language_chosen", node.Id, ("language", language), ("via", via));
                Enter(node.Next!.Target);
                return;
            }

            Event("ivr.menu_choice", node.Id, ("key", option.Key), ("via", via), ("target", option.Target!));
            State = State with { Data = With(State.Data, ("choice." + node.Id, option.Key)) };
            if (option.Target == Flow.Agent.Target)
                Human(node, "menu");
            else
                Enter(option.Target!);
        }

        /// <summary>Counts a failed attempt; at the limit the caller goes to a person (survey: the call just ends).</summary>
        private void Retry(FlowNode node, string reason, Action askAgain)
        {
            State = State with { Retries = State.Retries + 1 };
            var limit = node.MaxRetries ?? Flow.MaxRetries;
            if (State.Retries < limit)
            {
                askAgain();
                return;
            }

            Event("ivr.retries_exhausted", node.Id, ("reason", reason), ("attempts", State.Retries.ToString(CultureInfo.InvariantCulture)));
            if (node.Kind == NodeKind.Survey)
            {
                State = State with { Phase = IvrPhase.Done };
                Verb(new Hangup());
                Event("ivr.hangup", node.Id);
                return;
            }

            Human(node, reason == "no-input" ? "no_input" : "invalid_input");
        }

        private void Unexpected(FlowNode node, IvrInput input, Action askAgain)
        {
            // A stale or misrouted webhook: ask again without charging the caller an attempt.
            Event("ivr.unexpected_input", node.Id, ("kind", input.Kind.ToString()), ("phase", State.Phase.ToString()));
            askAgain();
        }

        private void Human(FlowNode from, string reason)
        {
            Event("ivr.agent_requested", from.Id, ("reason", reason), ("after_hours", Flag(!Open)));
            Enter(Flow.Agent.Target);
        }

        public void Credentials(FlowNode node, IvrInput input)
        {
            var askAgain = State.Phase == IvrPhase.Card ? (Action<IvrVerb?>)(b => AskCard(node, b)) : b => AskPin(node, b);
            switch (input.Kind)
            {
                case InputKind.NoInput:
                    Event("ivr.no_input", node.Id, ("field", State.Phase == IvrPhase.Card ? "card" : "pin"));
                    Retry(node, "no-input", () => askAgain(Message("no-input")));
                    return;
                case InputKind.Speech when Options.HumanWords.Any(w => Mentions(input.Speech!, w)):
                    Event("ivr.menu_choice", node.Id, ("key", "0"), ("via", "speech"), ("target", Flow.Agent.Target));
                    Human(node, "spoken_agent");
                    return;
                case InputKind.Digits:
                    var digits = input.Digits!.TrimEnd('#');
                    var ok = digits.All(char.IsAsciiDigit) && (State.Phase == IvrPhase.Card
                        ? digits.Length >= Options.MinCardDigits && digits.Length <= Options.MaxCardDigits
                        : digits.Length == Options.PinDigits);
                    if (!ok)
                    {
                        // Only the length goes to the log: the digits themselves never do.
                        Event("ivr.invalid_input", node.Id, ("field", State.Phase == IvrPhase.Card ? "card" : "pin"), ("length", digits.Length.ToString(CultureInfo.InvariantCulture)));
                        Retry(node, "invalid", () => askAgain(Message("invalid")));
                        return;
                    }

                    if (State.Phase == IvrPhase.Card)
                    {
                        State = State with { PendingCard = digits, Retries = 0 };
                        Event("ivr.card_entered", node.Id, ("card", CoreRequest.Mask(digits)));
                        AskPin(node);
                        return;
                    }

                    _core = new CoreRequest(CoreOperation.Verify, null, State.PendingCard, digits);
                    State = State with { PendingCard = null, Phase = IvrPhase.Core };
                    Event("ivr.core_requested", node.Id, ("operation", nameof(CoreOperation.Verify)));
                    return;
                default:
                    Event("ivr.invalid_input", node.Id, ("field", State.Phase == IvrPhase.Card ? "card" : "pin"), ("kind", input.Kind.ToString()));
                    Retry(node, "invalid", () => askAgain(Message("invalid")));
                    return;
            }
        }

        public void CoreAnswer(FlowNode node, IvrInput input)
        {
            if (input is not { Kind: InputKind.Core, Core: { } result })
            {
                // The host must answer a core request before anything else; repeat the request.
                Event("ivr.unexpected_input", node.Id, ("kind", input.Kind.ToString()), ("phase", State.Phase.ToString()));
                if (node.Kind == NodeKind.Verify)
                    AskCard(node, Message("invalid")); // the PIN is gone, so the check starts over
                else
                    _core = new CoreRequest(ToOperation(node), State.CustomerId, null, null);
                return;
            }

            if (node.Kind == NodeKind.Verify)
            {
                Verified(node, result);
                return;
            }

            var action = node.Action!.Value;
            Event("ivr.self_service", node.Id, ("action", ToOperation(action).ToString()), ("outcome", result.Success ? "success" : "failure"));
            if (result.Unavailable)
            {
                // Waiting or trying again would only keep the caller on the line: a person can help now.
                Human(node, "core_unavailable");
                return;
            }
            if (result.Success)
            {
                Speak(node, "success", result.Data);
                Enter(node.Next!.Target);
                return;
            }

            Speak(node, "failure", result.Data);
            if (node.OnFailure is { } failure)
                Enter(failure.Target);
            else
                Human(node, "self_service_failed");
        }

        private void Verified(FlowNode node, CoreResult result)
        {
            if (result.Success)
            {
                State = State with
                {
                    Verified = true,
                    CustomerId = result.CustomerId,
                    Data = With(State.Data, [.. (result.Data ?? new Dictionary<string, string>()).Select(kv => (kv.Key, kv.Value))]),
                };
                Event("ivr.verified", node.Id, ("customer", result.CustomerId ?? ""));
                Enter(node.Next!.Target);
                return;
            }

            if (result.Unavailable)
            {
                // Not a wrong card or PIN: asking again would keep the caller waiting on a system that is not answering.
                Human(node, "core_unavailable");
                return;
            }

            var failures = State.VerificationFailures + 1;
            State = State with { VerificationFailures = failures };
            Event("ivr.verification_failed", node.Id, ("failures", failures.ToString(CultureInfo.InvariantCulture)));
            if (failures >= node.MaxFailures)
            {
                State = State with { SelfServiceLocked = true };
                Event("ivr.self_service_locked", node.Id, ("failures", failures.ToString(CultureInfo.InvariantCulture)));
                Speak(node, "locked");
                Human(node, "verification_failed");
                return;
            }

            State = State with { Retries = 0 };
            AskCard(node, Prompt(node, "failure").FirstOrDefault());
        }

        public void SurveyAnswer(FlowNode node, IvrInput input)
        {
            if (input.Kind == InputKind.Digits && input.Digits is [>= '1' and <= '5'] score)
            {
                Event("ivr.survey_answer", node.Id, ("score", score));
                State = State with { Data = With(State.Data, ("survey", score)) };
                Speak(node, "thanks");
                if (node.Next is { } next)
                {
                    Enter(next.Target);
                }
                else
                {
                    State = State with { Phase = IvrPhase.Done };
                    Verb(new Hangup());
                    Event("ivr.hangup", node.Id);
                }

                return;
            }

            Event(input.Kind == InputKind.NoInput ? "ivr.no_input" : "ivr.invalid_input", node.Id);
            Retry(node, input.Kind == InputKind.NoInput ? "no-input" : "invalid", () =>
                Verb(Gather(node, [.. Before(Message(input.Kind == InputKind.NoInput ? "no-input" : "invalid")), .. Prompt(node, "prompt")], GatherInput.Dtmf, 1, null, [])));
        }

        public void Recorded(FlowNode node, IvrInput input)
        {
            if (input.RecordingSid is { } recording)
                Event("ivr.voicemail", node.Id, ("callback", Flag(node.Callback)), ("recorded", Flag(input.Kind == InputKind.Recorded)), ("recording_sid", recording));
            else
                Event("ivr.voicemail", node.Id, ("callback", Flag(node.Callback)), ("recorded", Flag(input.Kind == InputKind.Recorded)));
            if (node.Next is { } next)
            {
                Enter(next.Target);
                return;
            }

            State = State with { Phase = IvrPhase.Done };
            Verb(new Hangup());
            Event("ivr.hangup", node.Id);
        }

        private string Action => State.Step.ToString(CultureInfo.InvariantCulture);

        private Gather Gather(FlowNode node, IReadOnlyList<IvrVerb> prompts, GatherInput input, int? numDigits, string? finishOnKey, IReadOnlyList<string> hints) =>
            new(prompts, input, numDigits, finishOnKey, Flow.TimeoutSeconds, State.Language, hints, Action);

        private void Speak(FlowNode node, string field, IReadOnlyDictionary<string, string>? values = null) =>
            _verbs.AddRange(Prompt(node, field, values));

        private IEnumerable<IvrVerb> Prompt(FlowNode node, string field, IReadOnlyDictionary<string, string>? values = null)
        {
            if (node.Prompts.TryGetValue(field, out var prompt) && prompt.In(State.Language) is { } text)
                yield return SayOrPlay(Fill(text, values), State.Language, $"{node.Id}.{field}", cacheable: values is null);
        }

        private IvrVerb? Message(string name) =>
            Flow.Messages.TryGetValue(name, out var prompt) && prompt.In(State.Language) is { } text
                ? SayOrPlay(text, State.Language, $"messages.{name}")
                : null;

        private IvrVerb SayOrPlay(string text, string language, string key, bool cacheable = true) =>
            Options.PlayCachedPrompts && cacheable
                ? new Play(key, language)
                : new Say(text, language, Options.Voices.GetValueOrDefault(language), key) { Personal = !cacheable };

        private static string Fill(string text, IReadOnlyDictionary<string, string>? values)
        {
            if (values is null)
                return text;
            foreach (var (name, value) in values)
                text = text.Replace("{" + name + "}", value, StringComparison.Ordinal);
            return text;
        }
    }

    /// <summary>
    /// Whether recognised speech contains a keyword. Chinese has no spaces, so a keyword matches anywhere;
    /// words in a spaced script match whole words only (so "no" is not heard in "I don't know"), plural -s allowed.
    /// </summary>
    internal static bool Mentions(string speech, string keyword)
    {
        var word = Words(keyword);
        if (word.Length == 0)
            return false;
        var said = Words(speech);
        if (keyword.Any(c => c > '\u2E7F'))
            return said.Replace(" ", "", StringComparison.Ordinal).Contains(word.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
        var padded = $" {said} ";
        return padded.Contains($" {word} ", StringComparison.Ordinal) || padded.Contains($" {word}s ", StringComparison.Ordinal);

        static string Words(string text) =>
            string.Join(' ', text.ToLowerInvariant()
                .Select(c => char.IsLetterOrDigit(c) || c == '\'' ? c : ' ')
                .Aggregate(new System.Text.StringBuilder(), (sb, c) => sb.Append(c))
                .ToString()
                .Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    private static Dictionary<string, string> With(IReadOnlyDictionary<string, string> data, params (string Key, string Value)[] more)
    {
        var copy = new Dictionary<string, string>(data, StringComparer.Ordinal);
        foreach (var (key, value) in more)
            copy[key] = value;
        return copy;
    }

    private static CoreOperation ToOperation(FlowNode node) =>
        node.Kind == NodeKind.Verify ? CoreOperation.Verify : ToOperation(node.Action!.Value);

    private static CoreOperation ToOperation(SelfServiceAction action) => action switch
    {
        SelfServiceAction.Balance => CoreOperation.Balance,
        SelfServiceAction.RecentTransactions => CoreOperation.RecentTransactions,
        SelfServiceAction.ReportLoss => CoreOperation.ReportLoss,
        SelfServiceAction.BillPayment => CoreOperation.BillPayment,
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown self-service action."),
    };
}
