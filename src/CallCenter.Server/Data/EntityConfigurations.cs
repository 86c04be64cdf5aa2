using CallCenter.Core.Metrics;
using CallCenter.Server.Agents;
using CallCenter.Server.Audit;
using CallCenter.Server.CallLog;
using CallCenter.Server.Ivr;
using CallCenter.Server.Metrics;
using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CallCenter.Server.Data;

internal sealed class CallRecordConfiguration : IEntityTypeConfiguration<CallRecord>
{
    public void Configure(EntityTypeBuilder<CallRecord> e)
    {
        e.ToTable("calls");
        e.HasKey(c => c.Id);
        e.HasIndex(c => c.CallSid).IsUnique();
        e.Property(c => c.CallSid).HasMaxLength(64);
        e.Property(c => c.AccountSid).HasMaxLength(64);
        e.Property(c => c.FromNumber).HasMaxLength(32);
        e.Property(c => c.ToNumber).HasMaxLength(32);
        e.Property(c => c.Direction).HasMaxLength(32);
        e.Property(c => c.Status).HasMaxLength(32);
        e.HasIndex(c => c.StartedAt);
    }
}

internal sealed class CallEventRecordConfiguration : IEntityTypeConfiguration<CallEventRecord>
{
    public void Configure(EntityTypeBuilder<CallEventRecord> e)
    {
        e.ToTable("call_events");
        // Numbers are assigned under the chain lock, never by a sequence, so there are no gaps.
        e.HasKey(x => x.GlobalSeq);
        e.Property(x => x.GlobalSeq).ValueGeneratedNever();
        e.Property(x => x.CallSid).HasMaxLength(64);
        e.Property(x => x.Type).HasMaxLength(64);
        e.Property(x => x.StepKey).HasMaxLength(200);
        e.Property(x => x.Payload).HasColumnType("json");
        e.HasIndex(x => new { x.CallSid, x.StepKey }).IsUnique();
        e.HasIndex(x => new { x.CallSid, x.CallSeq }).IsUnique();
        // Reports look events up by kind and time (e.g. every acd.queued in an interval).
        e.HasIndex(x => new { x.Type, x.OccurredAt });
    }
}

