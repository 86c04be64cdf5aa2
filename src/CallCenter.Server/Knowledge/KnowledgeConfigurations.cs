using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CallCenter.Server.Knowledge;

internal sealed class KnowledgeArticleConfiguration : IEntityTypeConfiguration<KnowledgeArticle>
{
    public void Configure(EntityTypeBuilder<KnowledgeArticle> e)
    {
        e.ToTable("kb_articles");
        e.Property(a => a.Owner).HasMaxLength(100);
        e.Property(a => a.CreatedBy).HasMaxLength(32);
        e.HasMany(a => a.Versions).WithOne().HasForeignKey(v => v.ArticleId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ArticleVersionConfiguration : IEntityTypeConfiguration<ArticleVersion>
{
    public void Configure(EntityTypeBuilder<ArticleVersion> e)
    {
        e.ToTable("kb_article_versions");
        e.Property(v => v.Title).HasMaxLength(KnowledgeLimits.TitleLength);
        e.Property(v => v.Body).HasMaxLength(KnowledgeLimits.BodyLength);
        e.Property(v => v.Language).HasMaxLength(16);
        e.Property(v => v.ReasonFamily).HasMaxLength(KnowledgeLimits.LabelLength);
        e.Property(v => v.PublishedBy).HasMaxLength(32);
        e.HasIndex(v => new { v.ArticleId, v.Number }).IsUnique();
        // Two versions of one article never take effect at the same instant.
        e.HasIndex(v => new { v.ArticleId, v.EffectiveFrom }).IsUnique();
        e.HasOne<ChangeNotice>().WithMany().HasForeignKey(v => v.NoticeId).OnDelete(DeleteBehavior.Restrict);
        // kb_document is created by the KnowledgeBase migration: English stems plus bigrams of Chinese text.
        e.Property(v => v.SearchVector).HasComputedColumnSql("kb_document(title, body, tags)", stored: true);
        e.Property(v => v.HeadVector).HasComputedColumnSql("kb_document(title, NULL, tags)", stored: true);
        e.HasIndex(v => v.SearchVector).HasMethod("GIN");
        e.HasIndex(v => v.HeadVector).HasMethod("GIN");
        e.HasIndex(v => v.Products).HasMethod("GIN");
        e.HasIndex(v => new { v.EffectiveFrom, v.EffectiveUntil });
    }
}

internal sealed class ChangeNoticeConfiguration : IEntityTypeConfiguration<ChangeNotice>
{
    public void Configure(EntityTypeBuilder<ChangeNotice> e)
    {
        e.ToTable("kb_change_notices");
        e.Property(n => n.Department).HasMaxLength(100);
        e.Property(n => n.Kind).HasConversion<string>().HasMaxLength(32);
        e.Property(n => n.Status).HasConversion<string>().HasMaxLength(16);
        e.Property(n => n.Title).HasMaxLength(KnowledgeLimits.TitleLength);
        e.Property(n => n.Body).HasMaxLength(KnowledgeLimits.BodyLength);
        e.Property(n => n.Language).HasMaxLength(16);
        e.Property(n => n.ReasonFamily).HasMaxLength(KnowledgeLimits.LabelLength);
        e.Property(n => n.SubmittedBy).HasMaxLength(32);
        e.Property(n => n.ReviewedBy).HasMaxLength(32);
        e.Property(n => n.ReviewNote).HasMaxLength(KnowledgeLimits.NoteLength);
        e.Property(n => n.PublishedBy).HasMaxLength(32);
        e.HasOne<KnowledgeArticle>().WithMany().HasForeignKey(n => n.ArticleId).OnDelete(DeleteBehavior.Restrict);
        e.HasIndex(n => new { n.Status, n.SubmittedAt });
    }
}

internal sealed class KnowledgeFlagConfiguration : IEntityTypeConfiguration<KnowledgeFlag>
{
    public void Configure(EntityTypeBuilder<KnowledgeFlag> e)
    {
        e.ToTable("kb_flags");
        e.Property(f => f.Kind).HasConversion<string>().HasMaxLength(16);
        e.Property(f => f.Comment).HasMaxLength(KnowledgeLimits.NoteLength);
        e.Property(f => f.CallSid).HasMaxLength(64);
        e.Property(f => f.Owner).HasMaxLength(100);
        e.Property(f => f.RaisedBy).HasMaxLength(32);
        e.Property(f => f.ResolvedBy).HasMaxLength(32);
        e.Property(f => f.Resolution).HasMaxLength(KnowledgeLimits.NoteLength);
        e.HasOne<KnowledgeArticle>().WithMany().HasForeignKey(f => f.ArticleId).OnDelete(DeleteBehavior.Restrict);
        e.HasOne<ArticleVersion>().WithMany().HasForeignKey(f => f.VersionId).OnDelete(DeleteBehavior.Restrict);
        // The owners' inbox: open flags, oldest first.
        e.HasIndex(f => new { f.Owner, f.RaisedAt }).HasFilter("resolved_at IS NULL");
    }
}

internal sealed class IncidentScriptConfiguration : IEntityTypeConfiguration<IncidentScript>
{
    public void Configure(EntityTypeBuilder<IncidentScript> e)
    {
        e.ToTable("kb_incident_scripts");
        e.Property(s => s.Title).HasMaxLength(KnowledgeLimits.TitleLength);
        e.Property(s => s.Body).HasMaxLength(KnowledgeLimits.BodyLength);
        e.Property(s => s.PinnedBy).HasMaxLength(32);
        e.Property(s => s.UnpinnedBy).HasMaxLength(32);
        e.HasIndex(s => s.PinnedAt).HasFilter("unpinned_at IS NULL");
    }
}

/// <summary>Field limits shared by validation and the schema.</summary>
public static class KnowledgeLimits
{
    public const int TitleLength = 200;
    public const int BodyLength = 20_000;
    public const int LabelLength = 64;
    public const int NoteLength = 2_000;
    public const int MaxLabels = 20;
    public const int QueryLength = 200;
}
