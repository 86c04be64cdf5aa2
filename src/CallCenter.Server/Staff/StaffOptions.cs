using System.ComponentModel.DataAnnotations;

namespace CallCenter.Server.Staff;

/// <summary>Login policy for staff accounts.</summary>
public sealed class StaffOptions
{
    public const string SectionName = "Staff";

    [Range(1, 20)]
    public int MaxFailedLogins { get; set; } = 5;

    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Passwords change periodically (requirements art. 35.2.3); 90 days unless configured.</summary>
    public TimeSpan PasswordMaxAge { get; set; } = TimeSpan.FromDays(90);

    [Range(8, 128)]
    public int MinPasswordLength { get; set; } = 10;

    /// <summary>A console session ends after this long without activity.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>A console session ends this long after sign-in however active it is (one shift plus overtime).</summary>
    [Range(typeof(TimeSpan), "00:05:00", "1.00:00:00")]
    public TimeSpan SessionAbsoluteLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>
    /// Agents need a one-time code too (requirements: multi-factor login for staff). Supervisors, QA staff and
    /// administrators always do; this switch only covers agents, so a centre can roll it out to them in stages.
    /// </summary>
    public bool RequireTotpForAgents { get; set; }

    /// <summary>The issuer authenticator apps show next to the account.</summary>
    [Required]
    public string TotpIssuer { get; set; } = "Bank Hotline";

    /// <summary>Recovery codes issued at enrolment, each usable once instead of a TOTP code.</summary>
    [Range(5, 20)]
    public int RecoveryCodeCount { get; set; } = 10;

    /// <summary>Whether a member of this role must sign in with a second factor.</summary>
    public bool RequiresSecondFactor(StaffRole role) => role != StaffRole.Agent || RequireTotpForAgents;
}
