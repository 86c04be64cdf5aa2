using System.Globalization;
using System.Net;
using System.Xml.Linq;

namespace CallCenter.Testing;

/// <summary>
/// One caller's conversation with the IVR, driven the way Twilio drives it: post the incoming call,
/// then follow each Gather/Record action with the caller's keys, words or silence.
/// </summary>
public sealed class IvrCall(TwilioWebhookClient twilio, string callSid, string from)
{
    public string CallSid { get; } = callSid;
    public XDocument Twiml { get; private set; } = new();
    public string RawTwiml { get; private set; } = "";
    public HttpStatusCode LastStatus { get; private set; }

    /// <summary>A caller who picks Chinese and presses 0: queued into "general" by the IVR.</summary>
    public static async Task<IvrCall> QueueForAnAgentAsync(TwilioWebhookClient twilio, string from = "+8613812345678")
    {
        var call = await DialAsync(twilio, from: from);
        await call.PressAsync("1");
        await call.PressAsync("0");
        return call.QueueName == "general" ? call
            : throw new InvalidOperationException($"The caller was not queued into \"general\": {call.RawTwiml}");
    }

    public static async Task<IvrCall> DialAsync(TwilioWebhookClient twilio, string to = TwilioForms.BankHotline, string from = "+8613812345678")
    {
        var call = new IvrCall(twilio, TwilioForms.NewCallSid(), from);
        await call.ReceiveAsync(await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(call.CallSid, from, to)));
        return call;
    }

    /// <summary>Where Twilio would post next: the Gather's or Record's action.</summary>
    public string? NextAction =>
        (Twiml.Root?.Element("Gather") ?? Twiml.Root?.Element("Record"))?.Attribute("action")?.Value;

    public XElement? Gather => Twiml.Root?.Element("Gather");
    public bool IsQueued => Twiml.Root?.Element("Enqueue") is not null;
    public string? QueueName => Twiml.Root?.Element("Enqueue")?.Value;
    public bool IsRecording => Twiml.Root?.Element("Record") is not null;

    /// <summary>Every text Twilio would speak, in order, with its language.</summary>
    public IReadOnlyList<(string Language, string Text)> Spoken =>
        Twiml.Descendants("Say").Select(s => (s.Attribute("language")?.Value ?? "", s.Value)).ToList();

    public string SpokenText => string.Join(" ", Spoken.Select(s => s.Text));

    public Task PressAsync(string digits) => AnswerAsync(new() { ["Digits"] = digits });

    public Task SayAsync(string words, double confidence = 0.92) =>
        AnswerAsync(new() { ["SpeechResult"] = words, ["Confidence"] = confidence.ToString(CultureInfo.InvariantCulture) });

    /// <summary>The gather timed out: Twilio posts with no Digits (actionOnEmptyResult).</summary>
    public Task StaySilentAsync() => AnswerAsync([]);

    /// <summary>Twilio posting a finished &lt;Record&gt; to its action; a new RecordingSid unless one is given.</summary>
    public Task FinishRecordingAsync(string? recordingSid = null) => AnswerAsync(new()
    {
        ["RecordingUrl"] = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
        ["RecordingDuration"] = "12",
        ["RecordingSid"] = recordingSid ?? "RE" + Guid.NewGuid().ToString("N"),
    });

    /// <summary>Twilio following a &lt;Redirect&gt; the server sent for this call (a full URL under the public base URL).</summary>
    public Task FollowRedirectAsync(string url)
    {
        _redirect = new Uri(url).AbsolutePath;
        return AnswerAsync([]);
    }

    private string? _redirect;

    /// <summary>Posts the same request as the last answer again, as Twilio does on a timeout.</summary>
    public async Task<string> ReplayLastAsync()
    {
        using var response = await twilio.PostSignedAsync(_lastPath!, _lastForm!);
        return await response.Content.ReadAsStringAsync();
    }

    private string? _lastPath;
    private Dictionary<string, string>? _lastForm;

    private async Task AnswerAsync(Dictionary<string, string> fields)
    {
        var action = _redirect ?? NextAction ?? throw new InvalidOperationException($"The IVR is not waiting for input:\n{RawTwiml}");
        _redirect = null;
        var form = new Dictionary<string, string>(fields)
        {
            ["CallSid"] = CallSid,
            ["AccountSid"] = TwilioForms.AccountSid,
            ["From"] = from,
            ["To"] = TwilioForms.BankHotline,
            ["CallStatus"] = "in-progress",
        };
        (_lastPath, _lastForm) = (action, form);
        await ReceiveAsync(await twilio.PostSignedAsync(action, form));
    }

    private async Task ReceiveAsync(HttpResponseMessage response)
    {
        using (response)
        {
            LastStatus = response.StatusCode;
            RawTwiml = await response.Content.ReadAsStringAsync();
            Twiml = response.IsSuccessStatusCode ? XDocument.Parse(RawTwiml) : new XDocument();
        }
    }
}
