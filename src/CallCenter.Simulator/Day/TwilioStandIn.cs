using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CallCenter.Simulator.Day;

/// <summary>
/// A call as Twilio holds it while it is live: the REST API may redirect it to new TwiML at any moment,
/// and the agent's leg may hang up. Transitions are atomic, so a caller who gives up at the instant the
/// server redirects them either hangs up (the redirect gets 404) or is connected, never both.
/// </summary>
public sealed class LiveCall(string callSid, string from)
{
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource<string> _redirect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _agentHungUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _ended;

    public string CallSid { get; } = callSid;
    public string From { get; } = from;

    /// <summary>Real timestamp (system clock) of the REST redirect: for a dial to an agent, when the two were bridged.</summary>
    public long? RedirectedAt { get; private set; }

    /// <summary>Completes with the TwiML of the first REST redirect.</summary>
    public Task<string> Redirected => _redirect.Task;

    /// <summary>Completes when the agent's leg of a bridged call hangs up.</summary>
    public Task AgentHungUp => _agentHungUp.Task;

    /// <summary>The REST API redirects the call; false when it has already ended (Twilio answers 404 then).</summary>
    public bool TryRedirect(string twiml)
    {
        lock (_lock)
        {
            if (_ended) return false;
            // Twilio would let a later redirect replace an earlier one; the server sends one per call, so the first is kept.
            if (_redirect.TrySetResult(twiml)) RedirectedAt = TimeProvider.System.GetTimestamp();
            return true;
        }
    }

    /// <summary>The caller hangs up; false when a redirect got there first (the caller follows it instead).</summary>
    public bool TryHangUpWhileWaiting()
    {
        lock (_lock)
        {
            if (_redirect.Task.IsCompleted) return false;
            _ended = true;
            return true;
        }
    }

    public void End()
    {
        lock (_lock) _ended = true;
        _agentHungUp.TrySetResult();
    }

    public void HangUpAgentLeg() => _agentHungUp.TrySetResult();

    private readonly TaskCompletionSource<string> _agentJoined = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the client (client:agent-…) dialled into this caller's conference.</summary>
    public Task<string> AgentJoined => _agentJoined.Task;

    public void JoinAgent(string to) => _agentJoined.TrySetResult(to);
}

