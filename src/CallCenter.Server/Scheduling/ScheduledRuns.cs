using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Npgsql;

namespace CallCenter.Server.Scheduling;

/// <summary>The row that says when a periodic job last finished and which instance holds it now.</summary>
public sealed class ScheduledRunRecord
{
    public required string Name { get; init; }
    public string? Holder { get; set; }
    /// <summary>Raised on every claim: a holder whose lease ran out cannot finish over its successor's run.</summary>
    public long FencingToken { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public DateTimeOffset? LastFinishedAt { get; set; }
}

/// <summary>A claimed run of a periodic job; <see cref="ScheduledRuns.FinishAsync"/> records it as done.</summary>
public sealed record ScheduledRun(string Name, long FencingToken);

/// <summary>
/// Lets every instance run the same periodic workers while each job runs once per period across all of them:
/// an instance claims the job's row only when the period has passed since the last finished run and no live lease
/// is held. A lease that runs out (the holder died or hung) is taken over with a higher fencing token.
/// </summary>
public sealed class ScheduledRuns(NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <summary>This process, as named in the lease rows.</summary>
    public string Holder { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>Claims <paramref name="name"/> when it is due; null when another instance holds it or ran it within the period.</summary>
    public async Task<ScheduledRun?> TryStartAsync(string name, TimeSpan period, TimeSpan leaseFor, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO scheduled_runs (name, fencing_token) VALUES (@name, 0) ON CONFLICT (name) DO NOTHING;
            UPDATE scheduled_runs SET holder = @holder, fencing_token = fencing_token + 1, lease_until = @until
            WHERE name = @name AND (lease_until IS NULL OR lease_until <= @now)
              AND (last_finished_at IS NULL OR last_finished_at <= @due)
            RETURNING fencing_token;
            """);
        cmd.Parameters.AddWithValue("name", name);
        cmd.Parameters.AddWithValue("holder", Holder);
        cmd.Parameters.AddWithValue("now", now);
        cmd.Parameters.AddWithValue("until", now + leaseFor);
        // A little slack: timers on different instances tick a few milliseconds apart, and a run that finished just
        // under one period ago must not make the next tick skip a whole period.
        cmd.Parameters.AddWithValue("due", now - period + DueSlack(period));
        return await cmd.ExecuteScalarAsync(ct) is long token ? new ScheduledRun(name, token) : null;
    }

    /// <summary>Records the run as finished and frees the lease; false when the lease had passed to another instance meanwhile.</summary>
    public async Task<bool> FinishAsync(ScheduledRun run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        await using var cmd = dataSource.CreateCommand("""
            UPDATE scheduled_runs SET last_finished_at = @now, lease_until = NULL, holder = NULL
            WHERE name = @name AND fencing_token = @token
            """);
        cmd.Parameters.AddWithValue("name", run.Name);
        cmd.Parameters.AddWithValue("token", run.FencingToken);
        cmd.Parameters.AddWithValue("now", clock.GetUtcNow());
        return await cmd.ExecuteNonQueryAsync(ct) == 1;
    }

    /// <summary>Frees the lease of a failed run so the next tick on any instance retries it.</summary>
    public async Task AbandonAsync(ScheduledRun run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        await using var cmd = dataSource.CreateCommand(
            "UPDATE scheduled_runs SET lease_until = NULL, holder = NULL WHERE name = @name AND fencing_token = @token");
        cmd.Parameters.AddWithValue("name", run.Name);
        cmd.Parameters.AddWithValue("token", run.FencingToken);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Runs <paramref name="work"/> if this instance wins the claim; the lease lasts one period, so a holder that died
    /// delays the job by at most that. Returns whether it ran here. A failed run frees the lease and rethrows.
    /// </summary>
    public async Task<bool> RunIfDueAsync(string name, TimeSpan period, Func<CancellationToken, Task> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (await TryStartAsync(name, period, period, ct) is not { } run) return false;
        try
        {
            await work(ct);
        }
        catch
        {
            await AbandonAsync(run, CancellationToken.None);
            throw;
        }
        await FinishAsync(run, ct);
        return true;
    }

    /// <summary>How often an instance asks whether a job is due: often enough that a restart or failover costs minutes, not a period.</summary>
    public static TimeSpan PollEvery(TimeSpan period) => period < TimeSpan.FromMinutes(5) ? period : TimeSpan.FromMinutes(5);

    private static TimeSpan DueSlack(TimeSpan period) => TimeSpan.FromTicks(Math.Min(period.Ticks / 20, TimeSpan.FromSeconds(30).Ticks));
}

internal sealed class ScheduledRunConfiguration : IEntityTypeConfiguration<ScheduledRunRecord>
{
    public void Configure(EntityTypeBuilder<ScheduledRunRecord> e)
    {
        e.ToTable("scheduled_runs");
        e.HasKey(r => r.Name);
        e.Property(r => r.Name).HasMaxLength(100);
        e.Property(r => r.Holder).HasMaxLength(200);
    }
}
