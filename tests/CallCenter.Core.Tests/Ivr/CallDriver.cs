using CallCenter.Core.Ivr;
using Microsoft.Extensions.Time.Testing;

namespace CallCenter.Core.Tests.Ivr;

/// <summary>
/// Plays the host's part for one call: keeps the state, merges the verbs of a core-request step with the
/// step that continues it, and records every event, the way the server will.
/// </summary>
internal sealed class CallDriver
{
    /// <summary>Tuesday 2026-11-24 10:00 in Shanghai: inside the bank hotline's weekday hours.</summary>
    public static readonly DateTimeOffset OpenHours = new(2026, 11, 24, 10, 0, 0, TimeSpan.FromHours(8));

    /// <summary>Tuesday 2026-11-24 22:00 in Shanghai: after hours.</summary>
    public static readonly DateTimeOffset AfterHours = new(2026, 11, 24, 22, 0, 0, TimeSpan.FromHours(8));

    public const string Card = "6222021234567890123";
    public const string Pin = "246810";

    private readonly IvrInterpreter _interpreter;
    private readonly FakeTimeProvider _clock;
    private readonly IReadOnlyDictionary<string, string>? _emergency;

    public CallDriver(IvrFlow flow, DateTimeOffset? at = null, IReadOnlyDictionary<string, string>? emergency = null, IvrOptions? options = null)
    {
        _interpreter = new IvrInterpreter(flow, options);
        _clock = new FakeTimeProvider(at ?? OpenHours);
        _emergency = emergency;
    }

    public List<IvrStep> Steps { get; } = [];

    public List<IvrEvent> Events { get; } = [];

    public IvrCallState State => Steps[^1].State;

    /// <summary>Verbs the caller hears for the latest webhook (core-request steps merged in).</summary>
    public List<IvrVerb> Verbs { get; private set; } = [];

    public CoreRequest? PendingCore => Steps[^1].CoreRequest;

    private IvrContext Context => new(_clock.GetUtcNow(), _emergency);

    public CallDriver Start()
    {
        Verbs = [];
        return Record(_interpreter.Start(Context));
    }

    public CallDriver Send(IvrInput input)
    {
        // After a core request the host answers within the same webhook, so the caller hears both steps.
        if (PendingCore is null)
            Verbs = [];

        return Record(_interpreter.Continue(State, input, Context));
    }

    public CallDriver Press(string digits) => Send(IvrInput.FromDigits(digits));

    public CallDriver Say(string text, double confidence = 0.9) => Send(IvrInput.FromSpeech(text, confidence));

    public CallDriver Silence() => Send(IvrInput.Silence);

    public CallDriver Core(bool success, string? customerId = null, params (string Key, string Value)[] data) =>
        Send(IvrInput.FromCore(new CoreResult(success, customerId, data.ToDictionary(d => d.Key, d => d.Value))));

    /// <summary>Card, PIN and the core system's verdict.</summary>
    public CallDriver Verify(bool success, params (string Key, string Value)[] data) =>
        Press(Card + "#").Press(Pin).Core(success, success ? "C-1001" : null, data);

    public CallDriver AfterAgent()
    {
        Verbs = [];
        return Record(_interpreter.AfterAgent(State, Context));
    }

    public CallDriver Advance(TimeSpan by)
    {
        _clock.Advance(by);
        return this;
    }

    public T Last<T>() where T : IvrVerb => Verbs.OfType<T>().Last();

    public IEnumerable<string> EventTypes => Events.Select(e => e.Type);

    private CallDriver Record(IvrStep step)
    {
        Steps.Add(step);
        Events.AddRange(step.Events);
        Verbs.AddRange(step.Verbs);
        return this;
    }
}
