using System.Globalization;
using System.Xml.Linq;

namespace CallCenter.Simulator.Day;

/// <summary>
/// One caller, played the way Twilio plays a call: each TwiML document is executed verb by verb (speech
/// takes time, Gather sends the caller's key, Redirect and actions fetch the next document, Enqueue waits
/// on the hold music's waitUrl until a REST redirect takes the caller out or their patience runs out), and
/// when the call ends Twilio's final status callback is sent.
/// </summary>
internal sealed class SimulatedCaller(
    TwilioWebhooks twilio, TwilioStandIn standIn, SimulationClock clock, DayObservations observations,
    Distributions random, DayScenario scenario)
{
    private static readonly TimeSpan MaxCall = TimeSpan.FromHours(4);

    /// <summary>Places a new caller's call, or (<paramref name="repeatOf"/>) the same caller calling again about the same need.</summary>
    public async Task RunAsync(CancellationToken ct, SimulatedCallRecord? repeatOf = null)
    {
        var callSid = "CA" + Guid.NewGuid().ToString("N");
        var from = repeatOf?.From ?? "+86139" + ((int)(random.Uniform() * 90_000_000) + 10_000_000).ToString(CultureInfo.InvariantCulture);
        var path = repeatOf is null ? random.Pick(scenario.Menu, p => p.Weight) : scenario.Menu.First(p => p.Name == repeatOf.Path);
        var record = observations.Place(callSid, path.Name, clock.Elapsed, from, repeatOf?.CallSid);
        var call = new LiveCall(callSid, from);
        standIn.Register(call);
        var keys = new Queue<string>(path.Keys);
        var patience = scenario.MeanPatience is { } mean ? random.Exponential(mean) : (TimeSpan?)null;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["CallSid"] = callSid, ["From"] = from, ["To"] = scenario.To, ["Direction"] = "inbound" };
        // When the webhook that returned the current document was sent: the server acted on it between then and its answer.
        var documentRequestedAt = TimeSpan.Zero;
        try
        {
            var documentPath = "/twilio/voice/incoming";
            var twiml = await IncomingAsync(ct);
            while (twiml is not null && clock.Elapsed - record.PlacedAt < MaxCall)
            {
                (documentPath, twiml) = await ExecuteAsync(twiml, documentPath, call, record, keys, patience, ct);
            }
            if (record.Outcome == CallOutcome.InProgress)
                record.Outcome = record.EnqueuedAt is null ? CallOutcome.EndedInIvr : record.Outcome;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            record.Outcome = CallOutcome.Failed;
            record.Failure = ex.GetType().Name;
            observations.WebhookError();
        }
        finally
        {
            if (record.EnqueuedAt is not null && record.LeftQueueAt is null) observations.WaitingChanged(-1);
            call.End();
            standIn.Forget(callSid);
            record.EndedAt = clock.Elapsed;
            try
            {
                await twilio.CompletedAsync(callSid, from, scenario.To, record.EndedAt.Value - record.PlacedAt, CancellationToken.None);
            }
            catch (HttpRequestException)
            {
                observations.WebhookError();
            }
        }

        // The voice URL; when it fails (5xx, no connection), Twilio requests the number's fallback URL, as Twilio does.
        async Task<XElement?> IncomingAsync(CancellationToken token)
        {
            var form = new Dictionary<string, string>(fields, StringComparer.Ordinal) { ["CallStatus"] = "ringing" };
            int code;
            XElement? document;
            var sentAt = clock.Elapsed;
            try
            {
                (code, document) = await twilio.PostAsync("/twilio/voice/incoming", form, token);
            }
            catch (HttpRequestException)
            {
                (code, document) = (0, null);
            }
            documentRequestedAt = sentAt;
            if (document is not null) return document;
            if (code is >= 200 and < 500)
            {
                record.Outcome = CallOutcome.Failed;
                record.Failure = $"/twilio/voice/incoming answered {code}";
                observations.WebhookError();
                return null;
            }
            // Twilio's debugger records the failed voice URL (error 11200) even though the fallback takes the call.
            record.ReachedFallback = true;
            observations.FellBack();
            observations.WebhookError();
            return await PostAsync("/twilio/voice/fallback", "ringing", new() { ["ErrorCode"] = "11200", ["ErrorUrl"] = "/twilio/voice/incoming" }, record, token);
        }

        async Task<XElement?> PostAsync(string path, string status, Dictionary<string, string> extra, SimulatedCallRecord rec, CancellationToken token)
        {
            var form = new Dictionary<string, string>(fields, StringComparer.Ordinal) { ["CallStatus"] = status };
            foreach (var (k, v) in extra) form[k] = v;
            var sentAt = clock.Elapsed;
            var (code, document) = await twilio.PostAsync(path, form, token);
            documentRequestedAt = sentAt;
            if (document is not null) return document;
            rec.Outcome = CallOutcome.Failed;
            rec.Failure = $"{path} answered {code}";
            observations.WebhookError();
            return null;
        }

        // Runs one TwiML document; returns the next one to run (with its URL), or null when the call ends.
        async Task<(string, XElement?)> ExecuteAsync(XElement document, string path, LiveCall live, SimulatedCallRecord rec,
            Queue<string> pressed, TimeSpan? patienceLeft, CancellationToken token)
        {
            rec.Trail.Add(string.Create(CultureInfo.InvariantCulture,
                $"{clock.Elapsed.TotalSeconds:F1}s {(live.Redirected.IsCompleted ? "REST redirect after " : "")}{path}: {string.Join(",", document.Elements().Select(v => v.Name.LocalName))}"));
            // The server queues the caller while it answers with <Enqueue>, before Twilio has played what comes first:
            // the wait is counted from the request on (a slow answer must not shorten it), and a redirect may cut the speech short.
            if (rec.EnqueuedAt is null && document.Elements().Any(v => v.Name.LocalName == "Enqueue"))
            {
                rec.EnqueuedAt = documentRequestedAt;
                observations.WaitingChanged(1);
            }
            foreach (var verb in document.Elements())
            {
                switch (verb.Name.LocalName)
                {
                    case "Say" or "Play" or "Pause":
                        if (await PlayAsync(SpeechLength(verb), live, token)) return (path, XElement.Parse(LeaveQueue(rec, await live.Redirected)));
                        break;
                    case "Gather":
                        // The caller listens to part of the prompt, then presses the next key of their path (0 = a person when the path is done).
                        await clock.Delay(TimeSpan.FromSeconds(1 + 2 * random.Uniform()), token);
                        var key = pressed.Count > 0 ? pressed.Dequeue() : "0";
                        var action = twilio.PathOf(verb.Attribute("action")?.Value ?? path, path);
                        return (action, await PostAsync(action, "in-progress", new() { ["Digits"] = key }, rec, token));
                    case "Redirect":
                        var target = twilio.PathOf(verb.Value.Trim(), path);
                        return (target, await PostAsync(target, "in-progress", [], rec, token));
                    case "Record":
                        // Taken out of a full queue to leave a callback request: some callers do, the others hang up.
                        if (rec.EnqueuedAt is not null && rec.AnsweredAt is null)
                        {
                            var leaves = random.Chance(scenario.CallbackAcceptance);
                            rec.Outcome = leaves ? CallOutcome.CallbackRequested : CallOutcome.Abandoned;
                            if (!leaves) return (path, null);
                        }
                        await clock.Delay(TimeSpan.FromSeconds(5 + 15 * random.Uniform()), token);
                        var recorded = twilio.PathOf(verb.Attribute("action")?.Value ?? path, path);
                        var seconds = (5 + (int)(15 * random.Uniform())).ToString(CultureInfo.InvariantCulture);
                        var recordingSid = "RE" + Guid.NewGuid().ToString("N");
                        return (recorded, await PostAsync(recorded, "in-progress", new()
                        {
                            ["RecordingSid"] = recordingSid, ["RecordingUrl"] = $"https://api.twilio.com/2010-04-01/Accounts/{twilio.AccountSid}/Recordings/{recordingSid}",
                            ["RecordingDuration"] = seconds, ["Digits"] = "#",
                        }, rec, token));
                    case "Enqueue":
                        var waitUrl = twilio.PathOf(verb.Attribute("waitUrl")?.Value ?? "", path);
                        var redirected = await WaitInQueueAsync(live, rec, waitUrl, patienceLeft, token);
                        // Absolute URLs only in REST TwiML: it has no document URL of its own.
                        return redirected is null ? (path, null) : (path, XElement.Parse(redirected));
                    case "Dial":
                        await TalkAsync(verb, live, rec, token);
                        break;
                    case "Hangup":
                        return (path, null);
                }
            }
            return (path, null);
        }
    }

    // Waits on hold: the waitUrl's TwiML is played (and fetched again when it ends) until the REST API takes the
    // caller out of the queue, or the caller's patience runs out and they hang up (Twilio then reports "completed").
    private async Task<string?> WaitInQueueAsync(LiveCall call, SimulatedCallRecord record, string waitUrl, TimeSpan? patience, CancellationToken ct)
    {
        var enqueuedAt = record.EnqueuedAt ?? clock.Elapsed;
        var position = 1;
        while (true)
        {
            if (call.Redirected.IsCompleted) return LeaveQueue(record, await call.Redirected);
            var waited = clock.Elapsed - enqueuedAt;
            if (patience is { } p && waited >= p && call.TryHangUpWhileWaiting())
            {
                LeaveQueue(record, "");
                record.Outcome = CallOutcome.Abandoned;
                return null;
            }
            var hold = TimeSpan.FromSeconds(5);
            if (waitUrl.Length > 0)
            {
                var (_, music) = await twilio.PostAsync(waitUrl, new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["CallSid"] = call.CallSid, ["From"] = call.From, ["To"] = scenario.To, ["CallStatus"] = "in-progress",
                    ["QueuePosition"] = position.ToString(CultureInfo.InvariantCulture),
                    ["QueueTime"] = ((int)waited.TotalSeconds).ToString(CultureInfo.InvariantCulture),
                }, ct);
                if (music is not null) hold = music.Elements().Aggregate(TimeSpan.Zero, (sum, verb) => sum + SpeechLength(verb));
                else observations.WebhookError();
            }
            var until = patience is { } limit ? TimeSpan.FromTicks(Math.Min(hold.Ticks, (limit - (clock.Elapsed - enqueuedAt)).Ticks)) : hold;
            await PlayAsync(TimeSpan.FromTicks(Math.Max(until.Ticks, TimeSpan.TicksPerMillisecond)), call, ct);
        }
    }

    private string LeaveQueue(SimulatedCallRecord record, string twiml)
    {
        if (record.EnqueuedAt is not null && record.LeftQueueAt is null)
        {
            record.LeftQueueAt = clock.Elapsed;
            observations.WaitingChanged(-1);
        }
        return twiml;
    }

    // Plays something for a (simulated) while; true when a REST redirect cut it short.
    private async Task<bool> PlayAsync(TimeSpan length, LiveCall call, CancellationToken ct)
    {
        if (call.Redirected.IsCompleted) return true;
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var finished = await Task.WhenAny(call.Redirected, clock.Delay(length, wake.Token));
        await wake.CancelAsync();
        ct.ThrowIfCancellationRequested();
        return finished == call.Redirected;
    }

    // <Dial><Client>agent-…</Client></Dial>: bridged to the agent until their leg hangs up; a number is someone else's line.
    private async Task TalkAsync(XElement dial, LiveCall call, SimulatedCallRecord record, CancellationToken ct)
    {
        var client = dial.Elements().FirstOrDefault(e => e.Name.LocalName == "Client")?.Value.Trim();
        // Bridged through a conference: the agent's softphone is dialled into it over the REST API.
        if (client is null && dial.Elements().Any(e => e.Name.LocalName == "Conference"))
            client = (await call.AgentJoined.WaitAsync(ct)).Replace("client:", "", StringComparison.Ordinal);
        if (client is null)
        {
            await clock.Delay(scenario.MeanHandleTime, ct);
            return;
        }
        record.AnsweredAt = record.LeftQueueAt ?? clock.Elapsed;
        record.Agent ??= client.StartsWith("agent-", StringComparison.Ordinal) ? client[6..] : client;
        observations.TalkingChanged(1);
        try
        {
            await call.AgentHungUp.WaitAsync(ct);
            record.HandleTime = clock.Elapsed - record.AnsweredAt;
            record.Outcome = CallOutcome.Answered;
        }
        finally
        {
            observations.TalkingChanged(-1);
        }
    }

    // How long Twilio takes to play a verb: text at about 12 characters a second (4 for Chinese), pauses as written.
    private static TimeSpan SpeechLength(XElement verb) => verb.Name.LocalName switch
    {
        "Pause" => TimeSpan.FromSeconds(int.TryParse(verb.Attribute("length")?.Value, CultureInfo.InvariantCulture, out var s) ? s : 1),
        "Play" => TimeSpan.FromSeconds(4),
        "Say" => TimeSpan.FromSeconds(Math.Max(1, verb.Value.Sum(c => c > 0x2E80 ? 0.25 : 0.08))),
        _ => TimeSpan.Zero,
    };
}
