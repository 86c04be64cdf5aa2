using CallCenter.Core.Channels;
using CallCenter.Server.Data;
using CallCenter.Server.Metrics;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Channels;

/// <summary>
/// `GET /api/metrics/channels`: non-phone timeliness per channel and the satisfaction rate per channel, queue and
/// agent (call surveys beside the text surveys), each with its definition, read from the 15-minute rollups the metrics
/// worker keeps (<see cref="ChannelRollups"/>).
/// </summary>
public static class ChannelReportApi
{
    public sealed record TimelinessRow(string Channel, int OnTime, int Late, int Pending, double? Rate);

    public sealed record SatisfactionRow(string Key, int Surveyed, int Satisfied, double? Rate, bool? MeetsTarget);

    public sealed record TimelinessReport(string Definition, TimelinessRow Total, IReadOnlyList<TimelinessRow> ByChannel);

    public sealed record SatisfactionReport(string Definition, int PolicyVersion, double Target, SatisfactionRow Total, IReadOnlyList<SatisfactionRow> ByChannel,
        IReadOnlyList<SatisfactionRow> ByQueue, IReadOnlyList<SatisfactionRow> ByAgent);

    public sealed record ChannelReport(DateTimeOffset From, DateTimeOffset To, DateTimeOffset At, TimelinessReport Timeliness, SatisfactionReport Satisfaction);

    /// <summary>Longest period one report covers.</summary>
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(92);

    public static IEndpointRouteBuilder MapChannelReportApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/metrics/channels", ReportAsync).WithName("ChannelReport").WithTags("Metrics")
            .WithSummary("Non-phone timeliness per channel, and satisfaction rate per channel, queue and agent, for requests received and surveys sent in the 15-minute intervals starting in [from, to), from the metrics rollups.")
            .RequireStaff(StaffAuthentication.SupervisorPolicy);
        return routes;
    }

    private static async Task<Results<Ok<ChannelReport>, ValidationProblem>> ReportAsync(
        DateTimeOffset from, DateTimeOffset to, CallCenterDbContext db, IOptions<ChannelOptions> options, IOptions<MetricsOptions> metrics,
        TimeProvider clock, CancellationToken ct)
    {
        if (to <= from || to - from > MaxPeriod)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = [$"to must be after from, at most {MaxPeriod.TotalDays} days later."] },
                title: "Invalid report period");
        var now = clock.GetUtcNow();
        // Whole rollup intervals: the ones starting in [from, to).
        var interval = metrics.Value.Interval;
        var (first, end) = (Ceiling(from, interval), to);

        // Open requests' due times are stored, so the figures are classified at this request's clock, not the worker's.
        var timeliness = await db.ChannelTimelinessRollups.AsNoTracking().Where(r => r.IntervalStart >= first && r.IntervalStart < end).ToListAsync(ct);
        var byChannel = timeliness.GroupBy(r => r.Channel, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Aggregate(TimelinessTotals.Empty, (t, r) => t + r.Totals(now)), StringComparer.Ordinal);
        var total = byChannel.Values.Aggregate(TimelinessTotals.Empty, (a, b) => a + b);

        var policy = options.Value.Surveys.Policy;
        var version = options.Value.Surveys.PolicyVersion;
        // Text and call surveys alike (CallSurveys stores the IVR rating on the same rows, channel "voice").
        var answers = await db.SatisfactionIntervalRollups.AsNoTracking()
            .Where(r => r.PolicyVersion == version && r.IntervalStart >= first && r.IntervalStart < end).ToListAsync(ct);
        SatisfactionRow[] Rows(Func<SatisfactionIntervalRollup, string> key) =>
            [.. answers.Where(a => key(a).Length > 0).GroupBy(key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => Row(g.Key, g))];
        SatisfactionRow Row(string key, IEnumerable<SatisfactionIntervalRollup> rows)
        {
            var totals = rows.Aggregate(SatisfactionTotals.Empty, (sum, r) => new SatisfactionTotals(sum.Surveyed + r.Surveyed, sum.Satisfied + r.Satisfied));
            return new(key, totals.Surveyed, totals.Satisfied, totals.Rate, totals.MeetsTarget(policy));
        }

        return TypedResults.Ok(new ChannelReport(from, to, now,
            new TimelinessReport(Timeliness.Definition, Timely("*", total),
                [.. byChannel.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => Timely(c.Key, c.Value))]),
            new SatisfactionReport(policy.Definition, version, policy.Target, Row("*", answers), Rows(r => r.Channel), Rows(r => r.Queue), Rows(r => r.Agent))));
    }

    private static DateTimeOffset Ceiling(DateTimeOffset at, TimeSpan interval)
    {
        var floor = RollupCalculator.Floor(at, interval);
        return floor == at ? floor : floor + interval;
    }

    private static TimelinessRow Timely(string channel, TimelinessTotals t) => new(channel, t.OnTime, t.Late, t.Pending, t.Rate);
}
