using NpgsqlTypes;

namespace CallCenter.Server.Knowledge;

/// <summary>A knowledge-base article: what agents tell customers about one subject, owned by a department.</summary>
public sealed class KnowledgeArticle
{
    public long Id { get; private set; }
    /// <summary>The department that owns the content and receives agents' flags.</summary>
    public required string Owner { get; set; }
    public required string CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public List<ArticleVersion> Versions { get; init; } = [];
}

/// <summary>
/// One published text of an article, in force from <see cref="EffectiveFrom"/> until the next version's date
/// (<see cref="EffectiveUntil"/>, kept in step on every publication so search reads it without a window function).
/// Versions are never deleted: expired ones are the audit trail of what agents were told.
/// </summary>
public sealed class ArticleVersion
{
    public long Id { get; private set; }
    public long ArticleId { get; init; }
    public int Number { get; init; }
    public required string Title { get; init; }
    /// <summary>Markdown.</summary>
    public required string Body { get; init; }
    /// <summary>BCP 47 tag as the IVR flows use it (zh-CN, en-US).</summary>
    public required string Language { get; init; }
    /// <summary>Product labels, lower-case; an exact match with a query word ranks first.</summary>
    public required string[] Products { get; init; }
    public required string[] Tags { get; init; }
    public string? ReasonFamily { get; init; }
    public DateTimeOffset EffectiveFrom { get; init; }
    public DateTimeOffset? EffectiveUntil { get; set; }
    /// <summary>The approved change notice this version came from.</summary>
    public long NoticeId { get; init; }
    public required string PublishedBy { get; init; }
    public DateTimeOffset PublishedAt { get; init; }
    /// <summary>Computed by PostgreSQL (kb_document): English stems plus CJK bigrams, weighted title > tags > body.</summary>
    public NpgsqlTsVector SearchVector { get; private set; } = null!;
    /// <summary>The same over title and tags only: small, so a search finds the title matches of a common word cheaply.</summary>
    public NpgsqlTsVector HeadVector { get; private set; } = null!;
}

/// <summary>What a department tells the centre about.</summary>
public enum ChangeKind
{
    NewProduct,
    FeeChange,
    BranchOpening,
    BranchMove,
    OpeningHours,
    Correction,
    Other,
}

/// <summary>Submitted → Approved → Published, or Submitted → Rejected.</summary>
public enum NoticeStatus
{
    Submitted,
    Approved,
    Rejected,
    Published,
}

/// <summary>
/// A department's notice of a change (a new product, a fee, a branch, opening hours) with the article text it needs.
/// The centre reviews it; only an approved notice can be published, and every step records who and when.
/// </summary>
public sealed class ChangeNotice
{
    public long Id { get; private set; }
    public required string Department { get; init; }
    public ChangeKind Kind { get; init; }
    /// <summary>The article to change; null for a new article until it is published.</summary>
    public long? ArticleId { get; private set; }
    public required string Title { get; init; }
    public required string Body { get; init; }
    public required string Language { get; init; }
    public required string[] Products { get; init; }
    public required string[] Tags { get; init; }
    public string? ReasonFamily { get; init; }
    /// <summary>When the text takes effect; null: on publication.</summary>
    public DateTimeOffset? EffectiveFrom { get; init; }
    public NoticeStatus Status { get; private set; }
    public required string SubmittedBy { get; init; }
    public DateTimeOffset SubmittedAt { get; init; }

    /// <summary>Names the article the notice changes (null: a new one); set once, when the notice is made.</summary>
    public ChangeNotice About(long? articleId)
    {
        ArticleId = articleId;
        return this;
    }
    public string? ReviewedBy { get; private set; }
    public DateTimeOffset? ReviewedAt { get; private set; }
    public string? ReviewNote { get; private set; }
    public string? PublishedBy { get; private set; }
    public DateTimeOffset? PublishedAt { get; private set; }
    public long? PublishedVersionId { get; private set; }

    public void Review(bool approve, string by, DateTimeOffset at, string? note)
    {
        if (Status != NoticeStatus.Submitted) throw new InvalidOperationException($"Notice {Id} is {Status}, not Submitted.");
        Status = approve ? NoticeStatus.Approved : NoticeStatus.Rejected;
        ReviewedBy = by;
        ReviewedAt = at;
        ReviewNote = note;
    }

    public void MarkPublished(string by, DateTimeOffset at, long articleId, long versionId)
    {
        ArticleId = articleId;
        if (Status != NoticeStatus.Approved) throw new InvalidOperationException($"Notice {Id} is {Status}, not Approved.");
        Status = NoticeStatus.Published;
        PublishedBy = by;
        PublishedAt = at;
        PublishedVersionId = versionId;
    }
}

/// <summary>Wrong: the article says something untrue. Missing: the call needed an article there is none of.</summary>
public enum FlagKind
{
    Wrong,
    Missing,
}

/// <summary>An agent's report, from a call, that an article is wrong or missing; goes to the article's owner.</summary>
public sealed class KnowledgeFlag
{
    public long Id { get; private set; }
    public long? ArticleId { get; init; }
    public long? VersionId { get; init; }
    public FlagKind Kind { get; init; }
    public required string Comment { get; init; }
    public string? CallSid { get; init; }
    /// <summary>The owning department (the article's owner; the centre's knowledge team for a missing article).</summary>
    public required string Owner { get; init; }
    public required string RaisedBy { get; init; }
    public DateTimeOffset RaisedAt { get; init; }
    public string? ResolvedBy { get; private set; }
    public DateTimeOffset? ResolvedAt { get; private set; }
    public string? Resolution { get; private set; }

    public void Resolve(string by, DateTimeOffset at, string resolution)
    {
        ResolvedBy = by;
        ResolvedAt = at;
        Resolution = resolution;
    }
}

/// <summary>
/// An approved answer script for an incident (a core-system outage, a news event). A supervisor writes and pins it:
/// it sits at the top of every agent console, and optionally becomes the emergency announcement of some lines.
/// </summary>
public sealed class IncidentScript
{
    public long Id { get; private set; }
    public required string Title { get; init; }
    /// <summary>Markdown: what agents say.</summary>
    public required string Body { get; init; }
    /// <summary>Who approved and pinned it (a supervisor) and when.</summary>
    public required string PinnedBy { get; init; }
    public DateTimeOffset PinnedAt { get; init; }
    public string? UnpinnedBy { get; private set; }
    public DateTimeOffset? UnpinnedAt { get; private set; }
    /// <summary>The emergency announcements this script switched on (ids), so unpinning switches off just those.</summary>
    public long[] AnnouncementIds { get; set; } = [];

    public void Unpin(string by, DateTimeOffset at)
    {
        UnpinnedBy = by;
        UnpinnedAt = at;
    }
}
