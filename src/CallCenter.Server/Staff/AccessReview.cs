using System.Globalization;
using System.Text;
using CallCenter.Server.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Staff;

/// <summary>
/// The periodic access review (requirements: role-based access with periodic review): every account with its role,
/// permission level, last sign-in and second factor, plus what a reviewer should look at.
/// </summary>
public static class AccessReview
{
    /// <summary>One account. Findings are what needs a reviewer's decision: "never signed in", "no sign-in for N days",
    /// "second factor required but not enrolled", "password expired", "locked".</summary>
    public sealed record Row(string WorkNumber, string DisplayName, StaffRole Role, int PermissionLevel, DateTimeOffset CreatedAt,
        DateTimeOffset? LastLoginAt, int? DaysSinceLastLogin, string SecondFactor, int RecoveryCodesLeft, DateTimeOffset PasswordChangedAt,
        bool Locked, bool Disabled, IReadOnlyList<string> Findings);

    public sealed record Report(DateTimeOffset GeneratedAt, int InactiveAfterDays, IReadOnlyList<Row> Staff);

    public static async Task<Results<Ok<Report>, FileContentHttpResult>> GetAsync(CallCenterDbContext db, TimeProvider clock,
        IOptions<StaffOptions> options, CancellationToken ct, string? format = null, int inactiveDays = 90)
    {
        var report = await BuildAsync(db, clock.GetUtcNow(), options.Value, inactiveDays, ct);
        if (string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase))
            return TypedResults.File(Encoding.UTF8.GetBytes(ToCsv(report)), "text/csv; charset=utf-8",
                $"access-review-{report.GeneratedAt:yyyy-MM-dd}.csv");
        return TypedResults.Ok(report);
    }

    public static async Task<Report> BuildAsync(CallCenterDbContext db, DateTimeOffset now, StaffOptions policy, int inactiveDays, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(policy);
        var members = await db.StaffMembers.AsNoTracking().OrderBy(m => m.Role).ThenBy(m => m.WorkNumber).ToListAsync(ct);
        var codesLeft = await db.Set<StaffRecoveryCode>().Where(c => c.UsedAt == null)
            .GroupBy(c => c.StaffMemberId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var rows = members.Select(m =>
        {
            var findings = new List<string>();
            int? idle = m.LastLoginAt is { } last ? (int)(now - last).TotalDays : null;
            if (m.LastLoginAt is null) findings.Add("never signed in");
            else if (idle >= inactiveDays) findings.Add($"no sign-in for {idle} days");
            var required = policy.RequiresSecondFactor(m.Role);
            if (required && !m.HasSecondFactor) findings.Add("second factor required but not enrolled");
            if (m.PasswordExpired(now, policy.PasswordMaxAge)) findings.Add("password expired");
            if (m.IsLocked(now)) findings.Add("locked");
            var factor = m.HasSecondFactor ? "enrolled" : required ? "missing" : "not required";
            return new Row(m.WorkNumber, m.DisplayName, m.Role, m.PermissionLevel, m.CreatedAt, m.LastLoginAt, idle, factor,
                codesLeft.GetValueOrDefault(m.Id), m.PasswordChangedAt, m.IsLocked(now), m.Disabled, findings);
        }).ToList();
        return new Report(now, inactiveDays, rows);
    }

    public static string ToCsv(Report report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var csv = new StringBuilder("work_number,display_name,role,permission_level,created_at,last_login_at,days_since_last_login,second_factor,recovery_codes_left,password_changed_at,locked,disabled,findings\n");
        foreach (var r in report.Staff)
        {
            csv.AppendJoin(',', Field(r.WorkNumber), Field(r.DisplayName), r.Role, r.PermissionLevel.ToString(CultureInfo.InvariantCulture),
                r.CreatedAt.ToString("o", CultureInfo.InvariantCulture), r.LastLoginAt?.ToString("o", CultureInfo.InvariantCulture) ?? "",
                r.DaysSinceLastLogin?.ToString(CultureInfo.InvariantCulture) ?? "", r.SecondFactor, r.RecoveryCodesLeft.ToString(CultureInfo.InvariantCulture),
                r.PasswordChangedAt.ToString("o", CultureInfo.InvariantCulture), r.Locked ? "true" : "false", r.Disabled ? "true" : "false",
                Field(string.Join("; ", r.Findings)));
            csv.Append('\n');
        }
        return csv.ToString();
    }

    // Quotes every text field, and defuses a leading = + - @ so a spreadsheet never runs it as a formula.
    private static string Field(string value) =>
        "\"" + (value.Length > 0 && "=+-@".Contains(value[0], StringComparison.Ordinal) ? "'" + value : value).Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
