using System.Net;
using System.Net.Http.Json;
using System.Threading.Channels;
using CallCenter.Core.Routing;
using CallCenter.Server.Agents;
using Microsoft.AspNetCore.SignalR.Client;

namespace CallCenter.Simulator.Day;

/// <summary>
/// One agent at the console: hears offers over the agent hub (and polls, as the console does, in case a push
/// is lost), accepts, talks for a drawn handle time, ends the call and wraps up with a disposition and the
/// resolved flag. A ring-no-answer or failed connect puts the agent on a break; they make themselves available again.
/// When the scenario says so, they also take breaks of their own between calls, with a reason, as agents do.
/// </summary>
internal sealed class SimulatedAgent : IAsyncDisposable
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(1);

    private readonly StaffSession _session;
    private readonly TwilioStandIn _standIn;
    private readonly SimulationClock _clock;
    private readonly DayObservations _observations;
    private readonly Distributions _random;
    private readonly DayScenario _scenario;
    private readonly HubConnection _hub;
    private readonly Channel<AgentOfferMessage> _offers = Channel.CreateUnbounded<AgentOfferMessage>();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _available;
    private int _onOwnBreak;
    private TimeSpan? _nextBreakAt;

    public SimulatedAgent(StaffSession session, Uri serverUrl, TwilioStandIn standIn, SimulationClock clock,
        DayObservations observations, Distributions random, DayScenario scenario)
    {
        (_session, _standIn, _clock, _observations, _random, _scenario) = (session, standIn, clock, observations, random, scenario);
        _hub = new HubConnectionBuilder()
            .WithUrl(new Uri(serverUrl, AgentHub.Path), o =>
            {
                // Behind a balancer the jar holds the cookie for the balancer's address; the hub goes to one instance directly.
                if (session.Http.BaseAddress == Fault.LoadBalancer.VirtualAddress) o.Headers["Cookie"] = session.Cookies.GetCookieHeader(session.Http.BaseAddress);
                else o.Cookies = session.Cookies;
            })
            .WithAutomaticReconnect()
            .Build();
        _hub.On<string>("ready", _ => _ready.TrySetResult());
        _hub.On<AgentOfferMessage>("offered", offer => _offers.Writer.TryWrite(offer));
        _hub.On<AgentStateMessage>("stateChanged", OnStateChanged);
    }

    public string WorkNumber => _session.WorkNumber;

    public int Handled { get; private set; }

    /// <summary>True from an offer until its wrap-up is in: the day is over only when no agent is still finishing a call.</summary>
    public bool Busy => Volatile.Read(ref _busy) != 0;

    private int _busy;

    /// <summary>Connects to the hub, enters the ACD and becomes available.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        await _hub.StartAsync(ct);
        await _ready.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
        await Expect(await _session.Http.PostAsync("/api/agent/login", null, ct), "ACD login");
        await Expect(await _session.Http.PostAsJsonAsync("/api/agent/state", new { state = "Available" }, ct), "going available");
    }

    public async Task RunAsync(CancellationToken ct)
    {
        if (_scenario.MeanBreakInterval is { } interval) _nextBreakAt = _clock.Elapsed + _random.Exponential(interval);
        while (!ct.IsCancellationRequested)
        {
            AgentOfferMessage? offer;
            try
            {
                if (_nextBreakAt is { } due && _clock.Elapsed >= due) await TakeBreakAsync(ct);
                offer = await NextOfferAsync(ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (offer is null) continue;
            try
            {
                Volatile.Write(ref _busy, 1);
                await HandleAsync(offer, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
            {
                _observations.WebhookError();
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }
    }

    // A break of the agent's own between calls. Refused (409) while an offer rings: the agent answers it and tries again after.
    private async Task TakeBreakAsync(CancellationToken ct)
    {
        Volatile.Write(ref _onOwnBreak, 1);
        try
        {
            if (!await AskForBreakAsync()) return;
            _observations.BreakTaken(_scenario.BreakLength);
            await _clock.Delay(_scenario.BreakLength, ct);
            _nextBreakAt = _clock.Elapsed + _random.Exponential(_scenario.MeanBreakInterval!.Value);
            await Expect(await _session.Http.PostAsJsonAsync("/api/agent/state", new { state = "Available" }, ct), "coming back from a break");
        }
        finally
        {
            Volatile.Write(ref _onOwnBreak, 0);
        }
    }

    // Not cut short by the day's end: a break the server took while the answer was on its way would be in the call log
    // but not in our count. An answer that never came is settled by the server's own word.
    private async Task<bool> AskForBreakAsync()
    {
        try
        {
            using var response = await _session.Http.PostAsJsonAsync("/api/agent/state", new { state = "Break", reason = "rest" }, CancellationToken.None);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            _observations.WebhookError();
            return await MeAsync(CancellationToken.None) is { State: AgentState.Break, BreakReason: "rest" };
        }
    }

    private async Task<AgentOfferMessage?> NextOfferAsync(CancellationToken ct)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(ct);
        poll.CancelAfter(PollEvery);
        try
        {
            return await _offers.Reader.ReadAsync(poll.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // No push for a while: ask, as the console does, in case one was lost.
            using var response = await TryGetAsync("/api/agent/offer", ct);
            if (response is null) return null;
            if (response.StatusCode != HttpStatusCode.OK) return null;
            var current = await response.Content.ReadFromJsonAsync<AgentApi.OfferResponse>(ct);
            return current is null ? null : new AgentOfferMessage(current.CallSid, current.Queue, current.RingDeadline);
        }
    }

    private async Task HandleAsync(AgentOfferMessage offer, CancellationToken ct)
    {
        var offeredAt = _clock.Elapsed;
        try
        {
            using var accepted = await _session.Http.PostAsync($"/api/agent/offers/{offer.CallSid}/accept", null, ct);
            if (accepted.StatusCode == HttpStatusCode.Conflict) return; // stale push: the caller left or the offer moved on
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            // No answer: the server's own state below says whether the call is ours.
            _observations.WebhookError();
        }
        // The server's word, not the HTTP answer, decides: a slow or lost answer must not leave a caller talking to nobody.
        var me = await MeAsync(ct);
        if (me is not { State: AgentState.OnCall } || me.CallSid != offer.CallSid)
        {
            if (me is { State: AgentState.Break }) await BackToAvailableAsync(ct);
            return;
        }
        var record = _observations.Find(offer.CallSid);
        record?.OfferedAt = offeredAt;
        // The server's word again: an instance killed during an earlier accept may have dialled another agent into the
        // caller's conference first (Twilio would ring them too), but this agent is the one the ACD connected.
        record?.Agent = WorkNumber;
        try
        {
            var handle = _scenario.HandleTimes == HandleTimeDistribution.Exponential
                ? _random.Exponential(_scenario.MeanHandleTime)
                : _random.LogNormal(_scenario.MeanHandleTime, _scenario.HandleTimeVariation);
            // Talk time runs from the moment the caller was bridged, not from when our accept's answer arrived.
            var talked = _standIn.Find(offer.CallSid)?.RedirectedAt is { } connected ? _clock.Since(connected) : TimeSpan.Zero;
            await _clock.Delay(handle - talked, ct);
            try
            {
                using (await _session.Http.PostAsync($"/api/agent/calls/{offer.CallSid}/end", null, ct))
                {
                    // 409 means the caller's hang-up ended it first; the wrap-up is due either way.
                }
            }
            catch (HttpRequestException)
            {
                // No instance took it: the caller's leg ends below all the same, and Twilio's status callback ends the call.
                _observations.WebhookError();
            }
        }
        finally
        {
            _standIn.Find(offer.CallSid)?.HangUpAgentLeg();
        }
        Handled++;

        if (_scenario.MeanWrapUp > TimeSpan.Zero) await _clock.Delay(_random.Exponential(_scenario.MeanWrapUp), ct);
        var resolved = _random.Chance(_scenario.ResolvedShare);
        var wrappedUp = await WrapUpAsync(offer, resolved, ct);
        if (!wrappedUp) _observations.WebhookError();
        record?.FreedAt = _clock.Elapsed;
        if (record is not null && wrappedUp) _observations.WrappedUp(record, resolved);
    }

    // An agent whose wrap-up is refused for a passing reason sends it again, as at the console: the database may be away
    // (503), the call's answer may still wait in another instance's spool (404), the end of the call may not be in yet (409),
    // or the instance died under the request. Our own earlier attempt that got through answers "Already wrapped up".
    private async Task<bool> WrapUpAsync(AgentOfferMessage offer, bool resolved, CancellationToken ct)
    {
        var giveUpAt = TimeProvider.System.GetTimestamp() + TimeProvider.System.TimestampFrequency * (long)WrapUpPersistence.TotalSeconds;
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0)
            {
                _observations.WrapUpRetried();
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
            try
            {
                using var wrapUp = await _session.Http.PostAsJsonAsync($"/api/agent/calls/{offer.CallSid}/wrap-up",
                    new { disposition = resolved ? "resolved" : "follow-up", reasonFamily = offer.Queue, resolved, notes = "simulated call" }, ct);
                if (wrapUp.StatusCode == HttpStatusCode.NoContent) return true;
                if (wrapUp.StatusCode == HttpStatusCode.Conflict && (await wrapUp.Content.ReadAsStringAsync(ct)).Contains("Already wrapped up", StringComparison.Ordinal))
                    return attempt > 0;
                if (wrapUp.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.BadGateway))
                    return false;
            }
            catch (HttpRequestException)
            {
            }
            if (TimeProvider.System.GetTimestamp() > giveUpAt) return false;
        }
    }

    /// <summary>How long (real time) an agent keeps trying to get a wrap-up in.</summary>
    private static readonly TimeSpan WrapUpPersistence = TimeSpan.FromSeconds(90);

    private async Task<HttpResponseMessage?> TryGetAsync(string path, CancellationToken ct)
    {
        try
        {
            return await _session.Http.GetAsync(path, ct);
        }
        catch (HttpRequestException)
        {
            _observations.WebhookError();
            return null;
        }
    }

    // The server's view of this agent; asked again while no instance answers (a restart, Redis coming back).
    private async Task<AgentApi.AgentStatus?> MeAsync(CancellationToken ct)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            using var response = await TryGetAsync("/api/agent/me", ct);
            if (response is { StatusCode: HttpStatusCode.OK }) return await response.Content.ReadFromJsonAsync<AgentApi.AgentStatus>(DayJson.Options, ct);
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        }
        return null;
    }

    private void OnStateChanged(AgentStateMessage message)
    {
        var available = message.State == "Available" ? 1 : 0;
        var before = Interlocked.Exchange(ref _available, available);
        if (before != available) _observations.AvailableChanged(available - before);
        // Ring-no-answer or a failed connect put us on a break we did not ask for.
        if (message.State == "Break" && Volatile.Read(ref _onOwnBreak) == 0) _ = BackToAvailableAsync(CancellationToken.None);
    }

    private async Task BackToAvailableAsync(CancellationToken ct)
    {
        try
        {
            using var response = await _session.Http.PostAsJsonAsync("/api/agent/state", new { state = "Available" }, ct);
        }
        catch (HttpRequestException)
        {
            _observations.WebhookError();
        }
    }

    /// <summary>Leaves the ACD (when free) and closes the hub connection.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var response = await _session.Http.PostAsync("/api/agent/logout", null);
        }
        catch (HttpRequestException)
        {
            // The server may already be gone at the end of a run.
        }
        await _hub.DisposeAsync();
        _session.Dispose();
    }

    private static async Task Expect(HttpResponseMessage response, string what)
    {
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"{what} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
