using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Audit;

/// <summary>
/// Reading the operation log, for administrators. There is deliberately no endpoint that changes it, and the
/// database refuses UPDATE, DELETE and TRUNCATE of its rows (trigger operation_log_append_only), so not even a bug
/// in another endpoint can rewrite what staff did.
/// </summary>
public static class OperationLogApi
{
    public sealed record EntryView(long Id, DateTimeOffset OccurredAt, string Operator, string Action, string Target, string Result, string? Details);

    public static IEndpointRouteBuilder MapOperationLogApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/audit/operations", SearchAsync).WithTags("Audit").WithName("SearchOperationLog")
            .RequireStaff(StaffAuthentication.AdminPolicy);
        return routes;
    }

    /// <summary>Newest first; filters by operator, action prefix and period; at most <paramref name="limit"/> rows before <paramref name="beforeId"/>.</summary>
    private static async Task<Ok<List<EntryView>>> SearchAsync(CallCenterDbContext db, CancellationToken ct, string? @operator = null,
        string? action = null, DateTimeOffset? from = null, DateTimeOffset? to = null, long? beforeId = null, int limit = 200)
    {
        var query = db.OperationLog.AsNoTracking();
        if (!string.IsNullOrEmpty(@operator)) query = query.Where(e => e.Operator == @operator);
        if (!string.IsNullOrEmpty(action)) query = query.Where(e => e.Action.StartsWith(action));
        if (from is { } f) query = query.Where(e => e.OccurredAt >= f);
        if (to is { } t) query = query.Where(e => e.OccurredAt < t);
        if (beforeId is { } b) query = query.Where(e => e.Id < b);
        var rows = await query.OrderByDescending(e => e.Id).Take(Math.Clamp(limit, 1, 1000))
            .Select(e => new EntryView(e.Id, e.OccurredAt, e.Operator, e.Action, e.Target, e.Result, e.Details)).ToListAsync(ct);
        return TypedResults.Ok(rows);
    }
}
