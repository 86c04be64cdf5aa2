using System.Text.Json;
using CallCenter.Core.InCall;
using CallCenter.Core.Routing;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Routing;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.InCall;

/// <summary>Configuration of the in-call controls (section <c>InCall</c>).</summary>
public sealed class InCallOptions
{
    public const string SectionName = "InCall";

    /// <summary>Permission level needed to pass a caller to a colleague (an agent or a queue).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 3)]
    public int AgentOrQueueMinLevel { get; set; } = 1;

    /// <summary>Permission level needed to pass a caller to, or add, an outside number: our recording and verification end there.</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 3)]
    public int ExternalNumberMinLevel { get; set; } = 2;

    public TransferPolicy Policy => new(AgentOrQueueMinLevel, ExternalNumberMinLevel);
}

/// <summary>Reads a call's in-call state from the call log and writes its in-call events; maps refusals to problem details.</summary>
public static class InCallSessions
{
    /// <summary>The call's state now, or null when it never had a conference (not answered, or bridged by a plain dial).</summary>
    public static async Task<InCallSession?> LoadAsync(CallCenterDbContext db, string callSid, CancellationToken ct)
    {
        var types = InCallSession.EventTypes.ToArray();
        var rows = await db.CallEvents.AsNoTracking()
            .Where(e => e.CallSid == callSid && types.Contains(e.Type))
            .OrderBy(e => e.CallSeq).Select(e => new { e.Type, e.OccurredAt, e.Payload }).ToListAsync(ct);
        return InCallSession.Fold(callSid, rows.Select(r => new InCallEvent(r.Type, r.OccurredAt, Fields(r.Payload))));
    }

    /// <summary>Appends one in-call event under the call's next step key for its type, so a replay is recognised.</summary>
    public static Task AppendAsync(ICallEventLog callLog, TimeProvider clock, InCallSession call, string type, object payload) =>
        // Not the request's token: Twilio has already acted, so the record must be written even if the agent goes away.
        callLog.AppendAsync(new NewCallEvent(call.CallSid, type, call.NextStepKey(type), clock.GetUtcNow(), CallEventPayload.Serialize(payload)),
            CancellationToken.None);

    /// <summary>The agent must be connected to the call in the ACD too (the caller may just have hung up).</summary>
    public static async Task<ProblemHttpResult?> NotConnectedAsync(AcdHost acd, string agent, string callSid, CancellationToken ct) =>
        await acd.AgentAsync(agent, ct) is { State: AgentState.OnCall } me && me.CallSid == callSid
            ? null
            : Problem(new InCallRefusal(RefusalKind.Conflict, "Not on this call",
                $"Only an agent connected to {callSid} controls it, and only while connected."));

    public static ProblemHttpResult NoConference(string callSid) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No conference for this call",
            detail: $"{callSid} is not an answered call bridged through a conference.");

    public static ProblemHttpResult Problem(InCallRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return TypedResults.Problem(statusCode: refusal.Kind switch
        {
            RefusalKind.Invalid => StatusCodes.Status400BadRequest,
            RefusalKind.Forbidden => StatusCodes.Status403Forbidden,
            RefusalKind.NotFound => StatusCodes.Status404NotFound,
            _ => StatusCodes.Status409Conflict,
        }, title: refusal.Title, detail: refusal.Detail);
    }

    public static ProblemHttpResult TwilioFailed(string what) =>
        TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Twilio did not take the request", detail: what);

    private static Dictionary<string, string?> Fields(string payload)
    {
        using var json = JsonDocument.Parse(payload);
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (json.RootElement.ValueKind != JsonValueKind.Object) return fields;
        foreach (var p in json.RootElement.EnumerateObject())
            fields[p.Name] = p.Value.ValueKind switch
            {
                JsonValueKind.String => p.Value.GetString(),
                JsonValueKind.Null or JsonValueKind.Undefined => null,
                _ => p.Value.GetRawText(),
            };
        return fields;
    }
}
