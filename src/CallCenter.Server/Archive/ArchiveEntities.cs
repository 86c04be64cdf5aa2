using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CallCenter.Server.Archive;

/// <summary>Where an ingest job stands: waiting to be archived, archived but still at Twilio, or finished.</summary>
public static class ArchiveJobState
{
    public const string Pending = "pending";
    public const string Archived = "archived";
    public const string Done = "done";
}

/// <summary>
/// One recording Twilio told us about, to be archived and then deleted at Twilio. A row, not a message in memory,
/// so a restart loses nothing; claimed by a lease so several instances never work on the same recording at once.
/// </summary>
public sealed class ArchiveJob
{
    public long Id { get; private set; }
    public required string RecordingSid { get; init; }
    public required string CallSid { get; init; }
    public required string AccountSid { get; init; }
    public DateTimeOffset RecordingStartedAt { get; init; }
    public int DurationSeconds { get; init; }
    public int Channels { get; init; }
    public string State { get; set; } = ArchiveJobState.Pending;
    public int Attempts { get; set; }
    public DateTimeOffset NextAttemptAt { get; set; }
    /// <summary>Which claim owns the job now; a worker whose lease was taken over cannot finish it.</summary>
    public Guid? LeaseToken { get; set; }
    public DateTimeOffset? LeaseUntil { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; set; }
}

/// <summary>
/// The catalogue: one numbered archive entry per recording. After its retention date passes (and no legal hold
/// covers the call) the row stays as a tombstone: data key and file gone, with when and under which rule.
/// </summary>
public sealed class ArchivedRecording
{
    /// <summary>Gapless, in archiving order (art. 35.2.1: records numbered and archived).</summary>
    public long ArchiveNumber { get; init; }
    public required string RecordingSid { get; init; }
    public required string CallSid { get; init; }
    public string? Agent { get; init; }
    public string? Queue { get; init; }
    public required string Category { get; init; }
    public DateTimeOffset CallStartedAt { get; init; }
    public int DurationSeconds { get; init; }
    public int Channels { get; init; }
    /// <summary>Length of the recording as downloaded (plaintext).</summary>
    public long SizeBytes { get; init; }
    public long StoredBytes { get; init; }
    /// <summary>SHA-256 of the recording as downloaded.</summary>
    public required byte[] Sha256 { get; init; }
    /// <summary>The master key that wrapped the data key, for rotation.</summary>
    public required string KeyId { get; init; }
    /// <summary>Null once destroyed: without it the file is noise.</summary>
    public byte[]? WrappedDataKey { get; set; }
    /// <summary>Null once the file is deleted.</summary>
    public string? StorageKey { get; set; }
    public required string RetentionRule { get; init; }
    public DateTimeOffset RetainUntil { get; init; }
    public DateTimeOffset ArchivedAt { get; init; }
    public DateTimeOffset? DestroyedAt { get; set; }
    public string? DestroyedUnder { get; set; }
}

/// <summary>A legal hold: while not released, no recording of any of its calls is destroyed.</summary>
public sealed class LegalHold
{
    public long Id { get; private set; }
    public required string Reason { get; init; }
    public required string PlacedBy { get; init; }
    public DateTimeOffset PlacedAt { get; init; }
    public string? ReleasedBy { get; set; }
    public DateTimeOffset? ReleasedAt { get; set; }
    public List<LegalHoldCall> Calls { get; init; } = [];
}

/// <summary>One call covered by a legal hold (by CallSid, so a hold can precede the recording's arrival).</summary>
public sealed class LegalHoldCall
{
    public long HoldId { get; init; }
    public required string CallSid { get; init; }
}

/// <summary>Every attempt to listen to, download or export a recording, allowed or not: who, what, when, from where.</summary>
public sealed class RecordingAccessEntry
{
    public long Id { get; private set; }
    public DateTimeOffset OccurredAt { get; init; }
    public required string WorkNumber { get; init; }
    public string? Role { get; init; }
    /// <summary>play, download, export.</summary>
    public required string Action { get; init; }
    public long? ArchiveNumber { get; init; }
    public string? CallSid { get; init; }
    /// <summary>allowed, refused, missing.</summary>
    public required string Result { get; init; }
    public string? RemoteAddress { get; init; }
    public string? UserAgent { get; init; }
    /// <summary>The byte range asked for, or the export's watermarked file name.</summary>
    public string? Details { get; init; }
}

