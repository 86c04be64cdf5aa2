using CallCenter.Server.Audit;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Ivr;

/// <summary>The supervisor's switch for a line's emergency announcement; every change is in the operation log.</summary>
public static class EmergencyAnnouncementApi
{
    public sealed record AnnouncementRequest(Dictionary<string, string> Texts);

    public sealed record AnnouncementState(string FlowId, bool Active, IReadOnlyDictionary<string, string>? Texts,
        string? SwitchedOnBy, DateTimeOffset? SwitchedOnAt);

    public static IEndpointRouteBuilder MapEmergencyAnnouncementApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/lines/{flowId}/emergency-announcement").WithTags("Lines");
        group.MapGet("/", GetAsync).WithName("GetEmergencyAnnouncement").RequireStaff();
        group.MapPut("/", SwitchOnAsync).WithName("SwitchOnEmergencyAnnouncement").RequireStaff(StaffAuthentication.SupervisorPolicy);
        group.MapDelete("/", SwitchOffAsync).WithName("SwitchOffEmergencyAnnouncement").RequireStaff(StaffAuthentication.SupervisorPolicy);
        return routes;
    }

    private static async Task<Results<Ok<AnnouncementState>, ProblemHttpResult>> GetAsync(
        string flowId, IvrFlowCatalog flows, CallCenterDbContext db, CancellationToken ct)
    {
        if (flows.ForFlow(flowId) is null) return UnknownLine(flowId);
        var active = await db.EmergencyAnnouncements.AsNoTracking().SingleOrDefaultAsync(a => a.FlowId == flowId && a.SwitchedOffAt == null, ct);
        return TypedResults.Ok(new AnnouncementState(flowId, active is not null, active?.Texts, active?.SwitchedOnBy, active?.SwitchedOnAt));
    }

    private static async Task<Results<Ok<AnnouncementState>, ValidationProblem, ProblemHttpResult>> SwitchOnAsync(
        string flowId, AnnouncementRequest request, IvrFlowCatalog flows, CallCenterDbContext db, EmergencyAnnouncementCache cache,
        TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        if (flows.ForFlow(flowId) is not { } interpreter) return UnknownLine(flowId);
        var missing = interpreter.Flow.Languages
            .Where(l => string.IsNullOrWhiteSpace(request.Texts?.GetValueOrDefault(l))).ToList();
        if (missing.Count > 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["texts"] = [$"text missing for {string.Join(", ", missing)}"] },
                title: "Announcement not switched on");

        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var texts = interpreter.Flow.Languages.ToDictionary(l => l, l => request.Texts![l].Trim());
        await SwitchOnLineAsync(db, flowId, texts, who, now, ct);
        await tx.CommitAsync(ct);
        cache.Invalidate(flowId);
        return TypedResults.Ok(new AnnouncementState(flowId, true, texts, who, now));
    }

    /// <summary>
    /// Switches a line's announcement on with texts already checked against the line's languages (also used by pinned
    /// incident scripts), with its operation-log entry; the caller owns the transaction and invalidates the cache after commit.
    /// </summary>
    internal static async Task<EmergencyAnnouncement> SwitchOnLineAsync(CallCenterDbContext db, string flowId, Dictionary<string, string> texts,
        string who, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var previous in await db.EmergencyAnnouncements.Where(a => a.FlowId == flowId && a.SwitchedOffAt == null).ToListAsync(ct))
            previous.SwitchOff(who, now);
        // The old row must be switched off before the new one satisfies the one-active-per-line index.
        await db.SaveChangesAsync(ct);
        var announcement = new EmergencyAnnouncement { FlowId = flowId, Texts = texts, SwitchedOnBy = who, SwitchedOnAt = now };
        db.EmergencyAnnouncements.Add(announcement);
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "line.emergency_announcement.on",
            Target = flowId, Result = "succeeded", Details = string.Join(" | ", texts.Select(t => $"{t.Key}: {t.Value}")) });
        await db.SaveChangesAsync(ct);
        return announcement;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> SwitchOffAsync(
        string flowId, IvrFlowCatalog flows, CallCenterDbContext db, EmergencyAnnouncementCache cache,
        TimeProvider clock, HttpContext http, CancellationToken ct)
    {
        if (flows.ForFlow(flowId) is null) return UnknownLine(flowId);
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var active = await db.EmergencyAnnouncements.Where(a => a.FlowId == flowId && a.SwitchedOffAt == null).ToListAsync(ct);
        foreach (var announcement in active) announcement.SwitchOff(who, now);
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "line.emergency_announcement.off",
            Target = flowId, Result = "succeeded", Details = active.Count == 0 ? "none was on" : null });
        await db.SaveChangesAsync(ct);
        cache.Invalidate(flowId);
        return TypedResults.NoContent();
    }

    private static ProblemHttpResult UnknownLine(string flowId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown line", detail: $"No IVR flow '{flowId}'.");
}
