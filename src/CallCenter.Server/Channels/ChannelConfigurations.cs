using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CallCenter.Server.Channels;

internal sealed class ServiceRequestConfiguration : IEntityTypeConfiguration<ServiceRequest>
{
    public void Configure(EntityTypeBuilder<ServiceRequest> e)
    {
        e.ToTable("service_requests");
        e.Property(r => r.Reference).HasMaxLength(32);
        e.HasIndex(r => r.Reference).IsUnique();
        e.Property(r => r.Channel).HasConversion<string>().HasMaxLength(16);
        e.Property(r => r.ExternalId).HasMaxLength(200);
        // A retried delivery (same MessageSid or Message-ID) is the same request: the database decides, not a check-then-insert.
        e.HasIndex(r => new { r.Channel, r.ExternalId }).IsUnique();
        e.Property(r => r.Contact).HasMaxLength(320);
        e.Property(r => r.CustomerId).HasMaxLength(64);
        e.Property(r => r.CustomerKey).HasMaxLength(320);
        e.Property(r => r.Line).HasMaxLength(32);
        e.Property(r => r.Category).HasMaxLength(64);
        e.Property(r => r.Queue).HasMaxLength(64);
        e.Property(r => r.Subject).HasMaxLength(500);
        e.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
        e.Property(r => r.Agent).HasMaxLength(32);
        e.Ignore(r => r.Stream);
        e.HasIndex(r => r.ReceivedAt);
        e.HasIndex(r => new { r.Contact, r.Status });
        e.HasMany(r => r.Attachments).WithOne().HasForeignKey(a => a.RequestId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ServiceRequestAttachmentConfiguration : IEntityTypeConfiguration<ServiceRequestAttachment>
{
    public void Configure(EntityTypeBuilder<ServiceRequestAttachment> e)
    {
        e.ToTable("service_request_attachments");
        e.Property(a => a.FileName).HasMaxLength(255);
        e.Property(a => a.ContentType).HasMaxLength(255);
        e.Property(a => a.StorageKey).HasMaxLength(255);
        e.Property(a => a.KeyId).HasMaxLength(64);
    }
}

internal sealed class ServiceRequestMessageConfiguration : IEntityTypeConfiguration<ServiceRequestMessage>
{
    public void Configure(EntityTypeBuilder<ServiceRequestMessage> e)
    {
        e.ToTable("service_request_messages");
        e.Property(m => m.Direction).HasMaxLength(8);
        e.Property(m => m.ExternalId).HasMaxLength(200);
        e.HasIndex(m => m.ExternalId).IsUnique();
        e.Property(m => m.Agent).HasMaxLength(32);
        e.HasOne<ServiceRequest>().WithMany().HasForeignKey(m => m.RequestId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class SurveyConfiguration : IEntityTypeConfiguration<Survey>
{
    public void Configure(EntityTypeBuilder<Survey> e)
    {
        e.ToTable("surveys");
        e.Property(s => s.Token).HasMaxLength(64);
        e.HasIndex(s => s.Token).IsUnique();
        e.Property(s => s.CustomerKey).HasMaxLength(320);
        e.Property(s => s.Channel).HasMaxLength(16);
        e.Property(s => s.Subject).HasMaxLength(64);
        // One survey per subject (request or call), however often the step that sends it runs.
        e.HasIndex(s => s.Subject).IsUnique();
        e.Property(s => s.Queue).HasMaxLength(64);
        e.Property(s => s.Agent).HasMaxLength(32);
        e.Property(s => s.Contact).HasMaxLength(320);
        e.HasIndex(s => new { s.CustomerKey, s.SentAt });
        // The satisfaction rollups read a whole interval's surveys by when they were sent.
        e.HasIndex(s => s.SentAt);
        e.HasIndex(s => new { s.Contact, s.SentAt });
        e.Property(s => s.AnswerMessageId).HasMaxLength(200);
        e.Property(s => s.CommentRecordingSid).HasMaxLength(64);
        e.HasIndex(s => s.AnswerMessageId).IsUnique();
        e.ToTable(t => t.HasCheckConstraint("ck_surveys_rating", "rating IS NULL OR rating BETWEEN 1 AND 5"));
    }
}

internal sealed class SurveyOptOutConfiguration : IEntityTypeConfiguration<SurveyOptOut>
{
    public void Configure(EntityTypeBuilder<SurveyOptOut> e)
    {
        e.ToTable("survey_opt_outs");
        e.HasKey(o => o.CustomerKey);
        e.Property(o => o.CustomerKey).HasMaxLength(320);
        e.Property(o => o.Source).HasMaxLength(16);
    }
}
