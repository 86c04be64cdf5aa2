using CallCenter.Core.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace CallCenter.Server.Channels;

/// <summary>
/// Non-phone timeliness of the requests that arrived on one channel in one interval. Answered requests are settled
/// counts; the due times of those still unanswered are kept, so a reader classifies them against its own clock
/// (late once past due, pending before) without the row having to be rewritten when a due time passes.
/// </summary>
public sealed class ChannelTimelinessRollup
{
    public DateTimeOffset IntervalStart { get; init; }

    /// <summary>"sms", "email" or "web".</summary>
    public required string Channel { get; init; }

    public int AnsweredOnTime { get; set; }

    public int AnsweredLate { get; set; }

    /// <summary>Due times of the requests not answered yet.</summary>
    public DateTimeOffset[] OpenDueAt { get; set; } = [];

    public required string Definition { get; set; }

    public DateTimeOffset ComputedAt { get; set; }

    /// <summary>On time, late and pending at <paramref name="now"/>.</summary>
    public TimelinessTotals Totals(DateTimeOffset now) =>
        OpenDueAt.Aggregate(new TimelinessTotals(AnsweredOnTime, AnsweredLate, 0), (t, due) => t.Add(Timeliness.Classify(due, null, now)));
}

/// <summary>
/// Answered satisfaction surveys sent in one interval for one channel, queue and agent ("" where a survey has none),
/// under one satisfaction policy version: rows of an older version stay as published.
/// </summary>
public sealed class SatisfactionIntervalRollup
{
    public DateTimeOffset IntervalStart { get; init; }

    /// <summary>"voice", "sms", "email" or "web".</summary>
    public required string Channel { get; init; }

    public required string Queue { get; init; }

    public required string Agent { get; init; }

    public int PolicyVersion { get; init; }

    public int Surveyed { get; set; }

    public int Satisfied { get; set; }

    public required string Definition { get; set; }

    public DateTimeOffset ComputedAt { get; set; }
}

/// <summary>
/// Keeps <see cref="ChannelTimelinessRollup"/> and <see cref="SatisfactionIntervalRollup"/> current for the metrics
/// worker: its batch passes the requests and calls it saw events of, and one statement recomputes every interval they
/// fall in (a request by its arrival, a survey by when it was sent, so a late answer corrects the interval it was sent in).
/// </summary>
public sealed class ChannelRollups(IOptions<ChannelOptions> options)
{
    // date_bin's origin is the .NET epoch, so the intervals are the same ones RollupCalculator.Floor cuts.
    private const string Sql = """
        WITH request_keys AS (
            SELECT DISTINCT channel, date_bin(@interval, received_at, timestamptz '0001-01-01 00:00:00+00') AS s FROM service_requests
            WHERE reference = ANY(@references) OR (received_at >= @from AND received_at < @to)
        ), timeliness AS (
            INSERT INTO channel_timeliness_rollups (interval_start, channel, answered_on_time, answered_late, open_due_at, definition, computed_at)
            SELECT k.s, lower(k.channel), count(*) FILTER (WHERE r.answered_at <= r.due_at), count(*) FILTER (WHERE r.answered_at > r.due_at),
                coalesce(array_agg(r.due_at ORDER BY r.due_at) FILTER (WHERE r.answered_at IS NULL), '{}'), @timelinessDefinition, @now
            FROM request_keys k JOIN service_requests r ON r.channel = k.channel AND r.received_at >= k.s AND r.received_at < k.s + @interval
            GROUP BY k.s, k.channel
            ON CONFLICT (interval_start, channel) DO UPDATE SET answered_on_time = excluded.answered_on_time,
                answered_late = excluded.answered_late, open_due_at = excluded.open_due_at, definition = excluded.definition,
                computed_at = excluded.computed_at
        ), survey_keys AS (
            SELECT DISTINCT date_bin(@interval, sent_at, timestamptz '0001-01-01 00:00:00+00') AS s FROM surveys
            WHERE subject = ANY(@subjects) OR (sent_at >= @from AND sent_at < @to)
        )
        INSERT INTO satisfaction_interval_rollups (interval_start, channel, queue, agent, policy_version, surveyed, satisfied, definition, computed_at)
        SELECT k.s, v.channel, coalesce(v.queue, ''), coalesce(v.agent, ''), @version, count(*), count(*) FILTER (WHERE v.rating >= @satisfiedFrom),
            @satisfactionDefinition, @now
        FROM survey_keys k JOIN surveys v ON v.sent_at >= k.s AND v.sent_at < k.s + @interval AND v.rating IS NOT NULL
        GROUP BY k.s, v.channel, coalesce(v.queue, ''), coalesce(v.agent, '')
        ON CONFLICT (interval_start, channel, queue, agent, policy_version) DO UPDATE SET surveyed = excluded.surveyed,
            satisfied = excluded.satisfied, definition = excluded.definition, computed_at = excluded.computed_at
        """;

    /// <summary>
    /// Recomputes, in the caller's transaction, the intervals of the given requests (references) and surveyed subjects
    /// (request references and CallSids), and with <paramref name="range"/> every interval in it (a rebuild). Rows only
    /// grow (a request or an answered survey never leaves its interval), so no row has to be removed.
    /// </summary>
    public async Task RefreshAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<string> references,
        IReadOnlyCollection<string> subjects, (DateTimeOffset From, DateTimeOffset To)? range, TimeSpan interval, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(subjects);
        if (references.Count == 0 && subjects.Count == 0 && range is null) return;
        var surveys = options.Value.Surveys;
        await using var cmd = new NpgsqlCommand(Sql, connection, transaction);
        var p = cmd.Parameters;
        p.AddWithValue("interval", interval);
        p.AddWithValue("references", references.ToArray());
        p.AddWithValue("subjects", subjects.ToArray());
        p.Add(new NpgsqlParameter("from", NpgsqlDbType.TimestampTz) { Value = range is { } r1 ? r1.From : DBNull.Value });
        p.Add(new NpgsqlParameter("to", NpgsqlDbType.TimestampTz) { Value = range is { } r2 ? r2.To : DBNull.Value });
        p.AddWithValue("timelinessDefinition", Timeliness.Definition);
        p.AddWithValue("version", surveys.PolicyVersion);
        p.AddWithValue("satisfiedFrom", surveys.SatisfiedFrom);
        p.AddWithValue("satisfactionDefinition", surveys.Policy.Definition);
        p.AddWithValue("now", now);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}

internal sealed class ChannelTimelinessRollupConfiguration : IEntityTypeConfiguration<ChannelTimelinessRollup>
{
    public void Configure(EntityTypeBuilder<ChannelTimelinessRollup> e)
    {
        e.ToTable("channel_timeliness_rollups");
        e.HasKey(r => new { r.IntervalStart, r.Channel });
        e.Property(r => r.Channel).HasMaxLength(16);
    }
}

internal sealed class SatisfactionIntervalRollupConfiguration : IEntityTypeConfiguration<SatisfactionIntervalRollup>
{
    public void Configure(EntityTypeBuilder<SatisfactionIntervalRollup> e)
    {
        e.ToTable("satisfaction_interval_rollups");
        e.HasKey(r => new { r.IntervalStart, r.Channel, r.Queue, r.Agent, r.PolicyVersion });
        e.Property(r => r.Channel).HasMaxLength(16);
        e.Property(r => r.Queue).HasMaxLength(64);
        e.Property(r => r.Agent).HasMaxLength(32);
    }
}
