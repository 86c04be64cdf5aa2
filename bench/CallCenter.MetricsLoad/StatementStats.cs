using System.Globalization;
using Npgsql;

namespace CallCenter.MetricsLoad;

/// <summary>
/// Per-refresh counts from pg_stat_statements (when the cluster preloads it): deterministic figures on a shared
/// machine, where wall-clock time mostly measures the queue for a core. Inactive when the extension is missing.
/// </summary>
internal sealed class StatementStats
{
    private readonly NpgsqlDataSource? _dataSource;

    private StatementStats(NpgsqlDataSource? dataSource) => _dataSource = dataSource;

    public static async Task<StatementStats> OpenAsync(NpgsqlDataSource dataSource)
    {
        try
        {
            await dataSource.CreateCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").ExecuteNonQueryAsync();
            await dataSource.CreateCommand("SELECT count(*) FROM pg_stat_statements").ExecuteScalarAsync();
            return new StatementStats(dataSource);
        }
        catch (PostgresException)
        {
            Console.WriteLine("  (pg_stat_statements is not preloaded: no per-statement counts; see bench/README.md)");
            return new StatementStats(null);
        }
    }

    public async Task ResetAsync()
    {
        if (_dataSource is not null) await _dataSource.CreateCommand("SELECT pg_stat_statements_reset()").ExecuteNonQueryAsync();
    }

    /// <summary>Everything this database ran since the last reset, except the reset and this read.</summary>
    public async Task<Sample?> ReadAsync()
    {
        if (_dataSource is null) return null;
        await using var cmd = _dataSource.CreateCommand("""
            SELECT coalesce(sum(calls), 0)::bigint, coalesce(sum(rows), 0)::bigint, coalesce(sum(shared_blks_hit), 0)::bigint,
                coalesce(sum(shared_blks_read), 0)::bigint, coalesce(sum(shared_blks_dirtied), 0)::bigint,
                coalesce(sum(wal_fpi), 0)::bigint, coalesce(sum(wal_bytes), 0)::bigint,
                coalesce(sum(total_exec_time + total_plan_time), 0)::float8
            FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND query NOT LIKE '%pg_stat_statements%'
            """);
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Sample(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4),
            reader.GetInt64(5), reader.GetInt64(6), reader.GetDouble(7));
    }

    /// <summary>One refresh's statements as PostgreSQL counted them.</summary>
    public sealed record Sample(long Statements, long Rows, long BuffersHit, long BuffersRead, long BuffersDirtied, long FullPageImages,
        long WalBytes, double Milliseconds)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Statements} statements, {Rows:N0} rows, {BuffersHit + BuffersRead:N0} buffers ({BuffersRead:N0} read, {BuffersDirtied:N0} dirtied), WAL {WalBytes / 1024.0:N0} kB ({FullPageImages:N0} full pages), {Milliseconds:F1} ms executing");
    }
}
