namespace CallCenter.Server.Staff;

/// <summary>What a person may do in the consoles; a staff member has exactly one role.</summary>
public enum StaffRole
{
    Agent,
    Supervisor,
    Quality,
    Admin,
}

/// <summary>Anyone who can log in: a work number, a role, a permission level and a periodically changed password.</summary>
public sealed class StaffMember
{
    public long Id { get; private set; }
    public required string WorkNumber { get; init; }
    public required string DisplayName { get; set; }
    public StaffRole Role { get; set; }

    /// <summary>1–3: the highest transaction risk level this person may help with (requirements art. 35.2.2).</summary>
    public int PermissionLevel { get; set; } = 1;

    public string PasswordHash { get; private set; } = "";
    public DateTimeOffset PasswordChangedAt { get; private set; }
    /// <summary>Set for a new or reset account: the first login must choose a new password.</summary>
    public bool MustChangePassword { get; private set; } = true;
    public int FailedLogins { get; private set; }
    public DateTimeOffset? LockedUntil { get; private set; }
    public DateTimeOffset? LastLoginAt { get; private set; }
    public bool Disabled { get; set; }
    public DateTimeOffset CreatedAt { get; init; }

    public void SetPassword(string hash, DateTimeOffset now, bool chosenByUser)
    {
        PasswordHash = hash;
        PasswordChangedAt = now;
        MustChangePassword = !chosenByUser;
        FailedLogins = 0;
        LockedUntil = null;
    }

    public bool IsLocked(DateTimeOffset now) => LockedUntil is { } until && until > now;

    /// <summary>Counts a wrong password; the Nth consecutive one locks the account for the lockout period.</summary>
    public void RecordFailedLogin(DateTimeOffset now, int maxFailures, TimeSpan lockout)
    {
        FailedLogins++;
        if (FailedLogins >= maxFailures)
        {
            LockedUntil = now + lockout;
            FailedLogins = 0;
        }
    }

    public void RecordLogin(DateTimeOffset now)
    {
        FailedLogins = 0;
        LockedUntil = null;
        LastLoginAt = now;
    }

    public bool PasswordExpired(DateTimeOffset now, TimeSpan maxAge) => now - PasswordChangedAt >= maxAge;
}
