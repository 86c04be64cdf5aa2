using CallCenter.Server.CallLog;
using Twilio.TwiML;

namespace CallCenter.Server.Telephony;

/// <summary>
/// `POST /twilio/voice/callback-request`: where a caller lands after recording a callback request when
/// their queue was full. The request (recording, duration) goes into the call log for the callback work.
/// </summary>
public static class CallbackRequestWebhook
{
    public static RouteGroupBuilder MapCallbackRequestWebhook(this RouteGroupBuilder voice)
    {
        voice.MapPost("/callback-request", RecordedAsync).WithName("TwilioCallbackRequest");
        return voice;
    }

    internal static async Task<IResult> RecordedAsync(HttpRequest request, ICallEventLog callLog, TimeProvider clock, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var errors = new Dictionary<string, string[]>();
        var callSid = VoiceWebhookForm.CallSid(form, errors);
        if (errors.Count > 0 || callSid is null) return TypedResults.ValidationProblem(errors, title: "Malformed callback request");
        var payload = CallEventPayload.Serialize(new
        {
            recordingSid = form["RecordingSid"].ToString(),
            recordingUrl = form["RecordingUrl"].ToString(),
            durationSeconds = form["RecordingDuration"].ToString(),
        });
        await callLog.AppendAsync(new NewCallEvent(callSid, "acd.callback_requested", "acd.callback_requested", clock.GetUtcNow(), payload), ct);
        return Twiml.Ok(new VoiceResponse()
            .Say("谢谢，我们会尽快给您回电。再见。", language: "zh-CN")
            .Say("Thank you, we will call you back soon. Goodbye.", language: "en-US")
            .Hangup());
    }
}
