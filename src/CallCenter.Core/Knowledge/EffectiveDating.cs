namespace CallCenter.Core.Knowledge;

/// <summary>Where a published article version stands at a given instant.</summary>
public enum VersionStatus
{
    /// <summary>Takes effect later than the banner window: agents do not see it yet.</summary>
    Scheduled,
    /// <summary>Takes effect within the banner window: agents see it beside the current text, under a banner.</summary>
    Upcoming,
    /// <summary>The text agents give customers now.</summary>
    Current,
    /// <summary>Replaced by a later version; kept for audit.</summary>
    Expired,
}

/// <summary>The dates of one published version of an article.</summary>
public sealed record DatedVersion(long Id, DateTimeOffset EffectiveFrom);

/// <summary>An article's versions at one instant: what to say now, what changes soon, and each version's status.</summary>
public sealed record ArticleTimeline(DatedVersion? Current, DatedVersion? Upcoming, IReadOnlyDictionary<long, VersionStatus> Statuses,
    IReadOnlyDictionary<long, DateTimeOffset?> EffectiveUntil);

/// <summary>
/// Effective dating of knowledge articles: a version is in force from its effective date until the next version's;
/// in the <see cref="BannerWindow"/> before a change agents see both texts.
/// </summary>
public static class EffectiveDating
{
    /// <summary>How long before a change agents see the new text beside the old one.</summary>
    public static readonly TimeSpan BannerWindow = TimeSpan.FromDays(7);

    public static ArticleTimeline At(IEnumerable<DatedVersion> versions, DateTimeOffset now) => At(versions, now, BannerWindow);

    public static ArticleTimeline At(IEnumerable<DatedVersion> versions, DateTimeOffset now, TimeSpan bannerWindow)
    {
        ArgumentNullException.ThrowIfNull(versions);
        var ordered = versions.OrderBy(v => v.EffectiveFrom).ThenBy(v => v.Id).ToList();
        var statuses = new Dictionary<long, VersionStatus>(ordered.Count);
        var until = new Dictionary<long, DateTimeOffset?>(ordered.Count);
        DatedVersion? current = null, upcoming = null;
        for (var i = 0; i < ordered.Count; i++)
        {
            var v = ordered[i];
            until[v.Id] = i + 1 < ordered.Count ? ordered[i + 1].EffectiveFrom : null;
            if (v.EffectiveFrom <= now)
            {
                if (current is not null) statuses[current.Id] = VersionStatus.Expired;
                current = v;
                statuses[v.Id] = VersionStatus.Current;
            }
            else if (upcoming is null && v.EffectiveFrom - now <= bannerWindow)
            {
                upcoming = v;
                statuses[v.Id] = VersionStatus.Upcoming;
            }
            else
            {
                statuses[v.Id] = VersionStatus.Scheduled;
            }
        }
        return new ArticleTimeline(current, upcoming, statuses, until);
    }
}
