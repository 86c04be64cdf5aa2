using System.Text.Json;
using CallCenter.Core.Routing;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Archive;

/// <summary>
/// The agent's pause button for the call recording, pressed while the caller reads out a card number or PIN:
/// Twilio stops recording (the gap is skipped, not silenced) and the call log gets the pause and the resume, so
/// the archive and QA see where and why audio is missing. Only the agent on the call may press it.
/// </summary>
public static class RecordingPauses
{
    public const string PausedEvent = "recording.paused";
    public const string ResumedEvent = "recording.resumed";
    private const int MaxReasonLength = 200;

    public sealed record PauseRequest(string? Reason);

    public sealed record RecordingState(string CallSid, bool Paused, DateTimeOffset? Since, string? Reason);

    public static IEndpointRouteBuilder MapRecordingPauses(this IEndpointRouteBuilder routes)
    {
        var calls = routes.MapGroup("/api/agent/calls/{callSid}/recording").WithTags("Agent").RequireStaff();
        calls.MapGet("", StateAsync).WithName("RecordingState").WithSummary("Whether the call's recording is paused, since when and why.");
        calls.MapPost("/pause", PauseAsync).WithName("PauseRecording")
            .WithSummary("Stop recording while the caller gives card numbers or a PIN; the gap is logged.");
        calls.MapPost("/resume", ResumeAsync).WithName("ResumeRecording").WithSummary("Record again after a pause.");
        return routes;
    }

    private static async Task<Results<Ok<RecordingState>, ProblemHttpResult>> StateAsync(
        string callSid, HttpContext http, AcdHost acd, CallCenterDbContext db, CancellationToken ct)
    {
        if (await NotOnTheCallAsync(callSid, http, acd, ct) is { } refused) return refused;
        return TypedResults.Ok(Current(callSid, await SwitchesAsync(db, callSid, ct)));
    }

    private static async Task<Results<Ok<RecordingState>, ValidationProblem, ProblemHttpResult>> PauseAsync(
        string callSid, PauseRequest? request, HttpContext http, AcdHost acd, CallCenterDbContext db, ITwilioCallControl twilio,
        ICallEventLog callLog, TimeProvider clock, CancellationToken ct)
    {
        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "card or PIN details" : request.Reason.Trim();
        if (reason.Length > MaxReasonLength)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = [$"reason is at most {MaxReasonLength} characters."] });
        return await SwitchAsync(callSid, paused: true, reason, http, acd, db, twilio, callLog, clock, ct);
    }

    private static async Task<Results<Ok<RecordingState>, ValidationProblem, ProblemHttpResult>> ResumeAsync(
        string callSid, HttpContext http, AcdHost acd, CallCenterDbContext db, ITwilioCallControl twilio, ICallEventLog callLog,
        TimeProvider clock, CancellationToken ct) =>
        await SwitchAsync(callSid, paused: false, null, http, acd, db, twilio, callLog, clock, ct);

    private static async Task<Results<Ok<RecordingState>, ValidationProblem, ProblemHttpResult>> SwitchAsync(
        string callSid, bool paused, string? reason, HttpContext http, AcdHost acd, CallCenterDbContext db, ITwilioCallControl twilio,
        ICallEventLog callLog, TimeProvider clock, CancellationToken ct)
    {
        if (await NotOnTheCallAsync(callSid, http, acd, ct) is { } refused) return refused;
        var switches = await SwitchesAsync(db, callSid, ct);
        var current = Current(callSid, switches);
        // Pressing twice (or a retry after a lost answer) changes nothing.
        if (current.Paused == paused) return TypedResults.Ok(current);

        using var activity = CallCenterTelemetry.ActivitySource.StartActivity(paused ? "recording.pause" : "recording.resume");
        activity?.SetTag("call.sid", callSid);
        // The recording runs on the customer's leg: for a call we placed (a callback, a project call) that is Twilio's SID of the
        // customer's call, not the call's key in the agent API.
        var leg = (await InCall.InCallSessions.LoadAsync(db, callSid, ct))?.CallerLeg ?? callSid;
        // Twilio first: the log must never claim a pause the recording did not make.
        if (!await twilio.SetRecordingPausedAsync(leg, paused, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Twilio did not change the recording",
                detail: paused ? "The recording is still running: do not take card details yet. Try again." : "The recording is still paused. Try again.");

        var now = clock.GetUtcNow();
        var agent = http.User.WorkNumber();
        var payload = paused
            ? CallEventPayload.Serialize(new { agent, reason })
            : CallEventPayload.Serialize(new { agent, pausedSeconds = current.Since is { } since ? Math.Round((now - since).TotalSeconds, 1) : (double?)null });
        // One step key per switch: the n-th pause or resume of this call, so a replayed append is recognised.
        var step = $"{(paused ? PausedEvent : ResumedEvent)}#{switches.Count + 1}";
        await callLog.AppendAsync(new NewCallEvent(callSid, paused ? PausedEvent : ResumedEvent, step, now, payload), ct);
        return TypedResults.Ok(new RecordingState(callSid, paused, now, paused ? reason : null));
    }

    private static async Task<ProblemHttpResult?> NotOnTheCallAsync(string callSid, HttpContext http, AcdHost acd, CancellationToken ct)
    {
        var me = await acd.AgentAsync(http.User.WorkNumber(), ct);
        return me is { State: AgentState.OnCall } && me.CallSid == callSid
            ? null
            : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not on this call",
                detail: $"Only the agent connected to {callSid} controls its recording, and only while connected.");
    }

    private sealed record Switch(string Type, DateTimeOffset OccurredAt, string Payload);

    /// <summary>The call's pauses and resumes in order: a handful at most.</summary>
    private static Task<List<Switch>> SwitchesAsync(CallCenterDbContext db, string callSid, CancellationToken ct) =>
        db.CallEvents.AsNoTracking()
            .Where(e => e.CallSid == callSid && (e.Type == PausedEvent || e.Type == ResumedEvent))
            .OrderBy(e => e.CallSeq).Select(e => new Switch(e.Type, e.OccurredAt, e.Payload)).ToListAsync(ct);

    private static RecordingState Current(string callSid, List<Switch> switches)
    {
        var last = switches.LastOrDefault();
        if (last is not { Type: PausedEvent }) return new RecordingState(callSid, false, last?.OccurredAt, null);
        using var payload = JsonDocument.Parse(last.Payload);
        return new RecordingState(callSid, true, last.OccurredAt, payload.RootElement.TryGetProperty("reason", out var r) ? r.GetString() : null);
    }
}
