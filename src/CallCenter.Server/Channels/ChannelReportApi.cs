using CallCenter.Core.Channels;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Channels;

/// <summary>
/// `GET /api/metrics/channels`: non-phone timeliness per channel and the satisfaction rate per channel, queue and
/// agent (phone surveys from the call facts beside the text surveys), each with its definition.
/// </summary>
public static class ChannelReportApi
{
    public sealed record TimelinessRow(string Channel, int OnTime, int Late, int Pending, double? Rate);

    public sealed record SatisfactionRow(string Key, int Surveyed, int Satisfied, double? Rate, bool? MeetsTarget);

    public sealed record TimelinessReport(string Definition, TimelinessRow Total, IReadOnlyList<TimelinessRow> ByChannel);

    public sealed record SatisfactionReport(string Definition, double Target, SatisfactionRow Total, IReadOnlyList<SatisfactionRow> ByChannel,
        IReadOnlyList<SatisfactionRow> ByQueue, IReadOnlyList<SatisfactionRow> ByAgent);

    public sealed record ChannelReport(DateTimeOffset From, DateTimeOffset To, DateTimeOffset At, TimelinessReport Timeliness, SatisfactionReport Satisfaction);

    /// <summary>Longest period one report covers; it is computed from the rows, not from rollups.</summary>
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(92);

    public static IEndpointRouteBuilder MapChannelReportApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/metrics/channels", ReportAsync).WithName("ChannelReport").WithTags("Metrics")
            .WithSummary("Non-phone timeliness per channel, and satisfaction rate per channel, queue and agent, for requests received and surveys sent in [from, to).")
            .RequireStaff(StaffAuthentication.SupervisorPolicy);
        return routes;
    }

    private static async Task<Results<Ok<ChannelReport>, ValidationProblem>> ReportAsync(
        DateTimeOffset from, DateTimeOffset to, CallCenterDbContext db, IOptions<ChannelOptions> options, TimeProvider clock, CancellationToken ct)
    {
        if (to <= from || to - from > MaxPeriod)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = [$"to must be after from, at most {MaxPeriod.TotalDays} days later."] },
                title: "Invalid report period");
        var now = clock.GetUtcNow();

        // A bounded period's rows are few next to calls (one per request), so they are read and classified here.
        var requests = await db.ServiceRequests.AsNoTracking().Where(r => r.ReceivedAt >= from && r.ReceivedAt < to)
            .Select(r => new { r.Channel, r.DueAt, r.AnsweredAt }).ToListAsync(ct);
        var byChannel = requests.GroupBy(r => r.Channel.ToString().ToLowerInvariant())
            .ToDictionary(g => g.Key, g => g.Aggregate(TimelinessTotals.Empty, (t, r) => t.Add(Timeliness.Classify(r.DueAt, r.AnsweredAt, now))));
        var total = byChannel.Values.Aggregate(TimelinessTotals.Empty, (a, b) => a + b);

        var policy = options.Value.Surveys.Policy;
        // Text and call surveys alike (CallSurveys stores the IVR rating on the same rows, channel "voice").
        var answers = await db.Surveys.AsNoTracking().Where(s => s.SentAt >= from && s.SentAt < to && s.Rating != null)
            .Select(s => new { s.Channel, s.Queue, s.Agent, Rating = s.Rating!.Value }).ToListAsync(ct);
        SatisfactionRow[] Rows(Func<(string Channel, string? Queue, string? Agent), string?> key) =>
            [.. answers.Select(a => (Key: key((a.Channel, a.Queue, a.Agent)), a.Rating)).Where(a => a.Key is not null)
                .GroupBy(a => a.Key!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => Row(g.Key, g.Aggregate(SatisfactionTotals.Empty, (t, a) => t.Add(a.Rating, policy))))];
        SatisfactionRow Row(string key, SatisfactionTotals t) => new(key, t.Surveyed, t.Satisfied, t.Rate, t.MeetsTarget(policy));

        return TypedResults.Ok(new ChannelReport(from, to, now,
            new TimelinessReport(Timeliness.Definition, Timely("*", total),
                [.. byChannel.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => Timely(c.Key, c.Value))]),
            new SatisfactionReport(policy.Definition, policy.Target,
                Row("*", answers.Aggregate(SatisfactionTotals.Empty, (t, a) => t.Add(a.Rating, policy))),
                Rows(k => k.Channel), Rows(k => k.Queue), Rows(k => k.Agent))));
    }

    private static TimelinessRow Timely(string channel, TimelinessTotals t) => new(channel, t.OnTime, t.Late, t.Pending, t.Rate);
}
