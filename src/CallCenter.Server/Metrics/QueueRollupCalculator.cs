using CallCenter.Core.Metrics;
using CallCenter.Server.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CallCenter.Server.Metrics;

/// <summary>
/// Folds new ACD call events into 15-minute queue rollups. A call belongs to the interval (and queue) of
/// its first entry into the ACD, so an abandon or answer arriving minutes later corrects that interval.
/// Each run recomputes the touched intervals from the call log and moves the watermark in the same
/// transaction: a crash or restart repeats work but never double-counts.
/// </summary>
public sealed class QueueRollupCalculator(CallCenterDbContext db, NpgsqlDataSource dataSource, TimeProvider clock)
{
    public const string WatermarkName = "queue-rollups";

    /// <summary>Runs once; returns how many interval rows were written.</summary>
    public async Task<int> RunAsync(MetricsOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var watermark = await db.MetricsWatermarks.FromSql($"SELECT * FROM metrics_watermarks WHERE name = {WatermarkName} FOR UPDATE")
            .SingleOrDefaultAsync(ct);
        if (watermark is null)
        {
            watermark = new MetricsWatermark { Name = WatermarkName };
            db.MetricsWatermarks.Add(watermark);
        }

        var (touched, newWatermark) = await TouchedIntervalsAsync(watermark.LastGlobalSeq, options.Interval, ct);
        var policy = options.Policy;
        var now = clock.GetUtcNow();
        foreach (var (start, queue) in touched)
        {
            var calls = await CohortAsync(start, start + options.Interval, queue, ct);
            var figures = QueueFigures.From(calls.Select(c => c.Queued), policy);
            var answeredWaits = calls.Where(c => c.Queued.Outcome == QueueOutcome.Answered).Select(c => c.Queued.Wait.TotalSeconds).ToList();
            var talk = calls.Where(c => c.Talk is not null).Select(c => c.Talk!.Value.TotalSeconds).ToList();
            var row = await db.QueueIntervalRollups.FindAsync([start, queue, policy.Version], ct);
            if (row is null)
            {
                row = new QueueIntervalRollup { IntervalStart = start, Queue = queue, PolicyVersion = policy.Version, Definition = policy.Definition };
                db.QueueIntervalRollups.Add(row);
            }
            row.Offered = figures.Offered;
            row.Answered = figures.Answered;
            row.AnsweredWithinThreshold = figures.AnsweredWithinThreshold;
            row.Abandoned = figures.Abandoned;
            row.ShortAbandoned = figures.ShortAbandoned;
            row.ConnectRate = figures.ConnectRate;
            row.ServiceLevelOffered = figures.ServiceLevelOffered;
            row.ServiceLevelAnswered = figures.ServiceLevelAnswered;
            row.AverageSpeedOfAnswer = answeredWaits.Count == 0 ? null : answeredWaits.Average();
            row.AverageTalkTime = talk.Count == 0 ? null : talk.Average();
            row.Definition = policy.Definition;
            row.ComputedAt = now;
        }
        foreach (var (start, agent) in await TouchedAgentIntervalsAsync(watermark.LastGlobalSeq, options.Interval, ct))
        {
            var row = await db.AgentIntervalRollups.FindAsync([start, agent], ct);
            if (row is null)
            {
                row = new AgentIntervalRollup { IntervalStart = start, Agent = agent };
                db.AgentIntervalRollups.Add(row);
            }
            await FillAgentRowAsync(row, start + options.Interval, ct);
            row.ComputedAt = now;
        }
        watermark.LastGlobalSeq = newWatermark;
        watermark.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return touched.Count;
    }

    private sealed record CohortCall(QueuedCall Queued, TimeSpan? Talk);

    // Raw SQL: these are report queries over the append-only log, shaped for its indexes.
    private async Task<(List<(DateTimeOffset, string)> Touched, long Watermark)> TouchedIntervalsAsync(long after, TimeSpan interval, CancellationToken ct)
    {
        const string sql = """
            WITH fresh AS (
                SELECT DISTINCT call_sid FROM call_events WHERE global_seq > @after AND type LIKE 'acd.%'
            )
            SELECT DISTINCT ON (e.call_sid) e.occurred_at, e.payload::jsonb ->> 'queue'
            FROM call_events e JOIN fresh f ON f.call_sid = e.call_sid
            WHERE e.type = 'acd.queued'
            ORDER BY e.call_sid, e.global_seq;
            SELECT coalesce(max(global_seq), @after) FROM call_events;
            """;
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.AddWithValue("after", after);
        var touched = new HashSet<(DateTimeOffset, string)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            touched.Add((Floor(reader.GetFieldValue<DateTimeOffset>(0), interval), reader.IsDBNull(1) ? "" : reader.GetString(1)));
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        // Events committed after the first statement started are caught by the next run.
        var watermark = reader.GetInt64(0);
        return ([.. touched], watermark);
    }