internal sealed class AgentConfiguration : IEntityTypeConfiguration<Agent>
{
    public void Configure(EntityTypeBuilder<Agent> e)
    {
        e.ToTable("agents");
        e.HasIndex(a => a.WorkNumber).IsUnique();
        e.Property(a => a.WorkNumber).HasMaxLength(32);
        e.Property(a => a.DisplayName).HasMaxLength(100);
        e.HasMany(a => a.Skills).WithOne().HasForeignKey(s => s.AgentId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class AgentSkillConfiguration : IEntityTypeConfiguration<AgentSkill>
{
    public void Configure(EntityTypeBuilder<AgentSkill> e)
    {
        e.ToTable("agent_skills", t => t.HasCheckConstraint("ck_agent_skills_proficiency", "proficiency BETWEEN 1 AND 5"));
        e.HasKey(s => new { s.AgentId, s.SkillCode });
        e.HasOne<Skill>().WithMany().HasForeignKey(s => s.SkillCode);
    }
}

internal sealed class SkillConfiguration : IEntityTypeConfiguration<Skill>
{
    public void Configure(EntityTypeBuilder<Skill> e)
    {
        e.ToTable("skills");
        e.HasKey(s => s.Code);
        e.Property(s => s.Code).HasMaxLength(64);
        e.Property(s => s.Name).HasMaxLength(100);
    }
}

internal sealed class QueueDefinitionConfiguration : IEntityTypeConfiguration<QueueDefinition>
{
    public void Configure(EntityTypeBuilder<QueueDefinition> e)
    {
        e.ToTable("queues");
        e.HasIndex(q => q.Name).IsUnique();
        e.Property(q => q.Name).HasMaxLength(64);
        e.Property(q => q.DisplayName).HasMaxLength(100);
        e.HasMany(q => q.RequiredSkills).WithOne().HasForeignKey(s => s.QueueId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class QueueSkillConfiguration : IEntityTypeConfiguration<QueueSkill>
{
    public void Configure(EntityTypeBuilder<QueueSkill> e)
    {
        e.ToTable("queue_skills", t => t.HasCheckConstraint("ck_queue_skills_min_proficiency", "min_proficiency BETWEEN 1 AND 5"));
        e.HasKey(s => new { s.QueueId, s.SkillCode });
        e.HasOne<Skill>().WithMany().HasForeignKey(s => s.SkillCode);
    }
}

internal sealed class StaffMemberConfiguration : IEntityTypeConfiguration<StaffMember>
{
    public void Configure(EntityTypeBuilder<StaffMember> e)
    {
        e.ToTable("staff_members", t => t.HasCheckConstraint("ck_staff_members_permission_level", "permission_level BETWEEN 1 AND 3"));
        e.HasIndex(m => m.WorkNumber).IsUnique();
        e.Property(m => m.WorkNumber).HasMaxLength(32);
        e.Property(m => m.DisplayName).HasMaxLength(100);
        e.Property(m => m.Role).HasConversion<string>().HasMaxLength(16);
    }
}

internal sealed class OperationLogEntryConfiguration : IEntityTypeConfiguration<OperationLogEntry>
{
    public void Configure(EntityTypeBuilder<OperationLogEntry> e)
    {
        e.ToTable("operation_log");
        e.Property(x => x.Operator).HasMaxLength(32);
        e.Property(x => x.Action).HasMaxLength(64);
        e.Property(x => x.Target).HasMaxLength(200);
        e.Property(x => x.Result).HasMaxLength(16);
        e.HasIndex(x => x.OccurredAt);
        e.HasIndex(x => new { x.Operator, x.OccurredAt });
    }
}

internal sealed class EmergencyAnnouncementConfiguration : IEntityTypeConfiguration<EmergencyAnnouncement>
{
    public void Configure(EntityTypeBuilder<EmergencyAnnouncement> e)
    {
        e.ToTable("emergency_announcements");
        e.Property(a => a.FlowId).HasMaxLength(64);
        e.Property(a => a.Texts).HasColumnType("jsonb");
        e.Property(a => a.SwitchedOnBy).HasMaxLength(32);
        e.Property(a => a.SwitchedOffBy).HasMaxLength(32);
        // At most one announcement in force per line.
        e.HasIndex(a => a.FlowId).IsUnique().HasFilter("switched_off_at IS NULL");
    }
}

internal sealed class QueueIntervalRollupConfiguration : IEntityTypeConfiguration<QueueIntervalRollup>
{
    public void Configure(EntityTypeBuilder<QueueIntervalRollup> e)
    {
        e.ToTable("queue_interval_rollups");
        e.HasKey(r => new { r.IntervalStart, r.Queue, r.PolicyVersion });
        e.Property(r => r.Queue).HasMaxLength(64);
        e.Property(r => r.Definition).HasMaxLength(400);
    }
}

internal sealed class MetricsWatermarkConfiguration : IEntityTypeConfiguration<MetricsWatermark>
{
    public void Configure(EntityTypeBuilder<MetricsWatermark> e)
    {
        e.ToTable("metrics_watermarks");
        e.HasKey(w => w.Name);
        e.Property(w => w.Name).HasMaxLength(64);
    }
}

internal sealed class AgentIntervalRollupConfiguration : IEntityTypeConfiguration<AgentIntervalRollup>
{
    public void Configure(EntityTypeBuilder<AgentIntervalRollup> e)
    {
        e.ToTable("agent_interval_rollups");
        e.HasKey(r => new { r.IntervalStart, r.Agent });
        e.Property(r => r.Agent).HasMaxLength(64);
    }
}

internal sealed class CallFactsConfiguration : IEntityTypeConfiguration<CallFacts>
{
    public void Configure(EntityTypeBuilder<CallFacts> e)
    {
        e.ToTable("call_facts");
        // Repeat-contact linking rewrites next_contact_at (not indexed) on calls from the last 30 days: free room in
        // each page lets those updates stay heap-only instead of adding an entry to every index.
        e.HasStorageParameter("fillfactor", 90);
        e.HasKey(f => f.CallSid);
        e.Property(f => f.CallSid).HasMaxLength(64);
        e.Property(f => f.Line).HasMaxLength(32);
        e.Property(f => f.CustomerKey).HasMaxLength(64);
        e.Property(f => f.FirstChoice).HasMaxLength(64);
        e.Property(f => f.Queue).HasMaxLength(64);
        e.Property(f => f.Agent).HasMaxLength(64);
        e.Property(f => f.ReasonFamily).HasMaxLength(200);
        e.Ignore(f => f.Queued);
        e.Ignore(f => f.TalkTime);
        e.Ignore(f => f.WrapUpTime);
        e.Ignore(f => f.ContactAt);
        // The rollups read a queue's interval, calls by start (lines, rebuilds), and a customer's contacts. No index holds the
        // agent or answer time: nothing reads calls by agent (agent rows move by each batch's changed calls), and without one
        // an answer arriving in a later batch than the call's queueing updates the row heap-only.
        e.HasIndex(f => new { f.Queue, f.QueuedAt });
        e.HasIndex(f => f.StartedAt);
        e.HasIndex(f => new { f.CustomerKey, f.QueuedAt });
        e.HasIndex(f => f.QueuedAt);
    }
}

internal sealed class LineIntervalRollupConfiguration : IEntityTypeConfiguration<LineIntervalRollup>
{
    public void Configure(EntityTypeBuilder<LineIntervalRollup> e)
    {
        e.ToTable("line_interval_rollups");
        e.HasKey(r => new { r.IntervalStart, r.Line });
        e.Property(r => r.Line).HasMaxLength(32);
    }
}

internal sealed class FcrDailyRollupConfiguration : IEntityTypeConfiguration<FcrDailyRollup>
{
    public void Configure(EntityTypeBuilder<FcrDailyRollup> e)
    {
        e.ToTable("fcr_daily_rollups");
        e.HasKey(r => new { r.Day, r.WindowDays });
        e.Property(r => r.Definition).HasMaxLength(400);
    }
}
