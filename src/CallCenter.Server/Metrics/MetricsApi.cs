using System.Globalization;
using System.Text;
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
        return services;
    }

    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/metrics/queues", QueuesAsync).WithName("QueueIntervalReport").WithTags("Metrics")
            .WithSummary("Per-queue 15-minute figures: offered, answered, abandoned, connect rate, service level (offered and answered-only), ASA, talk time.")
            .RequireStaff(StaffAuthentication.SupervisorPolicy);
        return routes;
    }

    private static async Task<Results<Ok<List<QueueIntervalRollup>>, ContentHttpResult, ValidationProblem>> QueuesAsync(
        DateTimeOffset from, DateTimeOffset to, string? queue, string? format, CallCenterDbContext db, CancellationToken ct)
    {
        if (to <= from || to - from > TimeSpan.FromDays(93))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = ["'to' must be after 'from' and at most 93 days later."] });
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

    private static string Number(double? value) => value?.ToString("0.####", CultureInfo.InvariantCulture) ?? "";

    private static string Quote(string text) => "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
