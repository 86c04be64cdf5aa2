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

    /// <summary>The confirmed TOTP secret (RFC 6238); null until the member has enrolled an authenticator.</summary>
    public byte[]? TotpSecret { get; private set; }
    public DateTimeOffset? TotpEnrolledAt { get; private set; }
    /// <summary>The last time step whose code signed this member in; that code and older ones are refused as replays.</summary>
    public long? TotpLastUsedStep { get; private set; }
    /// <summary>A secret shown at enrolment, waiting for the first code that proves the app has it.</summary>
    public byte[]? TotpPendingSecret { get; private set; }

    public bool HasSecondFactor => TotpEnrolledAt is not null;

    public void BeginTotpEnrolment(byte[] secret) => TotpPendingSecret = secret;

    public void ConfirmTotpEnrolment(DateTimeOffset now, long? usedStep)
    {
        TotpSecret = TotpPendingSecret ?? throw new InvalidOperationException("No enrolment in progress.");
        TotpPendingSecret = null;
        TotpEnrolledAt = now;
        TotpLastUsedStep = usedStep;
    }

    /// <summary>An administrator's reset (lost phone): the member enrols again at the next sign-in.</summary>
    public void ResetTotp()
    {
        TotpSecret = null;
        TotpPendingSecret = null;
        TotpEnrolledAt = null;
        TotpLastUsedStep = null;
    }

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
