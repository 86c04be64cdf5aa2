using CallCenter.Core.Routing;
using CallCenter.Server.Audit;
using CallCenter.Server.Data;
using CallCenter.Server.Ivr;
using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Agents;

/// <summary>The supervisor's agent board: every agent profile with its live ACD state, and forcing an agent to Break or Offline (audited).</summary>
public static class SupervisorApi
{
    private const int MaxReasonLength = 64;

    /// <summary>One agent on the supervisor's board.</summary>
    public sealed record AgentBoardRow(string WorkNumber, string DisplayName, AgentState State, DateTimeOffset? Since, string? BreakReason, string? CallSid);

    /// <summary>Break (with a reason) or Offline, imposed by a supervisor.</summary>
    public sealed record ForceStateRequest(string? State, string? Reason);

    /// <summary>A hotline line (IVR flow) whose emergency announcement a supervisor can switch, with the languages it needs texts in.</summary>
    public sealed record LineRow(string FlowId, IReadOnlyList<string> Languages);

    public static IEndpointRouteBuilder MapSupervisorApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/supervisor").WithTags("Supervisor").RequireStaff(StaffAuthentication.SupervisorPolicy);
        group.MapGet("/agents", AgentsAsync).WithName("SupervisorAgents").WithSummary("Every agent profile with its ACD state and since when.");
        group.MapPost("/agents/{workNumber}/state", ForceStateAsync).WithName("SupervisorForceAgentState")
            .WithSummary("Put an agent on Break (with a reason) or Offline; written to the operation log.")
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/lines", (IvrFlowCatalog flows) => TypedResults.Ok(flows.Flows.OrderBy(f => f.Id, StringComparer.Ordinal)
                .Select(f => new LineRow(f.Id, [.. f.Languages])).ToList()))
            .WithName("SupervisorLines").WithSummary("The lines (IVR flows) and their languages, for the emergency announcement switch.");
        return routes;
    }

    private static async Task<Ok<List<AgentBoardRow>>> AgentsAsync(CallCenterDbContext db, AcdHost acd, CancellationToken ct)
    {
        var profiles = await db.Agents.AsNoTracking().OrderBy(a => a.WorkNumber).Select(a => new { a.WorkNumber, a.DisplayName }).ToListAsync(ct);
        var rows = new List<AgentBoardRow>(profiles.Count);
        foreach (var p in profiles)
        {
            var view = await acd.AgentAsync(p.WorkNumber, ct);
            rows.Add(new AgentBoardRow(p.WorkNumber, p.DisplayName, view.State, view.Since, view.BreakReason, view.CallSid));
        }
        return TypedResults.Ok(rows);
    }

    private static async Task<Results<Ok<AgentApi.AgentStatus>, ValidationProblem, ProblemHttpResult>> ForceStateAsync(
        string workNumber, ForceStateRequest request, HttpContext http, CallCenterDbContext db, AcdHost acd, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        AgentState? state = request.State switch
        {
            _ when string.Equals(request.State, nameof(AgentState.Break), StringComparison.OrdinalIgnoreCase) => AgentState.Break,
            _ when string.Equals(request.State, nameof(AgentState.Offline), StringComparison.OrdinalIgnoreCase) => AgentState.Offline,
            _ => null,
        };
        if (state is null) errors["state"] = ["state must be Break or Offline."];
        var reason = request.Reason?.Trim();
        if (state == AgentState.Break && string.IsNullOrEmpty(reason)) errors["reason"] = ["A break needs a reason."];
        if (reason is { Length: > MaxReasonLength }) errors["reason"] = [$"reason is at most {MaxReasonLength} characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid agent state");

        if (!await db.Agents.AnyAsync(a => a.WorkNumber == workNumber, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such agent", detail: $"{workNumber} has no agent profile.");

        var supervisor = http.User.WorkNumber();
        var action = state == AgentState.Break ? "agent.force_break" : "agent.force_offline";
        try
        {
            if (state == AgentState.Break) await acd.SetStateAsync(workNumber, AgentState.Break, "supervisor: " + reason, ct);
            else await acd.LogoutAsync(workNumber, ct);
        }
        catch (IllegalTransitionException ex)
        {
            await LogAsync(db, clock, supervisor, action, workNumber, "refused", ex.Message);
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not allowed in the agent's current state", detail: ex.Message);
        }
        await LogAsync(db, clock, supervisor, action, workNumber, "succeeded", reason);
        var view = await acd.AgentAsync(workNumber, ct);
        return TypedResults.Ok(new AgentApi.AgentStatus(workNumber, view.State, view.Since, view.BreakReason, view.CallSid));
    }

    private static async Task LogAsync(CallCenterDbContext db, TimeProvider clock, string who, string action, string target, string result,
        string? details)
    {
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = clock.GetUtcNow(), Operator = who, Action = action, Target = target, Result = result, Details = details });
        // Not the request's token: the ACD already acted, so its record must be written even if the supervisor goes away.
        await db.SaveChangesAsync(CancellationToken.None);
    }
}
