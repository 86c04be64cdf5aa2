using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using CallCenter.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Degraded;

/// <summary>
/// When a line is in surge (section <c>Surge</c>): callers about to queue hear the announcement and are offered a callback first.
/// A line enters surge by itself when a caller's estimated wait passes the threshold, or by a supervisor's switch.
/// </summary>
public sealed class SurgeOptions
{
    public const string SectionName = "Surge";

    /// <summary>A caller whose estimated wait is longer than this is offered a callback before holding; unset turns the automatic trigger off.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "02:00:00")]
    public TimeSpan? EstimatedWaitThreshold { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Seconds the caller has to press 1 before they are put on hold as usual.</summary>
    [Range(1, 20)]
    public int OfferSeconds { get; set; } = 5;

    /// <summary>The announcement per language (a language not listed falls back to zh-CN).</summary>
    public Dictionary<string, string> Announcement { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["zh-CN"] = "当前来电较多，等候时间较长。",
        ["en-US"] = "We are receiving an unusually high number of calls, and waiting times are long.",
    };

    /// <summary>The callback offer per language.</summary>
    public Dictionary<string, string> CallbackOffer { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["zh-CN"] = "如需我们回电，请按1；继续等候请按2或稍候。",
        ["en-US"] = "To be called back instead of waiting, press 1. To keep holding, press 2 or stay on the line.",
    };

    public string TextFor(Dictionary<string, string> texts, string language) =>
        texts.GetValueOrDefault(language) ?? texts.GetValueOrDefault("zh-CN") ?? texts.Values.First();
}

/// <summary>A supervisor's switch putting a line in surge mode by hand, with who switched it on and off; rows are the audit trail.</summary>
public sealed class SurgeSwitch
{
    public long Id { get; private set; }
    public required string FlowId { get; init; }
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

internal sealed class SurgeSwitchConfiguration : IEntityTypeConfiguration<SurgeSwitch>
{
    public void Configure(EntityTypeBuilder<SurgeSwitch> e)
    {
        e.ToTable("surge_switches");
        e.Property(s => s.FlowId).HasMaxLength(64);
        e.Property(s => s.SwitchedOnBy).HasMaxLength(32);
        e.Property(s => s.SwitchedOffBy).HasMaxLength(32);
        // At most one switch in force per line.
        e.HasIndex(s => s.FlowId).IsUnique().HasFilter("switched_off_at IS NULL");
    }
}

/// <summary>What the caller hears before holding in surge, and why they hear it.</summary>
public sealed record SurgeOffer(string Announcement, string CallbackOffer, int OfferSeconds, string Trigger, double? EstimatedWaitSeconds);

/// <summary>
/// Decides whether a caller about to hold is offered a callback first. The manual switch is read at most every two
/// seconds per line (each instance sees a change within that time); while PostgreSQL is unreachable the last value holds.
/// </summary>
public sealed class SurgeMode(IServiceScopeFactory scopes, IOptions<SurgeOptions> options, TimeProvider clock, ILogger<SurgeMode> logger)
{
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<string, (DateTimeOffset Read, bool On)> _switches = new(StringComparer.Ordinal);

    /// <summary>The offer for a caller of <paramref name="flowId"/> now waiting with this estimate, or null when the line is not in surge.</summary>
    public async Task<SurgeOffer?> OfferAsync(string flowId, TimeSpan? estimatedWait, string language, CancellationToken ct)
    {
        var settings = options.Value;
        var trigger = await IsSwitchedOnAsync(flowId, ct) ? "manual"
            : estimatedWait is { } wait && settings.EstimatedWaitThreshold is { } threshold && wait > threshold ? "estimated_wait"
            : null;
        return trigger is null ? null : new SurgeOffer(settings.TextFor(settings.Announcement, language), settings.TextFor(settings.CallbackOffer, language),
            settings.OfferSeconds, trigger, estimatedWait is { } w ? Math.Round(w.TotalSeconds, 1) : null);
    }

    public async Task<bool> IsSwitchedOnAsync(string flowId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        _switches.TryGetValue(flowId, out var cached);
        if (cached.Read != default && now - cached.Read < Freshness) return cached.On;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var on = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().SurgeSwitches
                .AnyAsync(s => s.FlowId == flowId && s.SwitchedOffAt == null, ct);
            _switches[flowId] = (now, on);
            return on;
        }
        catch (Exception ex) when (DependencyFailures.IsDatabaseUnavailable(ex))
        {
            logger.LogWarning(ex, "PostgreSQL unreachable: line {Flow} keeps its last known surge switch", flowId);
            return cached.On;
        }
    }

    /// <summary>Forgets a line's cached switch so this instance sees a change at once.</summary>
    public void Invalidate(string flowId) => _switches.TryRemove(flowId, out _);
}
