using System.ComponentModel.DataAnnotations;
using CallCenter.Core.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CallCenter.Server.Outbound;

/// <summary>Why the centre owes a customer a call.</summary>
public enum CallbackKind
{
    /// <summary>The caller left the queue (size or wait limit) and recorded a request; they keep their place.</summary>
    Queue,
    /// <summary>An agent promised to call back within a window.</summary>
    Promised,
    /// <summary>The caller left a message at the IVR's voicemail node that asks for a callback.</summary>
    Voicemail,
}

/// <summary>Pending until the ACD has it, Queued while it waits for an agent, Dialling once an agent took it.</summary>
public enum CallbackStatus
{
    Pending,
    Queued,
    Dialling,
    Done,
    /// <summary>Out of attempts or past the customer's window.</summary>
    Failed,
}

/// <summary>
/// A call the centre owes a customer. Its id is its call-log stream and its ACD call id, so the ACD's events
/// (queued, offered, answered) and the dial attempts sit in one place.
/// </summary>
public sealed class Callback
{
    public required string Id { get; init; }
    public CallbackKind Kind { get; init; }
    public string? OriginCallSid { get; init; }
    /// <summary>E.164 number to call; shown to people only masked.</summary>
    public required string Number { get; init; }
    /// <summary>The hotline number the customer called: the line whose calling hours apply and the caller ID shown.</summary>
    public required string LineNumber { get; init; }
    public required string Queue { get; init; }
    /// <summary>The caller's original entry into the ACD (queue callbacks) or the promise's time: the ACD orders by it.</summary>
    public DateTimeOffset EnteredAt { get; init; }
    public DateTimeOffset? WindowFrom { get; init; }
    public DateTimeOffset? WindowTo { get; init; }
    /// <summary>IANA zone of the customer, for calling hours.</summary>
    public required string TimeZone { get; init; }
    public CallbackStatus Status { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    public string? Agent { get; set; }
    /// <summary>Twilio's SID of the attempt being dialled.</summary>
    public string? DialledCallSid { get; set; }
    public string? Outcome { get; set; }
    /// <summary>Twilio's SID of the caller's recorded message (voicemail or queue callback request), archived under the origin call.</summary>
    public string? MessageRecordingSid { get; init; }
    public required string CreatedBy { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public List<CallbackAttempt> Attempts { get; init; } = [];

    public IReadOnlyList<DialAttempt> History => [.. Attempts.Where(a => a.Outcome is not null).Select(a => new DialAttempt(a.At, a.Outcome!.Value))];
}

/// <summary>One outbound attempt of a callback; the outcome arrives with Twilio's status callback.</summary>
public sealed class CallbackAttempt
{
    public long Id { get; private set; }
    public required string CallbackId { get; init; }
    public int Number { get; init; }
    public DateTimeOffset At { get; init; }
    public required string Agent { get; init; }
    public string? TwilioCallSid { get; init; }
    public DialOutcome? Outcome { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public int? DurationSeconds { get; set; }
}

/// <summary>The <c>Callbacks</c> section.</summary>
public sealed class CallbackOptions
{
    public const string SectionName = "Callbacks";

    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Customers' local calling hours.</summary>
    public TimeOnly CallFrom { get; set; } = new(9, 0);

    public TimeOnly CallUntil { get; set; } = new(21, 0);

    /// <summary>The customers' zone when nothing else is known (the hotline's).</summary>
    [Required]
    public string DefaultTimeZone { get; set; } = "Asia/Shanghai";

    /// <summary>The ACD queue that routes callbacks asked for in a voicemail; empty means the first queue.</summary>
    public string VoicemailQueue { get; set; } = "";

    /// <summary>Intake of queue callback requests and scheduling into the ACD; false on web-only instances.</summary>
    public bool RunWorkers { get; set; } = true;

    public TimeSpan RunEvery { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A dialled attempt (callback or project call) with no final status this long after dialling is asked about at Twilio.</summary>
    public TimeSpan StatusCheckAfter { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// How much longer an attempt Twilio still reports live, or cannot report on, is kept before it is released as failed
    /// (status "unknown"): longer than any real call, so only a lost call is released.
    /// </summary>
    public TimeSpan ReleaseUnknownAfter { get; set; } = TimeSpan.FromHours(3);

    /// <summary>How often the sweep of unsettled attempts runs across all instances.</summary>
    public TimeSpan SweepEvery { get; set; } = TimeSpan.FromMinutes(1);

    public DialRules Rules() => new(MaxAttempts, RetryDelay, new CallingHours(CallFrom, CallUntil));
}

internal sealed class CallbackConfiguration : IEntityTypeConfiguration<Callback>
{
    public void Configure(EntityTypeBuilder<Callback> e)
    {
        e.ToTable("callbacks");
        e.Property(c => c.Id).HasMaxLength(40);
        e.Property(c => c.Kind).HasConversion<string>().HasMaxLength(16);
        e.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        e.Property(c => c.OriginCallSid).HasMaxLength(64);
        e.Property(c => c.Number).HasMaxLength(32);
        e.Property(c => c.LineNumber).HasMaxLength(32);
        e.Property(c => c.Queue).HasMaxLength(64);
        e.Property(c => c.TimeZone).HasMaxLength(64);
        e.Property(c => c.Agent).HasMaxLength(32);
        e.Property(c => c.DialledCallSid).HasMaxLength(64);
        e.Property(c => c.Outcome).HasMaxLength(64);
        e.Property(c => c.CreatedBy).HasMaxLength(32);
        e.Ignore(c => c.History);
        e.Property(c => c.MessageRecordingSid).HasMaxLength(64);
        // One queue callback and one voicemail callback per call, so intake can run again.
        e.HasIndex(c => new { c.OriginCallSid, c.Kind }).IsUnique().HasFilter("kind <> 'Promised'");
        e.HasIndex(c => new { c.Status, c.NextAttemptAt });
        e.HasMany(c => c.Attempts).WithOne().HasForeignKey(a => a.CallbackId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class CallbackAttemptConfiguration : IEntityTypeConfiguration<CallbackAttempt>
{
    public void Configure(EntityTypeBuilder<CallbackAttempt> e)
    {
        e.ToTable("callback_attempts");
        e.Property(a => a.CallbackId).HasMaxLength(40);
        e.Property(a => a.Agent).HasMaxLength(32);
        e.Property(a => a.TwilioCallSid).HasMaxLength(64);
        e.Property(a => a.Outcome).HasConversion<string>().HasMaxLength(16);
        e.HasIndex(a => new { a.CallbackId, a.Number }).IsUnique();
        e.HasIndex(a => a.TwilioCallSid);
    }
}
