using CallCenter.Server.Archive;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CallCenter.Server.Quality;

internal sealed class TranscriptionJobConfiguration : IEntityTypeConfiguration<TranscriptionJob>
{
    public void Configure(EntityTypeBuilder<TranscriptionJob> e)
    {
        e.ToTable("transcription_jobs");
        e.HasIndex(j => j.ArchiveNumber).IsUnique();
        e.HasOne<ArchivedRecording>().WithMany().HasForeignKey(j => j.ArchiveNumber).OnDelete(DeleteBehavior.Restrict);
        e.Property(j => j.CallSid).HasMaxLength(64);
        e.Property(j => j.State).HasMaxLength(16);
        e.Property(j => j.LastError).HasMaxLength(2000);
        e.Property(j => j.BatchUrl).HasMaxLength(1000);
        e.Property(j => j.AudioLinkHash).HasMaxLength(64);
        // The audio link Azure's batch service follows is looked up by its token's hash.
        e.HasIndex(j => j.AudioLinkHash).IsUnique().HasFilter("audio_link_hash IS NOT NULL");
        // The claim query scans only pending jobs, oldest due first.
        e.HasIndex(j => j.NextAttemptAt).HasFilter("state = 'pending'");
    }
}

internal sealed class TranscriptPhraseConfiguration : IEntityTypeConfiguration<TranscriptPhrase>
{
    public void Configure(EntityTypeBuilder<TranscriptPhrase> e)
    {
        e.ToTable("transcript_phrases");
        e.HasOne<ArchivedRecording>().WithMany().HasForeignKey(p => p.ArchiveNumber).OnDelete(DeleteBehavior.Restrict);
        e.HasIndex(p => new { p.ArchiveNumber, p.OffsetMs });
        e.Property(p => p.CallSid).HasMaxLength(64);
        e.Property(p => p.Locale).HasMaxLength(16);
        e.Property(p => p.Text).HasMaxLength(4000);
        // kb_search_text comes from the KnowledgeBase migration: Chinese bigrams plus the rest for the english configuration.
        e.Property(p => p.SearchVector).HasComputedColumnSql("to_tsvector('english'::regconfig, kb_search_text(text))", stored: true);
        e.HasIndex(p => p.SearchVector).HasMethod("GIN");
        e.Property(p => p.NextText).HasMaxLength(4000);
        // qa_span_text (QualityScreens migration) joins two phrases the way they were spoken: Chinese without a gap, other text with a space.
        e.Property(p => p.SpanVector).HasComputedColumnSql("to_tsvector('english'::regconfig, kb_search_text(qa_span_text(text, next_text)))", stored: true);
        e.HasIndex(p => p.SpanVector).HasMethod("GIN");
    }
}

internal sealed class ScoringFormVersionConfiguration : IEntityTypeConfiguration<ScoringFormVersion>
{
    public void Configure(EntityTypeBuilder<ScoringFormVersion> e)
    {
        e.ToTable("qa_form_versions");
        e.HasIndex(f => new { f.Name, f.Version }).IsUnique();
        e.Property(f => f.Name).HasMaxLength(100);
        e.Property(f => f.Criteria).HasColumnType("jsonb");
        e.Property(f => f.CreatedBy).HasMaxLength(32);
    }
}

internal sealed class EvaluationConfiguration : IEntityTypeConfiguration<Evaluation>
{
    public void Configure(EntityTypeBuilder<Evaluation> e)
    {
        e.ToTable("qa_evaluations");
        // One score per reviewer per recording; two reviewers on one call is calibration.
        e.HasIndex(v => new { v.ArchiveNumber, v.Reviewer }).IsUnique();
        e.HasIndex(v => new { v.Agent, v.Period });
        e.HasOne<ArchivedRecording>().WithMany().HasForeignKey(v => v.ArchiveNumber).OnDelete(DeleteBehavior.Restrict);
        e.HasOne<ScoringFormVersion>().WithMany().HasForeignKey(v => v.FormId).OnDelete(DeleteBehavior.Restrict);
        e.Property(v => v.CallSid).HasMaxLength(64);
        e.Property(v => v.Agent).HasMaxLength(64);
        e.Property(v => v.Reviewer).HasMaxLength(32);
        e.Property(v => v.Period).HasMaxLength(7);
        e.Property(v => v.Answers).HasColumnType("jsonb");
        e.Property(v => v.Total).HasPrecision(5, 1);
        e.Property(v => v.Grade).HasMaxLength(16);
        e.Property(v => v.Summary).HasMaxLength(2000);
        e.Property(v => v.Status).HasMaxLength(16);
        e.Property(v => v.AgentResponse).HasMaxLength(2000);
        e.HasMany(v => v.Comments).WithOne().HasForeignKey(c => c.EvaluationId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class EvaluationCommentConfiguration : IEntityTypeConfiguration<EvaluationComment>
{
    public void Configure(EntityTypeBuilder<EvaluationComment> e)
    {
        e.ToTable("qa_evaluation_comments");
        e.Property(c => c.Author).HasMaxLength(32);
        e.Property(c => c.Text).HasMaxLength(2000);
    }
}

internal sealed class ReviewPeriodClosureConfiguration : IEntityTypeConfiguration<ReviewPeriodClosure>
{
    public void Configure(EntityTypeBuilder<ReviewPeriodClosure> e)
    {
        e.ToTable("qa_closed_periods");
        e.HasKey(p => p.Period);
        e.Property(p => p.Period).HasMaxLength(7);
        e.Property(p => p.ClosedBy).HasMaxLength(32);
    }
}

internal sealed class ReviewPlanConfiguration : IEntityTypeConfiguration<ReviewPlan>
{
    public void Configure(EntityTypeBuilder<ReviewPlan> e)
    {
        e.ToTable("qa_review_plans");
        e.HasIndex(p => p.Period).IsUnique();
        e.Property(p => p.Period).HasMaxLength(7);
        e.Property(p => p.CreatedBy).HasMaxLength(32);
        e.HasMany(p => p.Items).WithOne().HasForeignKey(i => i.PlanId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class ReviewPlanItemConfiguration : IEntityTypeConfiguration<ReviewPlanItem>
{
    public void Configure(EntityTypeBuilder<ReviewPlanItem> e)
    {
        e.ToTable("qa_review_plan_items");
        e.HasKey(i => new { i.PlanId, i.ArchiveNumber });
        e.Property(i => i.CallSid).HasMaxLength(64);
        e.Property(i => i.Agent).HasMaxLength(64);
        e.Property(i => i.Queue).HasMaxLength(64);
        e.Property(i => i.Reviewer).HasMaxLength(32);
        e.HasIndex(i => i.Reviewer);
    }
}
