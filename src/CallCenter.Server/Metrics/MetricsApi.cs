using System.Globalization;
using System.Text;
using CallCenter.Core.Metrics;
using CallCenter.Server.Data;
using CallCenter.Server.Hosting;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Metrics;

/// <summary>Interval reports for supervisors, as JSON or CSV, each row with the definition that produced it.</summary>
public static class MetricsApi
{
    public static IServiceCollection AddMetricsWorker(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<RollupCalculator>();
        services.AddSingleton<MetricsWorker>();
        services.AddWorkerWhen<MetricsWorker, MetricsOptions>(o => o.RunWorkers);
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
        routes.MapGet("/api/metrics/lines", LinesAsync).WithName("LineIntervalReport").WithTags("Metrics")
            .WithSummary("Per-line 15-minute figures: calls in, calls kept in self-service, transferred to human service, answered by an agent, connect rate.")
            .RequireStaff(StaffAuthentication.SupervisorPolicy);
        routes.MapGet("/api/metrics/summary", SummaryAsync).WithName("PeriodReport").WithTags("Metrics")
            .WithSummary("Queue figures per local day, ISO week or month (from/to are local dates, both included), per queue and for all queues ('*'), as JSON or CSV.")
            .RequireStaff(StaffAuthentication.SupervisorPolicy);
        routes.MapGet("/api/metrics/weekly", WeeklyAsync).WithName("WeeklyReport").WithTags("Metrics")
            .WithSummary("The weekly statistics the bank asks for (week=2026-W48): answer speed, connect rate, talk time, agent workload, reasons for calling and what callers asked the menu for.")
            .RequireStaff(StaffAuthentication.SupervisorPolicy);
        routes.MapGet("/api/metrics/fcr/daily", FcrDailyAsync).WithName("FirstCallResolutionDaily").WithTags("Metrics")
            .WithSummary("Stored first-call resolution per local day (from/to local dates, both included); provisional until the repeat window after the day has closed.")
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
        DateTimeOffset from, DateTimeOffset to, int? windowDays, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var days = windowDays ?? 7;
        if (to <= from || to - from > TimeSpan.FromDays(93) || days is < 1 or > 30)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["period"] = ["'to' must be after 'from', at most 93 days later; windowDays 1–30."],
            });
        return TypedResults.Ok(await QueueReport.FirstCallResolutionAsync(db, from, to, TimeSpan.FromDays(days), clock.GetUtcNow(), ct));
    }

    private static async Task<Results<Ok<List<FcrDailyRollup>>, ValidationProblem>> FcrDailyAsync(
        DateOnly from, DateOnly to, CallCenterDbContext db, IOptions<MetricsOptions> options, CancellationToken ct)
    {
        if (DaysProblem(from, to) is { } problem) return problem;
        var window = options.Value.FcrWindowDays;
        return TypedResults.Ok(await db.FcrDailyRollups.AsNoTracking()
            .Where(r => r.Day >= from && r.Day <= to && r.WindowDays == window).OrderBy(r => r.Day).ToListAsync(ct));
    }

    private static async Task<Results<Ok<List<LineIntervalRollup>>, ValidationProblem>> LinesAsync(
        DateTimeOffset from, DateTimeOffset to, string? line, CallCenterDbContext db, CancellationToken ct)
    {
        if (PeriodProblem(from, to) is { } problem) return problem;
        return TypedResults.Ok(await db.LineIntervalRollups.AsNoTracking()
            .Where(r => r.IntervalStart >= from && r.IntervalStart < to && (line == null || r.Line == line))
            .OrderBy(r => r.IntervalStart).ThenBy(r => r.Line).ToListAsync(ct));
    }

    private static async Task<Results<Ok<List<PeriodFigures>>, ContentHttpResult, ValidationProblem>> SummaryAsync(
        DateOnly from, DateOnly to, string? by, string? queue, string? format, CallCenterDbContext db, IOptions<MetricsOptions> options, CancellationToken ct)
    {
        if (DaysProblem(from, to) is { } problem) return problem;
        if (!Enum.TryParse<ReportPeriod>(by ?? nameof(ReportPeriod.Day), ignoreCase: true, out var period) || !Enum.IsDefined(period))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["by"] = ["by is day, week or month."] });
        var figures = await QueueReport.PeriodsAsync(db, options.Value, from, to.AddDays(1), period, queue, ct);
        if (!string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase)) return TypedResults.Ok(figures);

        var csv = new StringBuilder("period,from,to,queue,offered,answered,answered_within_threshold,abandoned,short_abandoned,callbacks_requested,transfers,connect_rate,service_level_offered,service_level_answered,abandon_rate,asa_seconds,longest_wait_seconds,talk_seconds,handle_seconds,surveyed,satisfaction_rate,policy_version,definition\n");
        foreach (var f in figures)
        {
            csv.AppendLine(string.Join(',', f.Period, f.From.ToString("o", CultureInfo.InvariantCulture), f.To.ToString("o", CultureInfo.InvariantCulture),
                Quote(f.Queue), f.Offered, f.Answered, f.AnsweredWithinThreshold, f.Abandoned, f.ShortAbandoned, f.CallbacksRequested, f.Transfers,
                Number(f.ConnectRate), Number(f.ServiceLevelOffered), Number(f.ServiceLevelAnswered), Number(f.AbandonRate),
                Number(f.AverageSpeedOfAnswer), Number(f.LongestWaitSeconds), Number(f.AverageTalkTime), Number(f.AverageHandleTime),
                f.Surveyed, Number(f.SatisfactionRate), f.PolicyVersion, Quote(f.Definition)));
        }
        return TypedResults.Text(csv.ToString(), "text/csv; charset=utf-8");
    }

    /// <summary>One agent's week: calls, talk and after-call work, how many they marked resolved.</summary>
    public sealed record AgentWorkload(string Agent, int Answered, double TalkHours, double? AverageHandleSeconds, int WrappedUp, int MarkedResolved,
        double LoggedInHours, double? Occupancy);

    /// <summary>How often something came up in the week.</summary>
    public sealed record Tally(string Name, int Calls);

    /// <summary>The bank's weekly statistics (management method ch. 6) for one ISO week in the centre's time zone.</summary>
    public sealed record WeeklyReport(string Week, DateTimeOffset From, DateTimeOffset To, string TimeZone, PeriodFigures? Centre,
        IReadOnlyList<PeriodFigures> Queues, IReadOnlyList<AgentWorkload> Agents, IReadOnlyList<Tally> Reasons, IReadOnlyList<Tally> AskedFor);

    private static async Task<Results<Ok<WeeklyReport>, ValidationProblem>> WeeklyAsync(
        string week, CallCenterDbContext db, IOptions<MetricsOptions> options, CancellationToken ct)
    {
        if (IsoWeekMonday(week) is not { } monday)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["week"] = ["week is an ISO week such as 2026-W48."] });
        var o = options.Value;
        var zone = o.Zone;
        var figures = await QueueReport.PeriodsAsync(db, o, monday, monday.AddDays(7), ReportPeriod.Week, null, ct);
        var (from, to) = (RollupCalculator.LocalMidnight(monday, zone), RollupCalculator.LocalMidnight(monday.AddDays(7), zone));

        var agents = (await db.AgentIntervalRollups.AsNoTracking().Where(r => r.IntervalStart >= from && r.IntervalStart < to)
                .GroupBy(r => r.Agent)
                .Select(g => new { Agent = g.Key, Answered = g.Sum(r => r.Answered), Completed = g.Sum(r => r.Completed), Talk = g.Sum(r => r.TalkSeconds),
                    Wrapped = g.Sum(r => r.WrappedUp), WrapUp = g.Sum(r => r.WrapUpSeconds), Resolved = g.Sum(r => r.MarkedResolved),
                    Available = g.Sum(r => r.AvailableSeconds), Handling = g.Sum(r => r.HandlingSeconds), Break = g.Sum(r => r.BreakSeconds) })
                .ToListAsync(ct))
            .Select(a => new AgentWorkload(a.Agent, a.Answered, Math.Round(a.Talk / 3600, 3),
                a.Completed == 0 ? null : a.Talk / a.Completed + (a.Wrapped == 0 ? 0 : a.WrapUp / a.Wrapped), a.Wrapped, a.Resolved,
                Math.Round((a.Available + a.Handling + a.Break) / 3600, 3), new AgentSeconds(a.Available, a.Handling, a.Break).Occupancy))
            .OrderByDescending(a => a.Answered).ThenBy(a => a.Agent, StringComparer.Ordinal).ToList();
        var reasons = await db.CallFacts.AsNoTracking().Where(f => f.QueuedAt >= from && f.QueuedAt < to && f.WrappedUpAt != null)
            .GroupBy(f => f.ReasonFamily ?? "").Select(g => new { Name = g.Key, Calls = g.Count() }).OrderByDescending(t => t.Calls).Take(20)
            .Select(t => new Tally(t.Name, t.Calls)).ToListAsync(ct);
        var askedFor = await db.CallFacts.AsNoTracking().Where(f => f.StartedAt >= from && f.StartedAt < to && f.FirstChoice != null)
            .GroupBy(f => f.FirstChoice!).Select(g => new { Name = g.Key, Calls = g.Count() }).OrderByDescending(t => t.Calls).Take(20)
            .Select(t => new Tally(t.Name, t.Calls)).ToListAsync(ct);
        return TypedResults.Ok(new WeeklyReport(QueueReport.PeriodName(monday, ReportPeriod.Week), from, to, o.TimeZone,
            figures.SingleOrDefault(f => f.Queue == QueueReport.AllQueues), [.. figures.Where(f => f.Queue != QueueReport.AllQueues)],
            agents, reasons, askedFor));
    }

    /// <summary>The Monday of an ISO week written as 2026-W48, or null when there is no such week.</summary>
    private static DateOnly? IsoWeekMonday(string? week)
    {
        var match = System.Text.RegularExpressions.Regex.Match(week ?? "", @"^(\d{4})-W(\d{2})$");
        if (!match.Success) return null;
        var year = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var number = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        if (number < 1 || number > ISOWeek.GetWeeksInYear(year)) return null;
        return DateOnly.FromDateTime(ISOWeek.ToDateTime(year, number, DayOfWeek.Monday));
    }

    private static ValidationProblem? DaysProblem(DateOnly from, DateOnly to) =>
        to < from || to.DayNumber - from.DayNumber > 400
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = ["'to' must be on or after 'from' and at most 400 days later."] })
            : null;

    // Reports cover at most a quarter, so one request cannot scan years of the call log.
    private static ValidationProblem? PeriodProblem(DateTimeOffset from, DateTimeOffset to) =>
        to <= from || to - from > TimeSpan.FromDays(93)
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["to"] = ["'to' must be after 'from' and at most 93 days later."] })
            : null;

    private static string Number(double? value) => value?.ToString("0.####", CultureInfo.InvariantCulture) ?? "";

    private static string Quote(string text) => "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
