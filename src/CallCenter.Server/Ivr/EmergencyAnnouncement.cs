using System.Collections.Concurrent;
using CallCenter.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Ivr;

/// <summary>
/// A supervisor's announcement played before a line's main menu (an outage, a surge, a news event),
/// with who switched it on and off and when. Rows are kept as the audit trail.
/// </summary>
public sealed class EmergencyAnnouncement
{
    public long Id { get; private set; }
    public required string FlowId { get; init; }
    /// <summary>Text per language; every language the line offers.</summary>
    public required Dictionary<string, string> Texts { get; init; }
    public required string SwitchedOnBy { get; init; }
    public DateTimeOffset SwitchedOnAt { get; init; }
    public string? SwitchedOffBy { get; private set; }
    public DateTimeOffset? SwitchedOffAt { get; private set; }

    public void SwitchOff(string by, DateTimeOffset at)
    {
        SwitchedOffBy = by;
        SwitchedOffAt = at;
    }
}

/// <summary>
/// The announcement in force per line, read on every call's first step. At most one query per line
/// runs at a time: while it is refreshed every two seconds, other calls keep the last value, so a burst
/// of calls never becomes a burst of queries, and every instance sees a change within that time.
/// </summary>
public sealed class EmergencyAnnouncementCache(IServiceScopeFactory scopes, TimeProvider clock)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);

    private sealed record Entry(DateTimeOffset Read, IReadOnlyDictionary<string, string>? Texts, Task<Entry>? Refreshing);

    private readonly ConcurrentDictionary<string, Entry> _cache = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    // Bumped by Invalidate, so a read that started before a change cannot store the old value afterwards.
    private long _generation;

    public async ValueTask<IReadOnlyDictionary<string, string>?> ActiveAsync(string flowId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        Task<Entry> first;
        lock (_gate)
        {
            _cache.TryGetValue(flowId, out var current);
            if (current is not null && now - current.Read < Freshness) return current.Texts;
            // While a line has a value, callers keep it during a refresh; before its first value, they all wait for it
            // (a caller must not miss an announcement switched on a moment ago because someone else's read is running).
            var running = current?.Refreshing;
            if (running is null)
            {
                running = ReadAsync(flowId, now, _generation);
                _cache[flowId] = current is null ? new Entry(DateTimeOffset.MinValue, null, running) : current with { Refreshing = running };
            }
            if (current is not null && current.Read != DateTimeOffset.MinValue) return current.Texts;
            first = running;
        }
        return (await first.WaitAsync(ct)).Texts;
    }

    private async Task<Entry> ReadAsync(string flowId, DateTimeOffset now, long generation)
    {
        Entry fresh;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
            var active = await db.EmergencyAnnouncements.AsNoTracking()
                .Where(a => a.FlowId == flowId && a.SwitchedOffAt == null)
                .Select(a => a.Texts).SingleOrDefaultAsync();
            fresh = new Entry(now, active, null);
        }
        catch
        {
            // Keep what we had (or nothing) and let the next call try again.
            lock (_gate)
            {
                if (_cache.TryGetValue(flowId, out var old)) _cache[flowId] = old with { Refreshing = null };
            }
            throw;
        }
        lock (_gate)
        {
            if (generation == _generation) _cache[flowId] = fresh;
        }
        return fresh;
    }

    /// <summary>Forgets a line's cached state so this instance sees a change at once.</summary>
    public void Invalidate(string flowId)
    {
        lock (_gate)
        {
            _generation++;
            _cache.TryRemove(flowId, out _);
        }
    }
}
