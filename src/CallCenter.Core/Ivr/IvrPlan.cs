using System.Globalization;
using System.Text.Json.Serialization;

namespace CallCenter.Core.Ivr;

/// <summary>A TwiML-neutral instruction the host renders (as TwiML for Twilio).</summary>
public abstract record IvrVerb;

/// <summary>Speak <paramref name="Text"/>; <paramref name="PromptKey"/> names the prompt so a host may play cached audio instead.</summary>
public sealed record Say(string Text, string Language, string? Voice, string PromptKey) : IvrVerb
{
    /// <summary>The text carries this caller's values (a balance, a card's last digits): a host must not keep it beyond the call.</summary>
    public bool Personal { get; init; }
}

/// <summary>Play the cached recording of a prompt (emitted when <see cref="IvrOptions.PlayCachedPrompts"/> is on).</summary>
public sealed record Play(string PromptKey, string Language) : IvrVerb;

/// <summary>Which inputs a gather accepts.</summary>
public enum GatherInput
{
    /// <summary>Keypad only (card numbers, PINs, survey scores).</summary>
    Dtmf,
    /// <summary>Keypad and speech (menus).</summary>
    DtmfAndSpeech,
}

/// <summary>Play <paramref name="Prompts"/> while collecting input, then post it to <paramref name="Action"/>.</summary>
/// <param name="Prompts">Say / Play verbs nested in the gather (barge-in allowed).</param>
/// <param name="Input">Accepted inputs.</param>
/// <param name="NumDigits">Digits to collect before posting, when fixed.</param>
/// <param name="FinishOnKey">Key that ends variable-length input.</param>
/// <param name="TimeoutSeconds">Silence before the host reports no input.</param>
/// <param name="Language">Speech recognition language.</param>
/// <param name="Hints">Spoken keywords to bias recognition.</param>
/// <param name="Action">Step id the host puts in the action URL; equals the new state's <see cref="IvrCallState.Step"/>.</param>
public sealed record Gather(
    IReadOnlyList<IvrVerb> Prompts,
    GatherInput Input,
    int? NumDigits,
    string? FinishOnKey,
    int TimeoutSeconds,
    string Language,
    IReadOnlyList<string> Hints,
    string Action) : IvrVerb;

/// <summary>Ask the host to come back to the interpreter at <paramref name="Action"/>.</summary>
public sealed record Redirect(string Action) : IvrVerb;

/// <summary>Put the caller in an ACD queue for an agent with <paramref name="Skills"/>.</summary>
public sealed record Enqueue(string Queue, IReadOnlyList<string> Skills, int Priority) : IvrVerb;

/// <summary>Transfer to an external number (E.164).</summary>
public sealed record Dial(string Number) : IvrVerb;

/// <summary>Record a voicemail / callback request, then post to <paramref name="Action"/>.</summary>
public sealed record RecordMessage(int MaxSeconds, bool Callback, string Action) : IvrVerb;

/// <summary>End the call.</summary>
public sealed record Hangup : IvrVerb;

/// <summary>A call event for the append-only call log; (CallSid, <paramref name="StepKey"/>) is unique, so a retried webhook logs nothing twice.</summary>
/// <param name="Type">Event type such as <c>ivr.menu_choice</c>.</param>
/// <param name="StepKey">Stable key: the same state and input always give the same key.</param>
/// <param name="NodeId">Node the event happened at.</param>
/// <param name="Data">Details; never card numbers, PINs or other caller-entered digits.</param>
public sealed record IvrEvent(string Type, string StepKey, string NodeId, IReadOnlyDictionary<string, string> Data);

/// <summary>Operations the bank's core system performs for the IVR.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CoreOperation>))]
public enum CoreOperation
{
    /// <summary>Check card number and PIN.</summary>
    Verify,
    /// <summary>Account balance.</summary>
    Balance,
    /// <summary>Recent transactions.</summary>
    RecentTransactions,
    /// <summary>Report a card lost and block it.</summary>
    ReportLoss,
    /// <summary>Pay the outstanding card bill.</summary>
    BillPayment,
}

/// <summary>
/// A request the host must send to the bank's core system before the call can go on; the host then calls
/// <see cref="IvrInterpreter.Continue"/> with <see cref="IvrInput.FromCore"/>.
/// </summary>
public sealed record CoreRequest(CoreOperation Operation, string? CustomerId, string? CardNumber, string? Pin)
{
    /// <summary>Masks card and PIN so a logged request leaks neither.</summary>
    public override string ToString() =>
        $"CoreRequest {{ Operation = {Operation}, CustomerId = {CustomerId}, CardNumber = {Mask(CardNumber)}, Pin = {(Pin is null ? "" : "******")} }}";

