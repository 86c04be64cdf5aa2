using System.Security.Cryptography;
using System.Text;
using CallCenter.Core.Security;
using CallCenter.Server.Audit;
using CallCenter.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Staff;

/// <summary>Where a session stands on the second factor; carried in the session cookie.</summary>
public enum SecondFactorState
{
    /// <summary>This member's role needs none and they have not enrolled one.</summary>
    NotRequired,
    Verified,
    /// <summary>Signed in with the password only: the session may enrol an authenticator and nothing else.</summary>
    EnrolmentRequired,
}

/// <summary>How a one-time code at sign-in was judged.</summary>
public enum OneTimeCodeVerdict
{
    Accepted,
    Missing,
    Wrong,
    Replayed,
}

/// <summary>What enrolment shows once: the secret for typing in, the otpauth URI (and its QR code) for scanning.</summary>
public sealed record TotpEnrolment(string Secret, string Uri);

/// <summary>
/// TOTP second factor for staff (RFC 6238, <see cref="Totp"/>): enrolment with a confirming code, sign-in codes
/// that are single use (the last used step is advanced atomically in the database, so two requests racing with
/// the same code cannot both pass), and single-use recovery codes. Every outcome goes to the operation log.
/// </summary>
public sealed class StaffSecondFactor(CallCenterDbContext db, IOptions<StaffOptions> options, TimeProvider clock)
{
    private const string RecoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789";

