using CallCenter.Core.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CallCenter.Server.Outbound;

/// <summary>A project calls nobody until a supervisor approves it.</summary>
public enum ProjectStatus
{
    Submitted,
    Approved,
    Closed,
}

/// <summary>A department's outbound project: a list of customers, a script and questions, approved before any call.</summary>
public sealed class OutboundProject
{
    public long Id { get; private set; }
    public required string Name { get; init; }
    public required string Department { get; init; }
    public required string Script { get; init; }
    public required string[] Questions { get; init; }
    public int MaxAttempts { get; init; }
    public TimeSpan RetryDelay { get; init; }
    public ProjectStatus Status { get; set; }
    public required string CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public string? ApprovedBy { get; set; }
    public DateTimeOffset? ApprovedAt { get; set; }
    public List<OutboundContact> Contacts { get; init; } = [];
}

/// <summary>Where a customer of a project stands.</summary>
public enum ContactStatus
{
    Open,
    Reached,
    Refused,
    /// <summary>Every allowed attempt went unanswered.</summary>
    Exhausted,
}

/// <summary>One customer on a project's list, with every attempt and the answers to the project's questions.</summary>
public sealed class OutboundContact
{
    public long Id { get; private set; }
    public long ProjectId { get; init; }
    public required string Name { get; init; }
    public required string Number { get; init; }
    /// <summary>The customer's IANA zone: calling hours are theirs.</summary>
    public required string TimeZone { get; init; }
    public ContactStatus Status { get; set; }
    /// <summary>An agent is on it: not handed to anyone else until the result is recorded.</summary>
    public string? LockedBy { get; set; }
    public List<ContactAttempt> Attempts { get; init; } = [];
    /// <summary>Answers in question order, once reached.</summary>
    public string[]? Answers { get; set; }

    public IReadOnlyList<DialAttempt> History => [.. Attempts.Where(a => a.Outcome is not null).Select(a => new DialAttempt(a.At, a.Outcome!.Value))];

    /// <summary>Where the customer stands after the attempts so far: a refusal or an answer ends it, as does the last allowed attempt.</summary>
    public ContactStatus StandingAfterAttempts(int maxAttempts) =>
        Attempts.Any(a => a.Outcome == DialOutcome.Refused) ? ContactStatus.Refused
        : Attempts.Any(a => a.Outcome == DialOutcome.Answered) ? ContactStatus.Reached
        : Attempts.Count(a => a.Outcome is not null) >= maxAttempts ? ContactStatus.Exhausted
        : ContactStatus.Open;
}

/// <summary>
/// One dialled attempt. Twilio's final call status fills in how the call ended (and the outcome when nobody answered);
/// the agent's result says what came of an answered call, and wins over Twilio's "completed".
/// </summary>
public sealed class ContactAttempt
{
    public long Id { get; private set; }
    public long ContactId { get; init; }
    public DateTimeOffset At { get; init; }
    public required string Agent { get; init; }
    /// <summary>Null while the call is being placed and nobody has said how it went.</summary>
    public DialOutcome? Outcome { get; set; }
    public string? Note { get; set; }
    /// <summary>Twilio's SID of the call (null until it is placed, and when Twilio would not); its status callback names the attempt by it.</summary>
    public string? TwilioCallSid { get; set; }
    /// <summary>Twilio's final status (completed, no-answer, busy, failed, canceled); set once, so replays change nothing.</summary>
    public string? CallStatus { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public int? DurationSeconds { get; set; }
}

internal sealed class OutboundProjectConfiguration : IEntityTypeConfiguration<OutboundProject>
{
    public void Configure(EntityTypeBuilder<OutboundProject> e)
    {
        e.ToTable("outbound_projects");
        e.Property(p => p.Name).HasMaxLength(200);
        e.Property(p => p.Department).HasMaxLength(100);
        e.Property(p => p.Script).HasMaxLength(8000);
        e.Property(p => p.Status).HasConversion<string>().HasMaxLength(16);
        e.Property(p => p.CreatedBy).HasMaxLength(32);
        e.Property(p => p.ApprovedBy).HasMaxLength(32);
        e.HasMany(p => p.Contacts).WithOne().HasForeignKey(c => c.ProjectId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class OutboundContactConfiguration : IEntityTypeConfiguration<OutboundContact>
{
    public void Configure(EntityTypeBuilder<OutboundContact> e)
    {
        e.ToTable("outbound_contacts");
        e.Property(c => c.Name).HasMaxLength(100);
        e.Property(c => c.Number).HasMaxLength(32);
        e.Property(c => c.TimeZone).HasMaxLength(64);
        e.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        e.Property(c => c.LockedBy).HasMaxLength(32);
        e.Ignore(c => c.History);
        e.HasIndex(c => new { c.ProjectId, c.Status });
        e.HasMany(c => c.Attempts).WithOne().HasForeignKey(a => a.ContactId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class ContactAttemptConfiguration : IEntityTypeConfiguration<ContactAttempt>
{
    public void Configure(EntityTypeBuilder<ContactAttempt> e)
    {
        e.ToTable("outbound_contact_attempts");
        e.Property(a => a.Agent).HasMaxLength(32);
        e.Property(a => a.Outcome).HasConversion<string>().HasMaxLength(16);
        e.Property(a => a.Note).HasMaxLength(2000);
        e.Property(a => a.TwilioCallSid).HasMaxLength(64);
        e.Property(a => a.CallStatus).HasMaxLength(16);
        e.HasIndex(a => a.TwilioCallSid);
    }
}