/// <summary>
/// The in-process stand-in for Twilio's REST API (`POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`):
/// the server is started with Twilio:ApiBaseUrl pointing here, and each call update it sends is applied to the
/// live simulated call, as Twilio would apply it. Basic authentication is checked like Twilio checks it.
/// </summary>
public sealed class TwilioStandIn : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, LiveCall> _calls = new(StringComparer.Ordinal);
    private readonly WebApplication _app;
    private readonly string _expectedAuthorization;
    private int _redirects;
    private int _refused;

    private TwilioStandIn(WebApplication app, string accountSid, string authToken)
    {
        _app = app;
        _expectedAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{accountSid}:{authToken}"));
        app.MapPost("/2010-04-01/Accounts/{account}/Calls/{resource}", UpdateCallAsync);
        app.MapPost("/2010-04-01/Accounts/{account}/Calls/{callSid}/Recordings.json", StartRecording);
        app.MapPost("/2010-04-01/Accounts/{account}/Conferences/{conference}/Participants.json", AddParticipantAsync);
        app.MapPost("/2010-04-01/Accounts/{account}/Conferences/{resource}", UpdateConferenceAsync);
    }

    // The server bridges caller and agent in a conference named "call-<caller's CallSid>"; its SID here is "CF" + that CallSid.
    private const string ConferencePrefix = "call-";

    private IResult StartRecording(string account, string callSid, HttpRequest request)
    {
        if (request.Headers.Authorization.ToString() != _expectedAuthorization)
            return Refuse(HttpStatusCode.Unauthorized, 20003, "Authenticate");
        return _calls.ContainsKey(callSid)
            ? Results.Json(new Dictionary<string, object?> { ["sid"] = "RE" + Guid.NewGuid().ToString("N"), ["call_sid"] = callSid, ["status"] = "in-progress" }, statusCode: 201)
            : Refuse(HttpStatusCode.NotFound, 20404, $"Call {callSid} was not found");
    }

    // The agent's softphone dialled into the caller's conference: the caller is now talking to that agent.
    private async Task<IResult> AddParticipantAsync(string account, string conference, HttpRequest request)
    {
        if (request.Headers.Authorization.ToString() != _expectedAuthorization)
            return Refuse(HttpStatusCode.Unauthorized, 20003, "Authenticate");
        var form = await request.ReadFormAsync();
        var callSid = conference.StartsWith(ConferencePrefix, StringComparison.Ordinal) ? conference[ConferencePrefix.Length..] : conference;
        if (!_calls.TryGetValue(callSid, out var call))
            return Refuse(HttpStatusCode.NotFound, 20404, $"Conference {conference} has no live caller");
        call.JoinAgent(form["To"].ToString());
        Interlocked.Increment(ref _redirects);
        return Results.Json(new Dictionary<string, object?>
        {
            ["conference_sid"] = "CF" + callSid, ["call_sid"] = "CA" + Guid.NewGuid().ToString("N"), ["label"] = form["Label"].ToString(),
            ["account_sid"] = account, ["status"] = "connected",
        }, statusCode: 201);
    }

    // Status=completed ends the conference: the agent's end-call button hangs the caller up.
    private async Task<IResult> UpdateConferenceAsync(string account, string resource, HttpRequest request)
    {
        if (request.Headers.Authorization.ToString() != _expectedAuthorization)
            return Refuse(HttpStatusCode.Unauthorized, 20003, "Authenticate");
        var form = await request.ReadFormAsync();
        var sid = resource.EndsWith(".json", StringComparison.Ordinal) ? resource[..^5] : resource;
        if (!sid.StartsWith("CF", StringComparison.Ordinal) || !_calls.TryGetValue(sid[2..], out var call))
            return Refuse(HttpStatusCode.NotFound, 20404, $"Conference {sid} was not found");
        if (form["Status"].ToString() == "completed") call.HangUpAgentLeg();
        return Results.Json(new Dictionary<string, object?> { ["sid"] = sid, ["account_sid"] = account, ["status"] = "completed" });
    }

    /// <summary>Where the server must send its REST requests (its Twilio:ApiBaseUrl).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Call updates applied / refused (unknown or ended call, bad credentials).</summary>
    public (int Applied, int Refused) Counts => (Volatile.Read(ref _redirects), Volatile.Read(ref _refused));

    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/> (0 = any free port).</summary>
    public static async Task<TwilioStandIn> StartAsync(int port, string accountSid, string authToken, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        var standIn = new TwilioStandIn(builder.Build(), accountSid, authToken);
        await standIn._app.StartAsync(ct);
        var address = standIn._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        standIn.BaseUrl = new Uri(address);
        return standIn;
    }

    public void Register(LiveCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        _calls[call.CallSid] = call;
    }

    public void Forget(string callSid) => _calls.TryRemove(callSid, out _);

    public LiveCall? Find(string callSid) => _calls.GetValueOrDefault(callSid);

    private async Task<IResult> UpdateCallAsync(string account, string resource, HttpRequest request)
    {
        if (request.Headers.Authorization.ToString() != _expectedAuthorization)
            return Refuse(HttpStatusCode.Unauthorized, 20003, "Authenticate");
        var callSid = resource.EndsWith(".json", StringComparison.Ordinal) ? resource[..^5] : resource;
        var form = await request.ReadFormAsync();
        if (!_calls.TryGetValue(callSid, out var call))
            return Refuse(HttpStatusCode.NotFound, 20404, $"The requested resource /2010-04-01/Accounts/{account}/Calls/{callSid}.json was not found");
        if (form["Status"].ToString() == "completed")
        {
            call.End();
        }
        else if (form["Twiml"].ToString() is { Length: > 0 } twiml)
        {
            if (!call.TryRedirect(twiml))
                return Refuse(HttpStatusCode.BadRequest, 21220, "Call is not in-progress. Cannot redirect.");
        }
        else
        {
            return Refuse(HttpStatusCode.BadRequest, 21205, "Twiml, Url or Status is required.");
        }
        Interlocked.Increment(ref _redirects);
        return Results.Json(new Dictionary<string, object?>
        {
            ["sid"] = callSid, ["account_sid"] = account, ["status"] = "in-progress", ["from"] = call.From,
            ["api_version"] = "2010-04-01", ["uri"] = $"/2010-04-01/Accounts/{account}/Calls/{callSid}.json",
        });
    }

    private IResult Refuse(HttpStatusCode status, int code, string message)
    {
        Interlocked.Increment(ref _refused);
        return Results.Json(new { code, message, more_info = $"https://www.twilio.com/docs/errors/{code}", status = (int)status }, statusCode: (int)status);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