internal sealed class ArchiveJobConfiguration : IEntityTypeConfiguration<ArchiveJob>
{
    public void Configure(EntityTypeBuilder<ArchiveJob> e)
    {
        e.ToTable("archive_jobs");
        e.HasIndex(j => j.RecordingSid).IsUnique();
        e.Property(j => j.RecordingSid).HasMaxLength(64);
        e.Property(j => j.CallSid).HasMaxLength(64);
        e.Property(j => j.AccountSid).HasMaxLength(64);
        e.Property(j => j.State).HasMaxLength(16);
        // The claim query scans only unfinished jobs, oldest due first.
        e.HasIndex(j => j.NextAttemptAt).HasFilter("state <> 'done'");
    }
}

internal sealed class ArchivedRecordingConfiguration : IEntityTypeConfiguration<ArchivedRecording>
{
    public void Configure(EntityTypeBuilder<ArchivedRecording> e)
    {
        e.ToTable("archived_recordings");
        e.HasKey(r => r.ArchiveNumber);
        e.Property(r => r.ArchiveNumber).ValueGeneratedNever();
        e.HasIndex(r => r.RecordingSid).IsUnique();
        e.HasIndex(r => r.CallSid);
        e.Property(r => r.RecordingSid).HasMaxLength(64);
        e.Property(r => r.CallSid).HasMaxLength(64);
        e.Property(r => r.Agent).HasMaxLength(64);
        e.Property(r => r.Queue).HasMaxLength(64);
        e.Property(r => r.Category).HasMaxLength(32);
        e.Property(r => r.KeyId).HasMaxLength(64);
        e.Property(r => r.StorageKey).HasMaxLength(300);
        e.Property(r => r.RetentionRule).HasMaxLength(200);
        e.Property(r => r.DestroyedUnder).HasMaxLength(200);
        // The sweep reads only live rows by date; tombstones drop out of the index.
        e.HasIndex(r => r.RetainUntil).HasFilter("destroyed_at IS NULL").HasDatabaseName("ix_archived_recordings_live_retain_until");
        // Files still to delete after their key was destroyed (a failed delete is retried).
        e.HasIndex(r => r.DestroyedAt).HasFilter("destroyed_at IS NOT NULL AND storage_key IS NOT NULL").HasDatabaseName("ix_archived_recordings_files_to_delete");
    }
}

internal sealed class LegalHoldConfiguration : IEntityTypeConfiguration<LegalHold>
{
    public void Configure(EntityTypeBuilder<LegalHold> e)
    {
        e.ToTable("legal_holds");
        e.Property(h => h.Reason).HasMaxLength(500);
        e.Property(h => h.PlacedBy).HasMaxLength(32);
        e.Property(h => h.ReleasedBy).HasMaxLength(32);
        e.HasMany(h => h.Calls).WithOne().HasForeignKey(c => c.HoldId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class LegalHoldCallConfiguration : IEntityTypeConfiguration<LegalHoldCall>
{
    public void Configure(EntityTypeBuilder<LegalHoldCall> e)
    {
        e.ToTable("legal_hold_calls");
        e.HasKey(c => new { c.HoldId, c.CallSid });
        e.Property(c => c.CallSid).HasMaxLength(64);
        e.HasIndex(c => c.CallSid);
    }
}

internal sealed class RecordingAccessEntryConfiguration : IEntityTypeConfiguration<RecordingAccessEntry>
{
    public void Configure(EntityTypeBuilder<RecordingAccessEntry> e)
    {
        e.ToTable("recording_access_log");
        e.Property(a => a.WorkNumber).HasMaxLength(32);
        e.Property(a => a.Role).HasMaxLength(16);
        e.Property(a => a.Action).HasMaxLength(16);
        e.Property(a => a.CallSid).HasMaxLength(64);
        e.Property(a => a.Result).HasMaxLength(16);
        e.Property(a => a.RemoteAddress).HasMaxLength(64);
        e.Property(a => a.UserAgent).HasMaxLength(300);
        e.Property(a => a.Details).HasMaxLength(300);
        e.HasIndex(a => a.OccurredAt);
        e.HasIndex(a => a.ArchiveNumber);
    }
}
