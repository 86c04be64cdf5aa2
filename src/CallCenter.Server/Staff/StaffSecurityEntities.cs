using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace CallCenter.Server.Staff;

/// <summary>
/// One single-use recovery code for a member's second factor. Only its SHA-256 is stored: the codes are random
/// (50 bits), so a slow hash adds nothing, and the plain code is shown once at enrolment.
/// </summary>
public sealed class StaffRecoveryCode
{
    public long Id { get; private set; }
    public long StaffMemberId { get; init; }
    public required byte[] CodeHash { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? UsedAt { get; private set; }
}

internal sealed class StaffRecoveryCodeConfiguration : IEntityTypeConfiguration<StaffRecoveryCode>
{
    public void Configure(EntityTypeBuilder<StaffRecoveryCode> e)
    {
        e.ToTable("staff_recovery_codes");
        e.HasOne<StaffMember>().WithMany().HasForeignKey(c => c.StaffMemberId).OnDelete(DeleteBehavior.Cascade);
        e.HasIndex(c => new { c.StaffMemberId, c.CodeHash }).IsUnique();
    }
}
