using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Twilio.Clients;
using Twilio.Exceptions;
using Twilio.Rest.Api.V2010.Account;
using CallRecording = Twilio.Rest.Api.V2010.Account.Call.RecordingResource;
using UpdateCallRecordingOptions = Twilio.Rest.Api.V2010.Account.Call.UpdateRecordingOptions;
using Twilio.TwiML;
using TwilioVoice = Twilio.TwiML.Voice;

namespace CallCenter.Server.Telephony;

/// <summary>Live-call control over the Twilio REST API: the only way the ACD reaches a caller who waits in &lt;Enqueue&gt;.</summary>
public interface ITwilioCallControl
{
    /// <summary>
    /// Moves the waiting caller out of the queue into the call's conference and adds the agent's softphone to it; the
    /// conference and the agent's leg, or null (already logged) when Twilio did not take it.
    /// </summary>
    Task<ConferenceLeg?> ConnectToAgentAsync(string callSid, string agentId, CancellationToken ct);

    /// <summary>Takes a waiting caller out of the queue to record a callback request; false (already logged) when Twilio did not take it.</summary>
    Task<bool> MoveToCallbackRequestAsync(string callSid, CancellationToken ct);

    /// <summary>Pauses (skipping the gap) or resumes the call's running recording; false (already logged) when Twilio did not take it.</summary>
    Task<bool> SetRecordingPausedAsync(string callSid, bool paused, CancellationToken ct);

    /// <summary>
    /// Places an outbound call running <paramref name="twiml"/> once answered, recorded from the answer (customer | everyone else)
    /// when <paramref name="recordingStatusCallback"/> is given; Twilio's call SID, or null (already logged) when refused.
    /// </summary>
    Task<string?> PlaceCallAsync(string to, string from, string twiml, Uri statusCallback, CancellationToken ct, Uri? recordingStatusCallback = null);

    /// <summary>Asks Twilio how a call stands (GET Calls/{Sid}); null (already logged) when Twilio did not answer or knows no such call.</summary>
    Task<TwilioCallState?> FetchCallAsync(string callSid, CancellationToken ct);
}

/// <summary>Twilio's view of a call: its <c>CallStatus</c> value (queued, ringing, in-progress, completed, busy, no-answer, failed, canceled).</summary>
public sealed record TwilioCallState(string Status, int? DurationSeconds);