    /// <summary>Keeps the last four digits only.</summary>
    public static string Mask(string? digits) =>
        digits is null ? "" : digits.Length <= 4 ? new string('*', digits.Length) : new string('*', digits.Length - 4) + digits[^4..];
}

/// <summary>The bank core system's answer to a <see cref="CoreRequest"/>.</summary>
/// <param name="Success">Whether the operation succeeded (for verify: card and PIN match).</param>
/// <param name="CustomerId">The verified customer (verify only).</param>
/// <param name="Data">Values the success prompt may speak, e.g. <c>{balance}</c>; for verify, <c>priority</c> raises the queue priority.</param>
public sealed record CoreResult(bool Success, string? CustomerId = null, IReadOnlyDictionary<string, string>? Data = null)
{
    /// <summary>The core system did not answer (down, too slow, or its circuit open): not the caller's failure.</summary>
    public bool Unavailable { get; init; }
}

/// <summary>What kind of webhook input the host received.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InputKind>))]
public enum InputKind
{
    /// <summary>Keys pressed (Twilio <c>Digits</c>).</summary>
    Digits,
    /// <summary>Recognised speech (Twilio <c>SpeechResult</c> and <c>Confidence</c>).</summary>
    Speech,
    /// <summary>The gather timed out with nothing said or pressed.</summary>
    NoInput,
    /// <summary>The core system answered a <see cref="CoreRequest"/>.</summary>
    Core,
    /// <summary>A voicemail recording finished.</summary>
    Recorded,
}

/// <summary>One input to the interpreter, built from the webhook's parameters or the core system's answer.</summary>
public sealed record IvrInput(InputKind Kind, string? Digits = null, string? Speech = null, double Confidence = 0, CoreResult? Core = null)
{
    /// <summary>Twilio's <c>RecordingSid</c> of a finished voicemail, named in the <c>ivr.voicemail</c> event so a callback can link the message.</summary>
    public string? RecordingSid { get; init; }

    /// <summary>A recording finished, with Twilio's SID of it when there is one.</summary>
    public static IvrInput Recorded(string? recordingSid) =>
        string.IsNullOrWhiteSpace(recordingSid) ? RecordingDone : new(InputKind.Recorded) { RecordingSid = recordingSid };

    /// <summary>No input before the gather timed out.</summary>
    public static IvrInput Silence { get; } = new(InputKind.NoInput);

    /// <summary>The recording finished.</summary>
    public static IvrInput RecordingDone { get; } = new(InputKind.Recorded);

    /// <summary>Keys pressed.</summary>
    public static IvrInput FromDigits(string digits) => new(InputKind.Digits, Digits: digits);

    /// <summary>Recognised speech with its confidence (0..1).</summary>
    public static IvrInput FromSpeech(string text, double confidence) => new(InputKind.Speech, Speech: text, Confidence: confidence);

    /// <summary>The core system's answer.</summary>
    public static IvrInput FromCore(CoreResult result) => new(InputKind.Core, Core: result);

    /// <summary>Maps Twilio's gather parameters: digits win over speech; neither means no input.</summary>
    public static IvrInput FromTwilio(string? digits, string? speechResult, string? confidence)
    {
        if (!string.IsNullOrEmpty(digits))
            return FromDigits(digits);
        if (!string.IsNullOrWhiteSpace(speechResult))
        {
            _ = double.TryParse(confidence, NumberStyles.Float, CultureInfo.InvariantCulture, out var c);
            return FromSpeech(speechResult, c);
        }

        return Silence;
    }

    /// <summary>Masks digits so a logged input leaks no card number or PIN.</summary>
    public override string ToString() =>
        $"IvrInput {{ Kind = {Kind}, Digits = {CoreRequest.Mask(Digits)}, Speech = {Speech}, Confidence = {Confidence}, Core = {Core} }}";
}

/// <summary>What the interpreter waits for at the current node.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<IvrPhase>))]
public enum IvrPhase
{
    /// <summary>A menu, language or survey answer.</summary>
    Choice,
    /// <summary>The card number of a verification.</summary>
    Card,
    /// <summary>The PIN of a verification.</summary>
    Pin,
    /// <summary>The core system's answer.</summary>
    Core,
    /// <summary>A voicemail recording.</summary>
    Recording,
    /// <summary>The IVR part of the call is over (queued, transferred, hung up).</summary>
    Done,
}

