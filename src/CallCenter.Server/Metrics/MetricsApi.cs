using System.Globalization;
using System.Text;
using CallCenter.Core.Metrics;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Metrics;

/// <summary>Interval reports for supervisors, as JSON or CSV, each row with the definition that produced it.</summary>
public static class MetricsApi
{
    public static IServiceCollection AddMetricsWorker(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<QueueRollupCalculator>();
        services.AddSingleton<MetricsWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<MetricsWorker>());
        services.AddSingleton<WallboardBroadcaster>();
        services.AddHostedService(sp => sp.GetRequiredService<WallboardBroadcaster>());
        return services;
    }

    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/metrics/queues", QueuesAsync).WithName("QueueIntervalReport").WithTags("Metrics")
            .WithSummary("Per-queue 15-minute figures: offered, answered, abandoned, connect rate, service level (offered and answered-only), ASA, talk time.")
            .RequireStaff(StaffAuthentication.SupervisorPolicy);
        routes.MapGet("/api/metrics/agents", AgentsAsync).WithName("AgentIntervalReport").WithTags("Metrics")
            .WithSummary("Per-agent 15-minute workload: answered, completed, talk time, wrap-ups and how many were marked resolved.")
            .RequireStaff(StaffAuthentication.SupervisorPolicy);
        routes.MapGet("/api/metrics/wallboard", (WallboardBroadcaster board) => TypedResults.Ok(board.Latest))
            .WithName("Wallboard").WithTags("Metrics")
            .WithSummary("The latest wallboard (also pushed to supervisors every 2 s over /hubs/agent as \"wallboard\").")
            .RequireStaff(StaffAuthentication.SupervisorPolicy);
        routes.MapGet("/api/metrics/fcr", FirstCallResolutionAsync).WithName("FirstCallResolution").WithTags("Metrics")
            .WithSummary("First-call resolution for a period: agent-handled needs, resolved with no repeat contact for the same reason family within the window; provisional until the window has closed.")
            .RequireStaff(StaffAuthentication.SupervisorPolicy);
        routes.MapGet("/api/metrics/staffing", Staffing).WithName("ErlangCStaffing").WithTags("Metrics")
            .WithSummary("Erlang C: agents needed for a forecast and target, and the service level and ASA a given staff gives.")
            .RequireStaff(StaffAuthentication.SupervisorPolicy);
        return routes;
    }

    /// <summary>An Erlang C answer with the model's assumptions spelled out.</summary>
    public sealed record StaffingAnswer(double Erlangs, int AgentsNeeded, int Agents, double ProbabilityOfWaiting,
        double ServiceLevel, double? AverageSpeedOfAnswerSeconds, string Model);

    private static Results<Ok<StaffingAnswer>, ValidationProblem> Staffing(
        double callsPerHour, double ahtSeconds, double thresholdSeconds, double target, int? agents)
    {
        var errors = new Dictionary<string, string[]>();
        if (callsPerHour is <= 0 or > 100_000) errors["callsPerHour"] = ["must be between 0 and 100000"];
        if (ahtSeconds is <= 0 or > 36_000) errors["ahtSeconds"] = ["must be between 0 and 36000"];
        if (thresholdSeconds is < 0 or > 3_600) errors["thresholdSeconds"] = ["must be between 0 and 3600"];
        if (target is <= 0 or >= 1) errors["target"] = ["must be a share between 0 and 1, e.g. 0.8"];
        if (agents is < 1 or > 10_000) errors["agents"] = ["must be between 1 and 10000"];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid staffing question");

        var aht = TimeSpan.FromSeconds(ahtSeconds);
        var threshold = TimeSpan.FromSeconds(thresholdSeconds);
        var erlangs = ErlangC.Load(callsPerHour, aht);
        var needed = ErlangC.AgentsFor(erlangs, aht, threshold, target);
        var staff = agents ?? needed;
        var asa = ErlangC.AverageSpeedOfAnswer(staff, erlangs, aht);
        return TypedResults.Ok(new StaffingAnswer(erlangs, needed, staff, ErlangC.ProbabilityOfWaiting(staff, erlangs),
            ErlangC.ServiceLevel(staff, erlangs, aht, threshold), asa == TimeSpan.MaxValue ? null : asa.TotalSeconds,
            "Erlang C (M/M/N): Poisson arrivals, exponential handle times, no abandonment, agents fully occupied when busy"));
    }

    private static async Task<Results<Ok<List<QueueIntervalRollup>>, ContentHttpResult, ValidationProblem>> QueuesAsync(
        DateTimeOffset from, DateTimeOffset to, string? queue, string? format, CallCenterDbContext db, CancellationToken ct)
    {
        if (PeriodProblem(from, to) is { } problem) return problem;
        var rows = await db.QueueIntervalRollups.AsNoTracking()
            .Where(r => r.IntervalStart >= from && r.IntervalStart < to && (queue == null || r.Queue == queue))
            .OrderBy(r => r.IntervalStart).ThenBy(r => r.Queue).ThenBy(r => r.PolicyVersion)
            .ToListAsync(ct);
        if (!string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase)) return TypedResults.Ok(rows);

        var csv = new StringBuilder("interval_start,queue,policy_version,offered,answered,answered_within_threshold,abandoned,short_abandoned,connect_rate,service_level_offered,service_level_answered,asa_seconds,talk_seconds,definition\n");
        foreach (var r in rows)
        {
            csv.AppendLine(string.Join(',', r.IntervalStart.ToString("o", CultureInfo.InvariantCulture), Quote(r.Queue),
                r.PolicyVersion, r.Offered, r.Answered, r.AnsweredWithinThreshold, r.Abandoned, r.ShortAbandoned,
                Number(r.ConnectRate), Number(r.ServiceLevelOffered), Number(r.ServiceLevelAnswered),
                Number(r.AverageSpeedOfAnswer), Number(r.AverageTalkTime), Quote(r.Definition)));
        }
        return TypedResults.Text(csv.ToString(), "text/csv; charset=utf-8");
    }

    private static async Task<Results<Ok<List<AgentIntervalRollup>>, ValidationProblem>> AgentsAsync(
        DateTimeOffset from, DateTimeOffset to, string? agent, CallCenterDbContext db, CancellationToken ct)
    {
        if (PeriodProblem(from, to) is { } problem) return problem;
        return TypedResults.Ok(await db.AgentIntervalRollups.AsNoTracking()
            .Where(r => r.IntervalStart >= from && r.IntervalStart < to && (agent == null || r.Agent == agent))
            .OrderBy(r => r.IntervalStart).ThenBy(r => r.Agent).ToListAsync(ct));
    }

    private static async Task<Results<Ok<FcrFigure>, ValidationProblem>> FirstCallResolutionAsync(
        DateTimeOffset from, DateTimeOffset to, int? windowDays, Npgsql.NpgsqlDataSource dataSource, TimeProvider clock, CancellationToken ct)
    {
        var days = windowDays ?? 7;
        if (to <= from || to - from > TimeSpan.FromDays(93) || days is < 1 or > 30)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["period"] = ["'to' must be after 'from', at most 93 days later; windowDays 1–30."],
            });
        var window = TimeSpan.FromDays(days);
        // The customer is the verified customer when the IVR verified one, else the caller's number.
        const string sql = """
            SELECT w.call_sid, w.occurred_at,
                   coalesce(w.payload::jsonb ->> 'reasonFamily', ''),
                   coalesce((w.payload::jsonb ->> 'resolved')::boolean, false),
                   coalesce((SELECT v.payload::jsonb -> 'data' ->> 'customer' FROM call_events v
                             WHERE v.call_sid = w.call_sid AND v.type = 'ivr.verified' LIMIT 1),
                            c.from_number, w.call_sid)
            FROM call_events w LEFT JOIN calls c ON c.call_sid = w.call_sid
            WHERE w.type = 'agent.wrap_up' AND w.occurred_at >= @from AND w.occurred_at < @until
            """;
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("until", to + window);
        var contacts = new List<Contact>();
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                contacts.Add(new Contact(reader.GetString(0), reader.GetString(4), reader.GetString(2),
                    reader.GetFieldValue<DateTimeOffset>(1), ReachedAgent: true, reader.GetBoolean(3)));
        }
        return TypedResults.Ok(FirstCallResolution.Compute(contacts, from, to, window, clock.GetUtcNow()));
    }

    // Reports cover at most a quarter, so one request cannot scan years of the call log.
    private static ValidationProblem? PeriodProblem(DateTimeOffset from, DateTimeOffset to) =>
        to <= from || to - from > TimeSpan.FromDays(93)
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = ["'to' must be after 'from' and at most 93 days later."] })
            : null;

    private static string Number(double? value) => value?.ToString("0.####", CultureInfo.InvariantCulture) ?? "";

    private static string Quote(string text) => "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
