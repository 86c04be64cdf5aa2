using System.Diagnostics;
using CallCenter.Server.Audit;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Ivr;
using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Twilio.TwiML;

namespace CallCenter.Server.Degraded;

/// <summary>The supervisor's surge switch per line (operation log) and the webhook where a caller takes the surge callback offer.</summary>
public static class SurgeModeApi
{
    /// <summary>A line's manual surge switch.</summary>
    public sealed record SurgeState(string FlowId, bool On, string? SwitchedOnBy, DateTimeOffset? SwitchedOnAt);

    public static IEndpointRouteBuilder MapSurgeModeApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/lines/{flowId}/surge-mode").WithTags("Lines");
        group.MapGet("/", GetAsync).WithName("GetSurgeMode").RequireStaff()
            .WithSummary("Whether a supervisor has put the line in surge mode by hand.");
        group.MapPut("/", SwitchOnAsync).WithName("SwitchOnSurgeMode").RequireStaff(StaffAuthentication.SupervisorPolicy)
            .WithSummary("Put the line in surge mode: every caller about to hold hears the surge announcement and is offered a callback.");
        group.MapDelete("/", SwitchOffAsync).WithName("SwitchOffSurgeMode").RequireStaff(StaffAuthentication.SupervisorPolicy)
            .WithSummary("End the manual surge mode (the estimated-wait trigger still applies).");
        return routes;
    }

    /// <summary>Twilio posts the caller's answer to the surge offer here (signed, like every voice webhook).</summary>
    public static RouteGroupBuilder MapSurgeCallbackWebhook(this RouteGroupBuilder voice)
    {
        voice.MapPost("/surge-callback", ChoiceAsync).WithName("TwilioSurgeCallbackChoice");
        return voice;
    }

    private static async Task<Results<Ok<SurgeState>, ProblemHttpResult>> GetAsync(
        string flowId, IvrFlowCatalog flows, CallCenterDbContext db, CancellationToken ct)
    {
        if (flows.ForFlow(flowId) is null) return UnknownLine(flowId);
        var active = await db.SurgeSwitches.AsNoTracking().SingleOrDefaultAsync(s => s.FlowId == flowId && s.SwitchedOffAt == null, ct);
        return TypedResults.Ok(new SurgeState(flowId, active is not null, active?.SwitchedOnBy, active?.SwitchedOnAt));
    }

    private static async Task<Results<Ok<SurgeState>, ProblemHttpResult>> SwitchOnAsync(
        string flowId, IvrFlowCatalog flows, CallCenterDbContext db, SurgeMode surge, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        if (flows.ForFlow(flowId) is null) return UnknownLine(flowId);
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var active = await db.SurgeSwitches.AsNoTracking().SingleOrDefaultAsync(s => s.FlowId == flowId && s.SwitchedOffAt == null, ct);
        if (active is null)
        {
            active = new SurgeSwitch { FlowId = flowId, SwitchedOnBy = who, SwitchedOnAt = now };
            db.SurgeSwitches.Add(active);
        }
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "line.surge_mode.on", Target = flowId,
            Result = "succeeded", Details = active.SwitchedOnBy == who && active.SwitchedOnAt == now ? null : $"already on since {active.SwitchedOnAt:o} ({active.SwitchedOnBy})" });
        await db.SaveChangesAsync(ct);
        surge.Invalidate(flowId);
        return TypedResults.Ok(new SurgeState(flowId, true, active.SwitchedOnBy, active.SwitchedOnAt));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> SwitchOffAsync(
        string flowId, IvrFlowCatalog flows, CallCenterDbContext db, SurgeMode surge, TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        if (flows.ForFlow(flowId) is null) return UnknownLine(flowId);
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var active = await db.SurgeSwitches.Where(s => s.FlowId == flowId && s.SwitchedOffAt == null).ToListAsync(ct);
        foreach (var on in active) on.SwitchOff(who, now);
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "line.surge_mode.off", Target = flowId,
            Result = "succeeded", Details = active.Count == 0 ? "it was not on" : null });
        await db.SaveChangesAsync(ct);
        surge.Invalidate(flowId);
        return TypedResults.NoContent();
    }

    // 1: the caller leaves the queue and records a callback request (the callback worker calls back, keeping their place in
    // line); anything else: the caller holds, already in the ACD since the offer was made.
    internal static async Task<IResult> ChoiceAsync(HttpRequest request, ICallEventLog callLog, AcdHost acd, TimeProvider clock,
        CallCenterTelemetry telemetry, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var errors = new Dictionary<string, string[]>();
        var callSid = VoiceWebhookForm.CallSid(form, errors);
        var queue = request.Query["queue"].ToString();
        if (queue.Length == 0 || !acd.QueueNames.Contains(queue)) errors["queue"] = ["queue must name a configured ACD queue."];
        if (errors.Count > 0 || callSid is null) return TypedResults.ValidationProblem(errors, title: "Malformed surge choice");
        Activity.Current?.SetTag("call.sid", callSid);
        var english = request.Query["lang"].ToString().StartsWith("en", StringComparison.OrdinalIgnoreCase);
        var language = english ? "en-US" : "zh-CN";

        if (form["Digits"].ToString() != "1")
        {
            telemetry.Webhooks.Add(1, new("route", "surge_callback"), new("outcome", "hold"));
            return Twiml.Ok(new VoiceResponse().Enqueue(queue,
                waitUrl: new Uri($"/twilio/voice/queue-wait?lang={language}", UriKind.Relative), waitUrlMethod: Twilio.Http.HttpMethod.Post));
        }
        await callLog.AppendAsync(new NewCallEvent(callSid, "ivr.surge_callback_chosen", "ivr.surge_callback_chosen", clock.GetUtcNow(),
            CallEventPayload.Serialize(new { queue })), ct);
        // Out of the ACD so no agent is offered a caller who is leaving a message; they leave as a queue callback
        // (acd.limit_reached), so the callback worker keeps their place and the reports count a callback, not an abandon.
        await acd.ChooseCallbackAsync(callSid, ct);
        telemetry.Webhooks.Add(1, new("route", "surge_callback"), new("outcome", "callback"));
        return Twiml.Ok(new VoiceResponse()
            .Say(english ? "After the tone, please leave your name and request, then press the hash key. We will call you back."
                : "请在提示音后留下您的姓名和需求，按井号键结束，我们会尽快回电。", language: language)
            .Record(action: new Uri("/twilio/voice/callback-request", UriKind.Relative), method: Twilio.Http.HttpMethod.Post,
                maxLength: 120, playBeep: true, finishOnKey: "#"));
    }

    private static ProblemHttpResult UnknownLine(string flowId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown line", detail: $"No IVR flow '{flowId}'.");
}
