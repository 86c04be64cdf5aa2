using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CallCenter.Server.Complaints;

/// <summary>Field lengths shared by the API's validation and the schema.</summary>
internal static class ComplaintLimits
{
    public const int NameLength = 100;
    public const int ContactLength = 200;
    public const int TextLength = 4000;
    public const int NoteLength = 2000;
    public const int DepartmentLength = 100;
}

internal sealed class ComplaintConfiguration : IEntityTypeConfiguration<Complaint>
{
    public void Configure(EntityTypeBuilder<Complaint> e)
    {
        e.ToTable("complaints");
        e.Property(c => c.Source).HasConversion<string>().HasMaxLength(16);
        e.Property(c => c.Channel).HasMaxLength(32);
        e.Property(c => c.OriginCallSid).HasMaxLength(64);
        e.Property(c => c.CallerName).HasMaxLength(ComplaintLimits.NameLength);
        e.Property(c => c.Contact).HasMaxLength(ComplaintLimits.ContactLength);
        e.Property(c => c.Event).HasMaxLength(ComplaintLimits.TextLength);
        e.Property(c => c.Request).HasMaxLength(ComplaintLimits.TextLength);
        e.Property(c => c.Category).HasConversion<string>().HasMaxLength(16);
        e.Property(c => c.Grade).HasConversion<string>().HasMaxLength(16);
        e.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        e.Property(c => c.ReceivedBy).HasMaxLength(32);
        e.Property(c => c.Handler).HasMaxLength(32);
        // One ticket per complaint call, so intake from the call log can run again without duplicates.
        e.HasIndex(c => c.OriginCallSid).IsUnique().HasFilter("origin_call_sid IS NOT NULL");
        e.HasIndex(c => new { c.Status, c.AnswerBy });
        e.HasMany(c => c.Calls).WithOne().HasForeignKey(l => l.ComplaintId).OnDelete(DeleteBehavior.Restrict);
        e.HasMany(c => c.Events).WithOne().HasForeignKey(l => l.ComplaintId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ComplaintEventConfiguration : IEntityTypeConfiguration<ComplaintEvent>
{
    public void Configure(EntityTypeBuilder<ComplaintEvent> e)
    {
        e.ToTable("complaint_events");
        e.Property(v => v.Action).HasMaxLength(32);
        e.Property(v => v.FromStatus).HasMaxLength(16);
        e.Property(v => v.ToStatus).HasMaxLength(16);
        e.Property(v => v.By).HasMaxLength(32);
        e.Property(v => v.Note).HasMaxLength(ComplaintLimits.NoteLength);
        e.HasIndex(v => new { v.ComplaintId, v.Id });
    }
}

internal sealed class ComplaintCallConfiguration : IEntityTypeConfiguration<ComplaintCall>
{
    public void Configure(EntityTypeBuilder<ComplaintCall> e)
    {
        e.ToTable("complaint_calls");
        e.HasKey(l => new { l.ComplaintId, l.CallSid });
        e.Property(l => l.CallSid).HasMaxLength(64);
        e.Property(l => l.LinkedBy).HasMaxLength(32);
        e.HasIndex(l => l.CallSid);
    }
}

internal sealed class WorkOrderConfiguration : IEntityTypeConfiguration<WorkOrder>
{
    public void Configure(EntityTypeBuilder<WorkOrder> e)
    {
        e.ToTable("complaint_work_orders");
        e.Property(w => w.Department).HasMaxLength(ComplaintLimits.DepartmentLength);
        e.Property(w => w.Instructions).HasMaxLength(ComplaintLimits.TextLength);
        e.Property(w => w.Status).HasConversion<string>().HasMaxLength(8);
        e.Property(w => w.CreatedBy).HasMaxLength(32);
        e.Property(w => w.CompletedBy).HasMaxLength(32);
        e.Property(w => w.Result).HasMaxLength(ComplaintLimits.TextLength);
        e.HasOne<Complaint>().WithMany().HasForeignKey(w => w.ComplaintId).OnDelete(DeleteBehavior.Restrict);
        e.HasIndex(w => new { w.Status, w.DueAt });
    }
}

internal sealed class StoredComplaintReportConfiguration : IEntityTypeConfiguration<StoredComplaintReport>
{
    public void Configure(EntityTypeBuilder<StoredComplaintReport> e)
    {
        e.ToTable("complaint_daily_reports");
        // One report per local day: the key makes a second producer's insert a no-op.
        e.HasKey(r => r.Date);
        e.Property(r => r.Body).HasColumnType("jsonb");
    }
}
