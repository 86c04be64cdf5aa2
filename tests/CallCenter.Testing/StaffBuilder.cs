using System.Collections.Concurrent;
using System.Net.Http.Json;
using CallCenter.Core.Security;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Testing;

/// <summary>
/// Creates staff accounts with a unique work number and a known password. Roles that need a second factor
/// (supervisors, QA, administrators) are enrolled with <see cref="TotpSecret"/> and known recovery codes, and
/// <see cref="OneTimeCode"/> hands out codes the server has not seen yet, even when a test's clock stands still.
/// </summary>
public static class StaffBuilder
{
    public const string Password = "Correct-horse-42";

    /// <summary>The authenticator secret of every enrolled test member (RFC 6238's SHA-1 test seed).</summary>
    public static readonly byte[] TotpSecret = "12345678901234567890"u8.ToArray();

    private static readonly ConcurrentDictionary<string, Authenticator> Authenticators = new();

    public static string NewWorkNumber() => "T" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Adds a member; with <paramref name="passwordChosen"/> the first-login password change is already done. With
    /// <paramref name="secondFactor"/> (default: when the role needs one) the member has an enrolled authenticator.
    /// </summary>
    public static async Task<string> CreateStaffAsync(this IServiceProvider services, StaffRole role,
        bool passwordChosen = true, int permissionLevel = 1, string password = Password, bool? secondFactor = null)
    {
        var workNumber = NewWorkNumber();
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var hasher = scope.ServiceProvider.GetRequiredService<IPasswordHasher<StaffMember>>();
        var clock = scope.ServiceProvider.GetRequiredService<TimeProvider>();
        var now = clock.GetUtcNow();
        var member = new StaffMember { WorkNumber = workNumber, DisplayName = $"Test {role}", Role = role, PermissionLevel = permissionLevel, CreatedAt = now };
        member.SetPassword(hasher.HashPassword(member, password), now, chosenByUser: passwordChosen);
        if (secondFactor ?? role != StaffRole.Agent)
        {
            member.BeginTotpEnrolment(TotpSecret);
            member.ConfirmTotpEnrolment(now, usedStep: null);
        }
        db.StaffMembers.Add(member);
        await db.SaveChangesAsync();
        if (member.HasSecondFactor)
        {
            foreach (var code in RecoveryCodes(workNumber))
                db.Set<StaffRecoveryCode>().Add(new StaffRecoveryCode { StaffMemberId = member.Id, CodeHash = StaffSecondFactor.HashRecoveryCode(code), CreatedAt = now });
            await db.SaveChangesAsync();
            Authenticators[workNumber] = new Authenticator(clock, workNumber);
        }
        return workNumber;
    }

    /// <summary>The ten recovery codes a test member was enrolled with.</summary>
    public static IReadOnlyList<string> RecoveryCodes(string workNumber) =>
        [.. Enumerable.Range(0, 10).Select(i => $"rc{i}{workNumber.ToLowerInvariant()}")];

    /// <summary>
    /// A code that signs <paramref name="workNumber"/> in now: a TOTP code of a step after the last one handed out
    /// (within the server's ±1 step window), else an unused recovery code; null for a member without a second factor.
    /// </summary>
    public static string? OneTimeCode(string workNumber) => Authenticators.TryGetValue(workNumber, out var a) ? a.Next() : null;

    /// <summary>POST /api/auth/login with the password and, when the member has a second factor, a fresh one-time code.</summary>
    public static Task<HttpResponseMessage> LoginAsync(HttpClient client, string workNumber, string password = Password) =>
        client.PostAsJsonAsync("/api/auth/login", new { workNumber, password, oneTimeCode = OneTimeCode(workNumber) });

    private sealed class Authenticator(TimeProvider clock, string workNumber)
    {
        private readonly Lock _lock = new();
        private long? _lastStep;
        private int _recoveryUsed;

        public string Next()
        {
            lock (_lock)
            {
                var now = Totp.StepAt(clock.GetUtcNow());
                var step = Math.Max(now - 1, (_lastStep ?? long.MinValue) + 1);
                if (step <= now + 1)
                {
                    _lastStep = step;
                    return Totp.Code(TotpSecret, step);
                }
                return RecoveryCodes(workNumber)[_recoveryUsed++];
            }
        }
    }
}
