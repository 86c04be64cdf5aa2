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
/// The announcement in force per line, read on every call's first step; cached for two seconds so a
/// burst of calls costs one query, and every instance sees a change within that time.
/// </summary>
public sealed class EmergencyAnnouncementCache(IServiceScopeFactory scopes, TimeProvider clock)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<string, (DateTimeOffset Read, IReadOnlyDictionary<string, string>? Texts)> _cache = new(StringComparer.Ordinal);

    public async ValueTask<IReadOnlyDictionary<string, string>?> ActiveAsync(string flowId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(flowId, out var entry) && now - entry.Read < Freshness) return entry.Texts;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var active = await db.EmergencyAnnouncements.AsNoTracking()
            .Where(a => a.FlowId == flowId && a.SwitchedOffAt == null)
            .Select(a => a.Texts).SingleOrDefaultAsync(ct);
        _cache[flowId] = (now, active);
        return active;
    }

    /// <summary>Forgets a line's cached state so this instance sees a change at once.</summary>
    public void Invalidate(string flowId) => _cache.TryRemove(flowId, out _);
}
