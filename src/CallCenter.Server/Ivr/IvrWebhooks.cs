using System.Diagnostics;
using CallCenter.Core.Ivr;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Microsoft.Extensions.Options;
using Twilio.TwiML;

namespace CallCenter.Server.Ivr;

/// <summary>The IVR's own webhooks, reached by following the TwiML: gather/record actions and the queue's hold music.</summary>
public static class IvrWebhooks
{
    public static IServiceCollection AddIvr(this IServiceCollection services)
    {
        services.AddOptions<IvrHostOptions>().BindConfiguration(IvrHostOptions.SectionName);
        services.AddSingleton<IvrFlowCatalog>();
        services.AddSingleton<IvrSessionStore>();
        services.AddSingleton<EmergencyAnnouncementCache>();
        services.AddSingleton<TwimlRenderer>();
        services.AddScoped<CoreBankingBridge>();
        services.AddScoped<IvrCallHandler>();
        services.AddHostedService<IvrPromptWarmer>();
        return services;
    }

    public static RouteGroupBuilder MapIvrWebhooks(this RouteGroupBuilder voice)
    {
        voice.MapPost("/ivr", StepAsync).WithName("TwilioIvrStep");
        voice.MapPost("/queue-wait", QueueWaitAsync).WithName("TwilioQueueWait");
        return voice;
    }

    internal static async Task<IResult> StepAsync(
        HttpRequest request, IvrCallHandler ivr, CallCenterTelemetry telemetry, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var errors = new Dictionary<string, string[]>();
        var callSid = VoiceWebhookForm.CallSid(form, errors);
        var step = request.Query["step"].ToString();
        if (step.Length == 0) errors["step"] = ["The step query parameter is required."];
        if (errors.Count > 0 || callSid is null)
        {
            telemetry.Webhooks.Add(1, new("route", "ivr"), new("outcome", "invalid"));
            return TypedResults.ValidationProblem(errors, title: "Malformed IVR step");
        }
        Activity.Current?.SetTag("call.sid", callSid);

        var outcome = await ivr.ContinueAsync(callSid, step, state => state.Phase == IvrPhase.Recording
            ? IvrInput.Recorded(form["RecordingSid"])
            : IvrInput.FromTwilio(form["Digits"], form["SpeechResult"], form["Confidence"]), ct);
        telemetry.Webhooks.Add(1, new("route", "ivr"), new("outcome", outcome.Status.ToString().ToLowerInvariant()));
        return outcome.Status switch
        {
            IvrStepStatus.Ok or IvrStepStatus.Replayed => Twiml.Ok(outcome.Twiml!),
            IvrStepStatus.UnknownCall => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown call",
                detail: $"No IVR state for {callSid}: it never started or has expired."),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Stale IVR step",
                detail: $"Call {callSid} has moved past step {step}."),
        };
    }

    // Twilio plays this while the caller waits in <Enqueue>, and asks again when it ends.
    internal static async Task<IResult> QueueWaitAsync(HttpRequest request, IOptions<IvrHostOptions> options, Routing.AcdHost acd, CancellationToken ct)
    {
        var english = request.Query["lang"].ToString().StartsWith("en", StringComparison.OrdinalIgnoreCase);
        var language = english ? "en-US" : "zh-CN";
        var response = new VoiceResponse();
        var callSid = request.HasFormContentType ? (await request.ReadFormAsync(ct))["CallSid"].ToString() : "";
        if (callSid.Length > 0 && await acd.EstimateAsync(callSid, ct) is { } estimate)
            response.Say(Routing.QueueWaitAnnouncement.Text(estimate, english), language: language);
        response
            .Say(english ? "All our agents are busy. Please hold, your call is important to us." : "坐席正忙，请您稍候，我们将尽快为您服务。",
                language: language)
            .Pause(length: options.Value.HoldPauseSeconds);
        return Twiml.Ok(response);
    }
}