/// <summary>
/// Redirects live calls with the Twilio helper library, over an <see cref="HttpClient"/> from the
/// factory so the resilience pipeline and the API base URL come from configuration.
/// </summary>
public sealed partial class TwilioCallControl(IHttpClientFactory httpClients, IOptions<TwilioOptions> options, ILogger<TwilioCallControl> logger)
    : ITwilioCallControl
{
    public const string HttpClientName = "twilio-rest";

    /// <summary>The Twilio Client identity of an agent's softphone.</summary>
    public static string ClientIdentity(string agentId) => "agent-" + agentId;

    /// <summary>Where Twilio posts recording status (the archive's webhook).</summary>
    public const string RecordingCallbackPath = "/twilio/voice/recording";

    /// <summary>
    /// What a caller hears when their queue is full or they waited too long and the queue's outcome is a
    /// callback or voicemail: an apology, then a recorded callback request posted back to us.
    /// Absolute URLs because TwiML sent over REST has no document URL to resolve against.
    /// </summary>
    public Task<bool> MoveToCallbackRequestAsync(string callSid, CancellationToken ct) =>
        RedirectAsync(callSid, CallbackRequestTwiml(), ct);

    private string CallbackRequestTwiml()
    {
        var action = new Uri(options.Value.PublicBaseUrl!.ToString().TrimEnd('/') + "/twilio/voice/callback-request");
        return new VoiceResponse()
            .Say("很抱歉，现在等候人数较多。请在提示音后留下您的姓名和需求，我们会尽快回电。", language: "zh-CN")
            .Say("Sorry, all our agents are busy. After the tone, please leave your name and request and we will call you back.", language: "en-US")
            .Record(action: action, method: Twilio.Http.HttpMethod.Post, maxLength: 120, playBeep: true, finishOnKey: "#",
                recordingStatusCallback: new Uri(options.Value.PublicBaseUrl!.ToString().TrimEnd('/') + RecordingCallbackPath),
                recordingStatusCallbackMethod: Twilio.Http.HttpMethod.Post, recordingStatusCallbackEvent: [TwilioVoice.Record.RecordingEventEnum.Completed])
            .ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
    }

    // "Twilio.CURRENT" names the call's running recording, which <Dial record> started without telling us its SID.
    // Skip rather than silence: what was said during the pause is not in the file at all.
    public Task<bool> SetRecordingPausedAsync(string callSid, bool paused, CancellationToken ct) =>
        SendAsync(callSid, paused ? "recording pause" : "recording resume", client => CallRecording.UpdateAsync(
            new UpdateCallRecordingOptions(callSid, "Twilio.CURRENT", paused ? CallRecording.StatusEnum.Paused : CallRecording.StatusEnum.InProgress)
            {
                PauseBehavior = paused ? "skip" : null,
            }, client), ct);

    public async Task<string?> PlaceCallAsync(string to, string from, string twiml, Uri statusCallback, CancellationToken ct, Uri? recordingStatusCallback = null)
    {
        string? sid = null;
        var placed = await SendAsync(Core.Privacy.PhoneNumberMask.Mask(to), "outbound call", async client =>
        {
            var call = await CallResource.CreateAsync(new CreateCallOptions(new Twilio.Types.PhoneNumber(to), new Twilio.Types.PhoneNumber(from))
            {
                Twiml = new Twilio.Types.Twiml(twiml),
                StatusCallback = statusCallback,
                StatusCallbackMethod = Twilio.Http.HttpMethod.Post,
                StatusCallbackEvent = ["completed"],
                Record = recordingStatusCallback is null ? null : true,
                RecordingChannels = recordingStatusCallback is null ? null : "dual",
                RecordingStatusCallback = recordingStatusCallback?.ToString(),
                RecordingStatusCallbackMethod = recordingStatusCallback is null ? null : Twilio.Http.HttpMethod.Post,
                RecordingStatusCallbackEvent = recordingStatusCallback is null ? null : ["completed"],
            }, client);
            sid = call.Sid;
        }, ct);
        return placed ? sid : null;
    }

    public async Task<TwilioCallState?> FetchCallAsync(string callSid, CancellationToken ct)
    {
        TwilioCallState? state = null;
        var fetched = await SendAsync(callSid, "status fetch", async client =>
        {
            var call = await CallResource.FetchAsync(callSid, client: client);
            state = new TwilioCallState(call.Status.ToString(),
                int.TryParse(call.Duration, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : null);
        }, ct);
        return fetched ? state : null;
    }

    /// <summary>Replaces what the call is doing with <paramref name="twiml"/>; false (already logged) when Twilio did not take it.</summary>
    public Task<bool> RedirectAsync(string callSid, string twiml, CancellationToken ct) =>
        SendAsync(callSid, "redirect", client => CallResource.UpdateAsync(new UpdateCallOptions(callSid) { Twiml = new Twilio.Types.Twiml(twiml) }, client), ct);

    public async Task CancelUnansweredAsync(string callSid, CancellationToken ct)
    {
        // A status we could not read is tried too: Twilio refuses the cancel of a call that was answered, which changes nothing.
        if (await FetchCallAsync(callSid, ct) is { Status: not ("queued" or "ringing") }) return;
        await SendAsync(callSid, "cancel", client => CallResource.UpdateAsync(
            new UpdateCallOptions(callSid) { Status = CallResource.UpdateStatusEnum.Canceled }, client), ct);
    }

    private async Task<bool> SendAsync(string callSid, string what, Func<TwilioRestClient, Task> send, CancellationToken ct)
    {
        var settings = options.Value;
        if (string.IsNullOrEmpty(settings.AccountSid))
        {
            logger.LogError("Twilio:AccountSid is not configured; no {What} for call {CallSid}", what, callSid);
            return false;
        }
        var client = new TwilioRestClient(settings.AccountSid, settings.AuthToken, accountSid: settings.AccountSid,
            httpClient: new Twilio.Http.SystemNetHttpClient(httpClients.CreateClient(HttpClientName)));
        try
        {
            // The helper library takes no token; the resilience pipeline's timeout bounds the wait instead.
            ct.ThrowIfCancellationRequested();
            await send(client);
            return true;
        }
        catch (Exception ex) when (ex is ApiException or ApiConnectionException or HttpRequestException or Polly.Timeout.TimeoutRejectedException
                                   or Polly.CircuitBreaker.BrokenCircuitException or TwilioException)
        {
            logger.LogWarning("Twilio refused or did not answer the {What} of {CallSid}: {Reason} {Message}",
                what, callSid, ex.GetType().Name, ex.Message);
            return false;
        }
    }
}

/// <summary>Sends requests the helper library addresses to api.twilio.com to the configured base URL instead.</summary>
internal sealed class TwilioApiBaseUrlHandler(IOptions<TwilioOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (options.Value.ApiBaseUrl is { } baseUrl && request.RequestUri is { } uri)
        {
            var prefix = baseUrl.ToString().TrimEnd('/');
            request.RequestUri = new Uri(prefix + uri.PathAndQuery);
        }
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Registers the Twilio REST client with its resilience pipeline.</summary>
public static class TwilioCallControlExtensions
{
    public static IServiceCollection AddTwilioCallControl(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var restTimeout = configuration.GetSection(TwilioOptions.SectionName).Get<TwilioOptions>()?.RestTimeout ?? TimeSpan.FromSeconds(4);
        services.AddTransient<TwilioApiBaseUrlHandler>();
        services.AddHttpClient(TwilioCallControl.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            // Outside the pipeline: the address is rewritten once and every attempt reuses it.
            .AddHttpMessageHandler<TwilioApiBaseUrlHandler>()
            .AddResilienceHandler("twilio-rest", pipeline =>
            {
                // Network waits are wall-clock time: the server's TimeProvider may run simulated (Simulation:ClockRate, tests),
                // and on a clock that does not move these timeouts would never fire and an accept would wait for Twilio.
                pipeline.TimeProvider = TimeProvider.System;
                var retry = new HttpRetryStrategyOptions { MaxRetryAttempts = 2, Delay = TimeSpan.FromMilliseconds(100), BackoffType = DelayBackoffType.Exponential, UseJitter = true };
                // A redirect Twilio applied but whose answer was lost would, if sent again, restart the
                // caller's dial and drop the agent; so POSTs are never retried.
                retry.DisableForUnsafeHttpMethods();
                pipeline.AddTimeout(restTimeout + TimeSpan.FromSeconds(1))
                    .AddRetry(retry)
                    .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                    {
                        SamplingDuration = restTimeout * 3, MinimumThroughput = 5, FailureRatio = 0.5, BreakDuration = TimeSpan.FromSeconds(10),
                    })
                    .AddTimeout(restTimeout);
            });
        services.AddSingleton<TwilioCallControl>();
        services.AddSingleton<ITwilioCallControl>(sp => sp.GetRequiredService<TwilioCallControl>());
        services.AddSingleton<ITwilioConferenceControl>(sp => sp.GetRequiredService<TwilioCallControl>());
        return services;
    }
}
