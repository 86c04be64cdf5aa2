using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Testing;

/// <summary>Creates staff accounts with a unique work number and a known password.</summary>
public static class StaffBuilder
{
    public const string Password = "Correct-horse-42";

    public static string NewWorkNumber() => "T" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Adds a member; with <paramref name="passwordChosen"/> the first-login password change is already done.</summary>
    public static async Task<string> CreateStaffAsync(this IServiceProvider services, StaffRole role,
        bool passwordChosen = true, int permissionLevel = 1, string password = Password)
    {
        var workNumber = NewWorkNumber();
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var hasher = scope.ServiceProvider.GetRequiredService<IPasswordHasher<StaffMember>>();
        var now = scope.ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow();
        var member = new StaffMember { WorkNumber = workNumber, DisplayName = $"Test {role}", Role = role, PermissionLevel = permissionLevel, CreatedAt = now };
        member.SetPassword(hasher.HashPassword(member, password), now, chosenByUser: passwordChosen);
        db.StaffMembers.Add(member);
        await db.SaveChangesAsync();
        return workNumber;
    }
}