    /// <summary>Checks a TOTP or recovery code for an enrolled member; the caller saves the logged outcome.</summary>
    public async Task<OneTimeCodeVerdict> VerifyAsync(StaffMember member, string? code, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(member);
        var now = clock.GetUtcNow();
        if (string.IsNullOrWhiteSpace(code)) return OneTimeCodeVerdict.Missing;
        var trimmed = code.Trim();
        if (trimmed.Any(char.IsAsciiLetter)) return await UseRecoveryCodeAsync(member, trimmed, now, ct);

        var check = Totp.Verify(member.TotpSecret, trimmed, now, member.TotpLastUsedStep);
        if (check.Verdict == TotpVerdict.Wrong) return OneTimeCodeVerdict.Wrong;
        if (check.Verdict == TotpVerdict.Replayed) return OneTimeCodeVerdict.Replayed;
        var step = check.MatchedStep!.Value;
        // Compare-and-set: a concurrent sign-in with the same code finds the step already taken.
        var advanced = await db.StaffMembers
            .Where(m => m.Id == member.Id && (m.TotpLastUsedStep == null || m.TotpLastUsedStep < step))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.TotpLastUsedStep, step), ct);
        if (advanced == 0) return OneTimeCodeVerdict.Replayed;
        return OneTimeCodeVerdict.Accepted;
    }

    private async Task<OneTimeCodeVerdict> UseRecoveryCodeAsync(StaffMember member, string code, DateTimeOffset now, CancellationToken ct)
    {
        var hash = HashRecoveryCode(code);
        var used = await db.Set<StaffRecoveryCode>()
            .Where(c => c.StaffMemberId == member.Id && c.CodeHash == hash && c.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, now), ct);
        if (used == 1) return OneTimeCodeVerdict.Accepted;
        var spent = await db.Set<StaffRecoveryCode>().AnyAsync(c => c.StaffMemberId == member.Id && c.CodeHash == hash, ct);
        return spent ? OneTimeCodeVerdict.Replayed : OneTimeCodeVerdict.Wrong;
    }

    /// <summary>Starts (or restarts) enrolment: a new secret, shown once, waiting for a confirming code.</summary>
    public async Task<TotpEnrolment?> BeginEnrolmentAsync(string workNumber, CancellationToken ct)
    {
        var member = await db.StaffMembers.SingleAsync(m => m.WorkNumber == workNumber, ct);
        if (member.HasSecondFactor) return null;
        var secret = Totp.NewSecret();
        member.BeginTotpEnrolment(secret);
        Log(workNumber, "staff.totp_enrol_start", workNumber, "succeeded", null);
        await db.SaveChangesAsync(ct);
        return new TotpEnrolment(Base32.Encode(secret), Totp.EnrolmentUri(options.Value.TotpIssuer, workNumber, secret));
    }

    /// <summary>Confirms enrolment with the first code; returns the recovery codes (shown once), or null when the code is wrong.</summary>
    public async Task<IReadOnlyList<string>?> ConfirmEnrolmentAsync(string workNumber, string? code, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var member = await db.StaffMembers.SingleAsync(m => m.WorkNumber == workNumber, ct);
        if (member.TotpPendingSecret is null || member.HasSecondFactor) return null;
        var check = Totp.Verify(member.TotpPendingSecret, code, now, lastUsedStep: null);
        if (check.Verdict != TotpVerdict.Accepted)
        {
            Log(workNumber, "staff.totp_enrol", workNumber, "refused", "wrong one-time code");
            await db.SaveChangesAsync(ct);
            return null;
        }
        member.ConfirmTotpEnrolment(now, check.MatchedStep!.Value);
        var codes = await IssueRecoveryCodesAsync(member, now, ct);
        Log(workNumber, "staff.totp_enrol", workNumber, "succeeded", $"{codes.Count} recovery codes issued");
        await db.SaveChangesAsync(ct);
        return codes;
    }

    /// <summary>Enrols a member with a secret the operator already holds (provisioned token, the demo's administrator).</summary>
    public async Task EnrolWithSecretAsync(string operatorWorkNumber, StaffMember member, byte[] secret, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(member);
        member.BeginTotpEnrolment(secret);
        member.ConfirmTotpEnrolment(clock.GetUtcNow(), usedStep: null);
        Log(operatorWorkNumber, "staff.totp_enrol", member.WorkNumber, "succeeded", "secret provisioned by the operator");
        await db.SaveChangesAsync(ct);
    }

    /// <summary>An administrator's reset: the member's authenticator and recovery codes stop working.</summary>
    public async Task<bool> ResetAsync(string operatorWorkNumber, string workNumber, CancellationToken ct)
    {
        var member = await db.StaffMembers.SingleOrDefaultAsync(m => m.WorkNumber == workNumber, ct);
        if (member is null) return false;
        member.ResetTotp();
        await db.Set<StaffRecoveryCode>().Where(c => c.StaffMemberId == member.Id).ExecuteDeleteAsync(ct);
        Log(operatorWorkNumber, "staff.totp_reset", workNumber, "succeeded", null);
        await db.SaveChangesAsync(ct);
        return true;
    }

    private async Task<IReadOnlyList<string>> IssueRecoveryCodesAsync(StaffMember member, DateTimeOffset now, CancellationToken ct)
    {
        await db.Set<StaffRecoveryCode>().Where(c => c.StaffMemberId == member.Id).ExecuteDeleteAsync(ct);
        var codes = new List<string>();
        for (var i = 0; i < options.Value.RecoveryCodeCount; i++)
        {
            var code = NewRecoveryCode();
            codes.Add(code);
            db.Set<StaffRecoveryCode>().Add(new StaffRecoveryCode { StaffMemberId = member.Id, CodeHash = HashRecoveryCode(code), CreatedAt = now });
        }
        return codes;
    }

    /// <summary>Ten characters from an alphabet without look-alikes (about 50 bits), shown as xxxxx-xxxxx.</summary>
    private static string NewRecoveryCode()
    {
        var chars = new char[10];
        for (var i = 0; i < chars.Length; i++) chars[i] = RecoveryAlphabet[RandomNumberGenerator.GetInt32(RecoveryAlphabet.Length)];
        return new string(chars, 0, 5) + "-" + new string(chars, 5, 5);
    }

    public static byte[] HashRecoveryCode(string code) =>
        SHA256.HashData(Encoding.ASCII.GetBytes(code.Replace("-", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()));

    private void Log(string who, string action, string target, string result, string? details) =>
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = clock.GetUtcNow(), Operator = who, Action = action, Target = target, Result = result, Details = details });
}