    private async Task<List<CohortCall>> CohortAsync(DateTimeOffset from, DateTimeOffset to, string queue, CancellationToken ct)
    {
        const string sql = """
            WITH entries AS (
                SELECT DISTINCT ON (call_sid) call_sid, occurred_at AS entered_at, payload::jsonb ->> 'queue' AS queue
                FROM call_events WHERE type = 'acd.queued' AND occurred_at < @to
                ORDER BY call_sid, global_seq
            )
            SELECT en.call_sid,
                   (SELECT min(a.occurred_at) FROM call_events a WHERE a.call_sid = en.call_sid AND a.type = 'acd.answered'),
                   (SELECT min(b.occurred_at) FROM call_events b WHERE b.call_sid = en.call_sid AND b.type = 'acd.abandoned'),
                   (SELECT min(c.occurred_at) FROM call_events c WHERE c.call_sid = en.call_sid AND c.type = 'acd.completed'),
                   en.entered_at
            FROM entries en
            WHERE en.entered_at >= @from AND en.queue = @queue
            """;
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("to", to);
        cmd.Parameters.AddWithValue("queue", queue);
        var calls = new List<CohortCall>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var entered = reader.GetFieldValue<DateTimeOffset>(4);
            DateTimeOffset? answered = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
            DateTimeOffset? abandoned = reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2);
            DateTimeOffset? completed = reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3);
            var queued = answered is { } a ? new QueuedCall(a - entered, QueueOutcome.Answered)
                : abandoned is { } b ? new QueuedCall(b - entered, QueueOutcome.Abandoned)
                : new QueuedCall(TimeSpan.Zero, QueueOutcome.Waiting);
            calls.Add(new CohortCall(queued, answered is { } start && completed is { } end ? end - start : null));
        }
        return calls;
    }

    // An agent's interval is the one the call was answered in; later completions and wrap-ups correct it.
    private async Task<List<(DateTimeOffset, string)>> TouchedAgentIntervalsAsync(long after, TimeSpan interval, CancellationToken ct)
    {
        const string sql = """
            WITH fresh AS (
                SELECT DISTINCT call_sid FROM call_events
                WHERE global_seq > @after AND type IN ('acd.answered', 'acd.completed', 'agent.wrap_up')
            )
            SELECT a.occurred_at, a.payload::jsonb ->> 'agent'
            FROM call_events a JOIN fresh f ON f.call_sid = a.call_sid
            WHERE a.type = 'acd.answered'
            """;
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.AddWithValue("after", after);
        var touched = new HashSet<(DateTimeOffset, string)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            if (!reader.IsDBNull(1)) touched.Add((Floor(reader.GetFieldValue<DateTimeOffset>(0), interval), reader.GetString(1)));
        return [.. touched];
    }

    private async Task FillAgentRowAsync(AgentIntervalRollup row, DateTimeOffset to, CancellationToken ct)
    {
        const string sql = """
            WITH answered AS (
                SELECT call_sid, occurred_at FROM call_events
                WHERE type = 'acd.answered' AND occurred_at >= @from AND occurred_at < @to AND payload::jsonb ->> 'agent' = @agent
            )
            SELECT count(*),
                   count(c.completed_at),
                   coalesce(sum(extract(epoch FROM c.completed_at - a.occurred_at)), 0),
                   count(w.payload),
                   count(*) FILTER (WHERE (w.payload::jsonb ->> 'resolved')::boolean)
            FROM answered a
            LEFT JOIN LATERAL (SELECT min(occurred_at) AS completed_at FROM call_events
                               WHERE call_sid = a.call_sid AND type = 'acd.completed') c ON true
            LEFT JOIN LATERAL (SELECT payload FROM call_events
                               WHERE call_sid = a.call_sid AND type = 'agent.wrap_up' LIMIT 1) w ON true
            """;
        await using var cmd = dataSource.CreateCommand(sql);
        cmd.Parameters.AddWithValue("from", row.IntervalStart);
        cmd.Parameters.AddWithValue("to", to);
        cmd.Parameters.AddWithValue("agent", row.Agent);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        row.Answered = (int)reader.GetInt64(0);
        row.Completed = (int)reader.GetInt64(1);
        row.TalkSeconds = (double)reader.GetDecimal(2);
        row.WrappedUp = (int)reader.GetInt64(3);
        row.MarkedResolved = (int)reader.GetInt64(4);
    }

    private static DateTimeOffset Floor(DateTimeOffset at, TimeSpan interval) =>
        new(at.UtcTicks - at.UtcTicks % interval.Ticks, TimeSpan.Zero);
}
