using CallCenter.Core.InCall;
using CallCenter.Server.Audit;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Server.Telephony;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CallCenter.Server.InCall;

/// <summary>
/// The supervisor's listen-in, whisper and barge through Twilio conference coaching: the supervisor's softphone joins the
/// call's conference muted (listen), as a coach only the agent hears (whisper), or as a full party (barge). Supervisors
/// only; every attempt, refused or not, is in the operation log, and each change in the call log.
/// </summary>
public static class CallMonitorApi
{
    /// <summary>Listen, Whisper or Barge.</summary>
    public sealed record MonitorRequest(string? Mode);

    /// <summary>Who monitors the call and how; the agent being coached.</summary>
    public sealed record MonitorView(string CallSid, string Supervisor, string Mode, string Agent);

    public static IEndpointRouteBuilder MapCallMonitor(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/supervisor/calls/{callSid}/monitor").WithTags("Supervisor")
            .RequireStaff(StaffAuthentication.SupervisorPolicy)
            .AddEndpointFilter<CallLockFilter>()
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status502BadGateway);
        group.MapPost("", MonitorAsync).WithName("SupervisorMonitorCall")
            .WithSummary("Listen in (muted), whisper to the agent (coach) or barge in; again with another mode to switch. Audited.");
        group.MapDelete("", EndAsync).WithName("SupervisorEndMonitor").WithSummary("Leave the call you are monitoring. Audited.");
        return routes;
    }

    private static async Task<Results<Ok<MonitorView>, ValidationProblem, ProblemHttpResult>> MonitorAsync(
        string callSid, MonitorRequest request, HttpContext http, CallCenterDbContext db, ITwilioConferenceControl twilio, ICallEventLog callLog,
        TimeProvider clock, CancellationToken ct)
    {
        if (!Enum.TryParse<MonitorMode>(request.Mode, ignoreCase: true, out var mode) || !Enum.IsDefined(mode) || int.TryParse(request.Mode, out _))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["mode"] = ["mode must be Listen, Whisper or Barge."] },
                title: "Invalid monitor mode");
        var supervisor = http.User.WorkNumber();
        var action = "call.monitor." + mode.ToString().ToLowerInvariant();
        var call = await InCallSessions.LoadAsync(db, callSid, ct);
        if (call is null)
        {
            await LogAsync(db, clock, supervisor, action, callSid, "refused", "no conference");
            return InCallSessions.NoConference(callSid);
        }
        if (InCallRules.Monitor(call, supervisor) is { } no)
        {
            await LogAsync(db, clock, supervisor, action, callSid, "refused", no.Detail);
            return InCallSessions.Problem(no);
        }
        var agentLeg = call.AgentLegs.GetValueOrDefault(call.Owner);
        if (mode == MonitorMode.Whisper && agentLeg is null)
        {
            await LogAsync(db, clock, supervisor, action, callSid, "refused", "agent leg unknown");
            return InCallSessions.Problem(new InCallRefusal(RefusalKind.Conflict, "Cannot whisper", $"The leg of {call.Owner} on this call is not known."));
        }
        // Listen: a muted party hears everyone; whisper: a coach only the agent hears; barge: an ordinary party.
        var change = new ParticipantChange
        {
            Muted = mode == MonitorMode.Listen,
            Coaching = mode == MonitorMode.Whisper,
            CallSidToCoach = mode == MonitorMode.Whisper ? agentLeg : null,
        };
        var label = InCallSession.SupervisorLabel(supervisor);
        var joined = call.Monitor is null
            ? await twilio.AddParticipantAsync(InCallSession.ConferenceName(callSid), "client:" + TwilioCallControl.ClientIdentity(supervisor),
                TwilioCallControl.HotlineClient, label, change, ct) is not null
            : await twilio.UpdateParticipantAsync(call.ConferenceSid, label, change, ct);
        if (!joined)
        {
            await LogAsync(db, clock, supervisor, action, callSid, "failed", "Twilio did not take the request");
            return InCallSessions.TwilioFailed("You are not on the call. Try again.");
        }
        await InCallSessions.AppendAsync(callLog, clock, call, call.Monitor is null ? InCallSession.MonitorStartedEvent : InCallSession.MonitorChangedEvent,
            new { supervisor, mode = mode.ToString(), agent = call.Owner });
        await LogAsync(db, clock, supervisor, action, callSid, "succeeded", $"agent {call.Owner}");
        return TypedResults.Ok(new MonitorView(callSid, supervisor, mode.ToString(), call.Owner));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> EndAsync(
        string callSid, HttpContext http, CallCenterDbContext db, ITwilioConferenceControl twilio, ICallEventLog callLog, TimeProvider clock,
        CancellationToken ct)
    {
        var supervisor = http.User.WorkNumber();
        const string action = "call.monitor.end";
        var call = await InCallSessions.LoadAsync(db, callSid, ct);
        if (call is null)
        {
            await LogAsync(db, clock, supervisor, action, callSid, "refused", "no conference");
            return InCallSessions.NoConference(callSid);
        }
        if (InCallRules.EndMonitor(call, supervisor) is { } no)
        {
            await LogAsync(db, clock, supervisor, action, callSid, "refused", no.Detail);
            return InCallSessions.Problem(no);
        }
        if (!await twilio.RemoveParticipantAsync(call.ConferenceSid, InCallSession.SupervisorLabel(supervisor), ct))
        {
            await LogAsync(db, clock, supervisor, action, callSid, "failed", "Twilio did not take the request");
            return InCallSessions.TwilioFailed("You are still on the call. Try again.");
        }
        await InCallSessions.AppendAsync(callLog, clock, call, InCallSession.MonitorEndedEvent, new { supervisor, agent = call.Owner });
        await LogAsync(db, clock, supervisor, action, callSid, "succeeded", null);
        return TypedResults.NoContent();
    }

    private static async Task LogAsync(CallCenterDbContext db, TimeProvider clock, string who, string action, string target, string result, string? details)
    {
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = clock.GetUtcNow(), Operator = who, Action = action, Target = target, Result = result, Details = details });
        // Not the request's token: whatever Twilio did must be on record even if the supervisor goes away.
        await db.SaveChangesAsync(CancellationToken.None);
    }
}