/// <summary>
/// Everything the interpreter needs to continue a call; small and JSON-serialisable (System.Text.Json)
/// so the host can keep it in Redis between webhooks.
/// </summary>
public sealed record IvrCallState
{
    /// <summary>Flow the call runs in.</summary>
    public required string FlowId { get; init; }

    /// <summary>Current node.</summary>
    public required string NodeId { get; init; }

    /// <summary>Language the caller hears.</summary>
    public required string Language { get; init; }

    /// <summary>Number of interpreter steps so far; the gather action carries it, so a host can spot a repeated webhook.</summary>
    public int Step { get; init; }

    /// <summary>What the interpreter waits for.</summary>
    public IvrPhase Phase { get; init; }

    /// <summary>Nodes visited, in order.</summary>
    public IReadOnlyList<string> Path { get; init; } = [];

    /// <summary>No-input / invalid attempts at the current prompt.</summary>
    public int Retries { get; init; }

    /// <summary>Whether the caller passed the security check.</summary>
    public bool Verified { get; init; }

    /// <summary>The verified customer.</summary>
    public string? CustomerId { get; init; }

    /// <summary>Failed security checks in this call.</summary>
    public int VerificationFailures { get; init; }

    /// <summary>Set after too many failed checks: self-service is closed for the rest of the call.</summary>
    public bool SelfServiceLocked { get; init; }

    /// <summary>
    /// The card number between the card and PIN prompts, and only then: the PIN step hands it to the
    /// core request and clears it. Hosts keep state encrypted or short-lived because of it.
    /// </summary>
    public string? PendingCard { get; init; }

    /// <summary>Whether the emergency announcement / after-hours notice was already played in this call.</summary>
    public bool NoticesPlayed { get; init; }

    /// <summary>Collected data for the agent's screen (choices, core-system values such as the customer tier).</summary>
    public IReadOnlyDictionary<string, string> Data { get; init; } = new Dictionary<string, string>();

    /// <summary>Masks the pending card number.</summary>
    public override string ToString() =>
        $"IvrCallState {{ FlowId = {FlowId}, NodeId = {NodeId}, Language = {Language}, Step = {Step}, Phase = {Phase}, " +
        $"Path = [{string.Join(", ", Path)}], Retries = {Retries}, Verified = {Verified}, CustomerId = {CustomerId}, " +
        $"VerificationFailures = {VerificationFailures}, SelfServiceLocked = {SelfServiceLocked}, PendingCard = {CoreRequest.Mask(PendingCard)} }}";
}

/// <summary>What the host knows about the world at this step.</summary>
/// <param name="Now">The current instant (from the host's TimeProvider).</param>
/// <param name="EmergencyAnnouncement">Text per language while a supervisor has an announcement switched on; null when off.</param>
public sealed record IvrContext(DateTimeOffset Now, IReadOnlyDictionary<string, string>? EmergencyAnnouncement = null);

/// <summary>
/// The result of one interpreter step: the new state to store, the verbs to render, the events to log and,
/// when set, a request the host must send to the core system before calling <see cref="IvrInterpreter.Continue"/> again.
/// When <see cref="CoreRequest"/> is set the host renders this step's verbs followed by those of the continuing step.
/// </summary>
public sealed record IvrStep(IvrCallState State, IReadOnlyList<IvrVerb> Verbs, IReadOnlyList<IvrEvent> Events, CoreRequest? CoreRequest);

/// <summary>Interpreter settings.</summary>
public sealed record IvrOptions
{
    /// <summary>Speech below this confidence is re-asked, never guessed.</summary>
    public double ConfidenceFloor { get; init; } = 0.5;

    /// <summary>Emit <see cref="Play"/> of cached audio instead of <see cref="Say"/>.</summary>
    public bool PlayCachedPrompts { get; init; }

    /// <summary>TTS voice per language, when the host wants a particular one.</summary>
    public IReadOnlyDictionary<string, string> Voices { get; init; } = new Dictionary<string, string>();

    /// <summary>Spoken words that reach an agent from any menu, in addition to the key-0 option's own words.</summary>
    public IReadOnlyList<string> HumanWords { get; init; } = new FlowValidationOptions().HumanWords;

    /// <summary>Card numbers are 12 to 19 digits (ISO/IEC 7812).</summary>
    public int MinCardDigits { get; init; } = 12;

    /// <summary>Longest card number accepted.</summary>
    public int MaxCardDigits { get; init; } = 19;

    /// <summary>Telephone PIN length.</summary>
    public int PinDigits { get; init; } = 6;
}
