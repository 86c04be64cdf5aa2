using System.Globalization;
using CallCenter.Server.Metrics;
using Npgsql;

namespace CallCenter.MetricsLoad;

/// <summary>
/// Keeps the bench database the size it was loaded at. Every refresh run appends its calls after the loaded range, and a
/// database grown past <c>shared_buffers</c> measures the cache rather than the code (the seventh pass: 11.4 M calls,
/// 4.7 GB of <c>call_facts</c> against 4 GB), so runs refuse beyond a margin and <c>--reset</c> takes the appended calls out.
/// </summary>
internal sealed class BenchDatabase(NpgsqlDataSource dataSource, DateTimeOffset rangeTo, int loadedCalls)
{
    /// <summary>Appended calls a run may start with: 3%, ~26 runs of 10 refreshes at 10 M (a quiet slot's alternated runs).</summary>
    public int Margin => loadedCalls * 3 / 100;

    private const string RollupTables = "queue_interval_rollups, agent_interval_rollups, line_interval_rollups, satisfaction_interval_rollups, channel_timeliness_rollups";

    public async Task<long> AppendedCallsAsync()
    {
        await using var cmd = dataSource.CreateCommand("SELECT count(*) FROM call_facts WHERE started_at >= @to");
        cmd.Parameters.AddWithValue("to", rangeTo);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task<string> DescribeAsync()
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT (SELECT count(*) FROM call_facts),
                   pg_size_pretty(pg_relation_size('call_facts')), pg_size_pretty(pg_indexes_size('call_facts')),
                   pg_size_pretty(pg_total_relation_size('call_facts')), pg_size_pretty(pg_total_relation_size('call_events')),
                   current_setting('shared_buffers')
            """);
        var appended = await AppendedCallsAsync();
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return string.Create(CultureInfo.InvariantCulture,
            $"{reader.GetInt64(0):N0} calls ({appended:N0} appended after the loaded range); call_facts heap {reader.GetString(1)}, indexes {reader.GetString(2)}, in all {reader.GetString(3)}; call_events {reader.GetString(4)}; shared_buffers {reader.GetString(5)}");
    }

    /// <summary>
    /// Takes out every call appended after the loaded range: its facts, the call log and call rows (the bulk load writes
    /// none), the rollup rows after the range, and the repeat-contact links appended calls gave loaded ones; then the
    /// loaded range's last FCR window plus a day is rebuilt as the backfill built it, with "now" at the end of the range:
    /// those days' FCR rows were provisional then and the refreshes' later clock finalised them. Earlier days' rows were
    /// final at the backfill and counted only loaded calls, whose links are restored.
    /// </summary>
    public async Task ResetAsync(Func<DateTimeOffset, DateTimeOffset, DateTimeOffset, Task> rebuild)
    {
        await using (var connection = await dataSource.OpenConnectionAsync())
        await using (var tx = await connection.BeginTransactionAsync())
        {
            async Task Run(string sql)
            {
                await using var cmd = new NpgsqlCommand(sql, connection, tx);
                cmd.Parameters.AddWithValue("to", rangeTo);
                cmd.Parameters.AddWithValue("toDay", RollupCalculator.LocalDay(rangeTo, new MetricsOptions().Zone));
                await cmd.ExecuteNonQueryAsync();
            }
            await using (var check = new NpgsqlCommand("SELECT count(*) FROM call_events WHERE occurred_at < @to", connection, tx))
            {
                check.Parameters.AddWithValue("to", rangeTo);
                if ((long)(await check.ExecuteScalarAsync())! > 0)
                    throw new InvalidOperationException("the call log holds events inside the loaded range: not a bench database");
            }
            await Run("CREATE TEMP TABLE reset_customers ON COMMIT DROP AS SELECT DISTINCT customer_key FROM call_facts WHERE started_at >= @to AND customer_key IS NOT NULL");
            await Run("DELETE FROM call_facts WHERE started_at >= @to");
            // The call log refuses TRUNCATE through a trigger; replica mode skips it for this transaction (superuser).
            await Run("SET LOCAL session_replication_role = replica; TRUNCATE call_events, calls");
            // The same links as CallGenerator.LinkRepeatsSql, for the appended calls' customers only.
            await Run("""
                UPDATE call_facts f SET next_contact_at = n.next
                FROM (SELECT call_sid, queued_at, wrapped_up_at,
                             lead(queued_at) OVER (PARTITION BY customer_key, coalesce(reason_family, '') ORDER BY queued_at) AS lead
                      FROM call_facts
                      WHERE customer_key IN (SELECT customer_key FROM reset_customers) AND wrapped_up_at IS NOT NULL) l
                CROSS JOIN LATERAL (SELECT CASE WHEN l.lead <= l.queued_at + interval '30 days' THEN l.lead END AS next) n
                WHERE f.call_sid = l.call_sid AND f.next_contact_at IS DISTINCT FROM n.next
                """);
            foreach (var table in RollupTables.Split(", ")) await Run($"DELETE FROM {table} WHERE interval_start >= @to");
            await Run("DELETE FROM fcr_daily_rollups WHERE day >= @toDay");
            await Run("UPDATE metrics_watermarks SET last_global_seq = 0 WHERE name = 'call-facts'");
            await tx.CommitAsync();
        }
        var from = rangeTo - TimeSpan.FromDays(new MetricsOptions().FcrWindowDays + 1);
        await ClearForRebuildAsync(from);
        await rebuild(from, rangeTo, rangeTo);
        // Not FULL: the next runs' calls reuse the space, and a rewrite of 10 M rows takes minutes.
        await dataSource.CreateCommand($"VACUUM ANALYZE call_facts, {RollupTables}, fcr_daily_rollups").ExecuteNonQueryAsync();
    }

    /// <summary>
    /// The exactness check: every rollup row from <paramref name="from"/> on (the loaded range's last days and whatever
    /// refreshes appended) is recomputed from the stored facts by <see cref="RollupCalculator.RebuildAsync"/> and compared
    /// with what the backfill and the incremental refreshes had left. Returns the rows that differ, per table.
    /// </summary>
    public async Task<List<(string Table, long Missing, long Extra)>> CheckAsync(DateTimeOffset from, Func<DateTimeOffset, DateTimeOffset, DateTimeOffset, Task> rebuild)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        // "Now" as the last refresh saw it: the end of the last appended interval, or the end of the range.
        await using var last = dataSource.CreateCommand("SELECT max(occurred_at) FROM call_events");
        var now = await last.ExecuteScalarAsync() is DateTime at
            ? new DateTimeOffset(at.Ticks - at.Ticks % TimeSpan.FromMinutes(15).Ticks, TimeSpan.Zero).AddMinutes(15)
            : rangeTo;
        await using var end = dataSource.CreateCommand("SELECT max(started_at) FROM call_facts");
        var lastStart = new DateTimeOffset((DateTime)(await end.ExecuteScalarAsync())!, TimeSpan.Zero).AddTicks(1);
        var to = lastStart > now ? lastStart : now;
        var tables = new[] { "queue_interval_rollups", "agent_interval_rollups", "line_interval_rollups", "fcr_daily_rollups" };
        var columns = new Dictionary<string, string>();
        foreach (var table in tables)
        {
            await using var cmd = new NpgsqlCommand(
                "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = @t AND column_name <> 'computed_at'", connection);
            cmd.Parameters.AddWithValue("t", table);
            columns[table] = (string)(await cmd.ExecuteScalarAsync())!;
            await Execute(connection, $"CREATE TEMP TABLE before_{table} AS SELECT {columns[table]} FROM {table} WHERE {InRange(table)}", from);
        }
        await ClearForRebuildAsync(from);
        await rebuild(from, to, now);
        var result = new List<(string, long, long)>();
        foreach (var table in tables)
        {
            var current = $"SELECT {columns[table]} FROM {table} WHERE {InRange(table)}";
            result.Add((table,
                await Count(connection, $"SELECT count(*) FROM (SELECT * FROM before_{table} EXCEPT ALL {current}) d", from),
                await Count(connection, $"SELECT count(*) FROM ({current} EXCEPT ALL SELECT * FROM before_{table}) d", from)));
        }
        return result;
    }

    // A day's FCR row belongs to the range when its local day starts in it; the rebuild starts at a local midnight.
    private static string InRange(string table) => table == "fcr_daily_rollups" ? "day >= @fromDay" : "interval_start >= @from";

    /// <summary>
    /// Leaves nothing from <paramref name="from"/> on that a rebuild would not write again, so a row only the refreshes
    /// wrote shows up as a difference. Agents keep their time: it comes from their state changes, which a rebuild does not
    /// recut (<c>AgentTimeRollupTests</c> checks it), so only their calls' sums are cleared.
    /// </summary>
    private async Task ClearForRebuildAsync(DateTimeOffset from)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        foreach (var table in RollupTables.Split(", ").Where(t => t != "agent_interval_rollups"))
            await Execute(connection, $"DELETE FROM {table} WHERE interval_start >= @from", from);
        await Execute(connection, """
            UPDATE agent_interval_rollups SET answered = 0, completed = 0, talk_seconds = 0, wrapped_up = 0, wrap_up_seconds = 0, marked_resolved = 0
            WHERE interval_start >= @from
            """, from);
        await Execute(connection, "DELETE FROM fcr_daily_rollups WHERE day >= @fromDay", from);
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, DateTimeOffset from)
    {
        await using var cmd = Command(connection, sql, from);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<long> Count(NpgsqlConnection connection, string sql, DateTimeOffset from)
    {
        await using var cmd = Command(connection, sql, from);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, DateTimeOffset from)
    {
        var cmd = new NpgsqlCommand(sql, connection);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("fromDay", RollupCalculator.LocalDay(from, new MetricsOptions().Zone));
        return cmd;
    }
}
