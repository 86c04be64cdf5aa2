using CallCenter.Server.Audit;
using CallCenter.Server.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Staff;

/// <summary>Why a login did not go through.</summary>
public enum LoginRefusal
{
    None,
    WrongCredentials,
    Locked,
    Disabled,
    /// <summary>Password right; the member has an authenticator and sent no code.</summary>
    SecondFactorRequired,
    WrongSecondFactor,
    /// <summary>A code already used (same time step, or a spent recovery code).</summary>
    ReplayedSecondFactor,
}

/// <summary>The result of a login attempt: the member on success, and whether they must change their password first.</summary>
public sealed record LoginOutcome(StaffMember? Member, LoginRefusal Refusal, bool MustChangePassword, DateTimeOffset? LockedUntil,
    SecondFactorState SecondFactor = SecondFactorState.NotRequired);

/// <summary>Password checks, lockout and password changes for staff accounts, each written to the operation log.</summary>
public sealed class StaffAccounts(CallCenterDbContext db, IPasswordHasher<StaffMember> hasher, IOptions<StaffOptions> options, TimeProvider clock,
    StaffSecondFactor secondFactor)
{
    private StaffOptions Policy => options.Value;

    /// <summary>
    /// Password, then (for a member with an authenticator) the one-time code: a TOTP code or a recovery code. A
    /// missing code costs nothing; a wrong or replayed one counts as a failed login towards the lockout, since six
    /// digits are otherwise easy to guess.
    /// </summary>
    public async Task<LoginOutcome> LoginAsync(string workNumber, string password, string? oneTimeCode, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var member = await db.StaffMembers.SingleOrDefaultAsync(m => m.WorkNumber == workNumber, ct);
        if (member is null)
        {
            // Same answer as a wrong password, so work numbers cannot be probed.
            Log(now, "anonymous", "staff.login", workNumber, "refused", "unknown work number");
            await db.SaveChangesAsync(ct);
            return new(null, LoginRefusal.WrongCredentials, false, null);
        }
        if (member.Disabled)
        {
            Log(now, workNumber, "staff.login", workNumber, "refused", "account disabled");
            await db.SaveChangesAsync(ct);
            return new(null, LoginRefusal.Disabled, false, null);
        }
        if (member.IsLocked(now))
        {
            Log(now, workNumber, "staff.login", workNumber, "refused", "account locked");
            await db.SaveChangesAsync(ct);
            return new(null, LoginRefusal.Locked, false, member.LockedUntil);
        }

        var verdict = hasher.VerifyHashedPassword(member, member.PasswordHash, password);
        if (verdict == PasswordVerificationResult.Failed)
        {
            member.RecordFailedLogin(now, Policy.MaxFailedLogins, Policy.LockoutDuration);
            Log(now, workNumber, "staff.login", workNumber, "refused", member.LockedUntil is null ? "wrong password" : "wrong password; account locked");
            await db.SaveChangesAsync(ct);
            return new(null, member.LockedUntil is null ? LoginRefusal.WrongCredentials : LoginRefusal.Locked, false, member.LockedUntil);
        }
        var factor = Policy.RequiresSecondFactor(member.Role) ? SecondFactorState.EnrolmentRequired : SecondFactorState.NotRequired;
        if (member.HasSecondFactor)
        {
            var code = await secondFactor.VerifyAsync(member, oneTimeCode, ct);
            if (code != OneTimeCodeVerdict.Accepted)
            {
                if (code == OneTimeCodeVerdict.Missing)
                    Log(now, workNumber, "staff.login", workNumber, "refused", "one-time code required");
                else
                {
                    member.RecordFailedLogin(now, Policy.MaxFailedLogins, Policy.LockoutDuration);
                    var why = code == OneTimeCodeVerdict.Replayed ? "replayed one-time code" : "wrong one-time code";
                    Log(now, workNumber, "staff.login", workNumber, "refused", member.LockedUntil is null ? why : why + "; account locked");
                }
                await db.SaveChangesAsync(ct);
                if (member.LockedUntil is not null) return new(null, LoginRefusal.Locked, false, member.LockedUntil);
                return new(null, code switch
                {
                    OneTimeCodeVerdict.Missing => LoginRefusal.SecondFactorRequired,
                    OneTimeCodeVerdict.Replayed => LoginRefusal.ReplayedSecondFactor,
                    _ => LoginRefusal.WrongSecondFactor,
                }, false, null);
            }
            factor = SecondFactorState.Verified;
        }
        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
            member.SetPassword(hasher.HashPassword(member, password), member.PasswordChangedAt, chosenByUser: !member.MustChangePassword);

        member.RecordLogin(now);
        var mustChange = member.MustChangePassword || member.PasswordExpired(now, Policy.PasswordMaxAge);
        var details = string.Join("; ", new[]
        {
            mustChange ? "password change required" : null,
            factor == SecondFactorState.Verified ? "one-time code verified" : null,
            factor == SecondFactorState.EnrolmentRequired ? "second factor enrolment required" : null,
        }.Where(d => d is not null));
        Log(now, workNumber, "staff.login", workNumber, "succeeded", details.Length == 0 ? null : details);
        await db.SaveChangesAsync(ct);
        return new(member, LoginRefusal.None, mustChange, null, factor);
    }

    /// <summary>Changes the caller's own password; returns the policy problems, empty on success.</summary>
    public async Task<IReadOnlyList<string>> ChangePasswordAsync(string workNumber, string current, string next, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var member = await db.StaffMembers.SingleAsync(m => m.WorkNumber == workNumber, ct);
        var problems = new List<string>();
        if (hasher.VerifyHashedPassword(member, member.PasswordHash, current) == PasswordVerificationResult.Failed)
            problems.Add("current password is wrong");
        problems.AddRange(PasswordPolicy.Check(next, Policy.MinPasswordLength, workNumber));
        if (next == current) problems.Add("must differ from the current password");
        if (problems.Count > 0)
        {
            Log(now, workNumber, "staff.password_change", workNumber, "refused", string.Join("; ", problems));
            await db.SaveChangesAsync(ct);
            return problems;
        }
        member.SetPassword(hasher.HashPassword(member, next), now, chosenByUser: true);
        Log(now, workNumber, "staff.password_change", workNumber, "succeeded", null);
        await db.SaveChangesAsync(ct);
        return [];
    }

    /// <summary>Creates an account with an initial password that must be changed at first login.</summary>
    public async Task<(StaffMember? Member, IReadOnlyList<string> Problems)> CreateAsync(
        string operatorWorkNumber, string workNumber, string displayName, StaffRole role, int permissionLevel, string initialPassword, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var problems = PasswordPolicy.Check(initialPassword, Policy.MinPasswordLength, workNumber).ToList();
        if (permissionLevel is < 1 or > 3) problems.Add("permission level must be 1, 2 or 3");
        if (await db.StaffMembers.AnyAsync(m => m.WorkNumber == workNumber, ct)) problems.Add($"work number {workNumber} already exists");
        if (problems.Count > 0) return (null, problems);

        var member = new StaffMember { WorkNumber = workNumber, DisplayName = displayName, Role = role, PermissionLevel = permissionLevel, CreatedAt = now };
        member.SetPassword(hasher.HashPassword(member, initialPassword), now, chosenByUser: false);
        db.StaffMembers.Add(member);
        Log(now, operatorWorkNumber, "staff.create", workNumber, "succeeded", $"role={role}; level={permissionLevel}");
        await db.SaveChangesAsync(ct);
        return (member, []);
    }

    private void Log(DateTimeOffset now, string who, string action, string target, string result, string? details) =>
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = action, Target = target, Result = result, Details = details });
}
