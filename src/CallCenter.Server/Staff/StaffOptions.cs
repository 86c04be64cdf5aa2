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
}
