using System.ComponentModel.DataAnnotations;
using CallCenter.Server.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Staff;

/// <summary>Login, logout, password change and the staff directory for the consoles.</summary>
public static class StaffApi
{
    public sealed record LoginRequest([Required] string WorkNumber, [Required] string Password);

    public sealed record SessionInfo(string WorkNumber, string DisplayName, StaffRole Role, int PermissionLevel, bool MustChangePassword);

    public sealed record ChangePasswordRequest([Required] string CurrentPassword, [Required] string NewPassword);

    public sealed record CreateStaffRequest(
        [Required] string WorkNumber, [Required] string DisplayName, StaffRole Role, int PermissionLevel, [Required] string InitialPassword);

    /// <summary>A row of the periodic access review: who holds which role and level, and when they last logged in.</summary>
    public sealed record StaffSummary(string WorkNumber, string DisplayName, StaffRole Role, int PermissionLevel,
        DateTimeOffset? LastLoginAt, DateTimeOffset PasswordChangedAt, bool Locked, bool Disabled);

    public static IEndpointRouteBuilder MapStaffApi(this IEndpointRouteBuilder routes)
    {
        var auth = routes.MapGroup("/api/auth").WithTags("Authentication");
        auth.MapPost("/login", LoginAsync).WithName("Login").AllowAnonymous();
        auth.MapPost("/logout", (Delegate)LogoutAsync).WithName("Logout").RequireStaff(StaffAuthentication.SessionPolicy);
        auth.MapGet("/me", Me).WithName("CurrentSession").RequireStaff(StaffAuthentication.SessionPolicy);
        auth.MapPost("/password", ChangePasswordAsync).WithName("ChangePassword").RequireStaff(StaffAuthentication.SessionPolicy);

        var staff = routes.MapGroup("/api/staff").WithTags("Staff").RequireStaff(StaffAuthentication.AdminPolicy);
        staff.MapGet("/", ListAsync).WithName("ListStaff");
        staff.MapPost("/", CreateAsync).WithName("CreateStaff");
        return routes;
    }

    private static async Task<Results<Ok<SessionInfo>, ProblemHttpResult>> LoginAsync(
        LoginRequest request, StaffAccounts accounts, HttpContext http, CancellationToken ct)
    {
        var outcome = await accounts.LoginAsync(request.WorkNumber, request.Password, ct);
        if (outcome.Member is not { } member)
        {
            return outcome.Refusal switch
            {
                LoginRefusal.Locked => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Account locked",
                    detail: $"Too many wrong passwords; try again after {outcome.LockedUntil:u} or ask an administrator."),
                LoginRefusal.Disabled => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Account disabled"),
                _ => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wrong work number or password"),
            };
        }
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, StaffAuthentication.PrincipalFor(member, !outcome.MustChangePassword));
        return TypedResults.Ok(new SessionInfo(member.WorkNumber, member.DisplayName, member.Role, member.PermissionLevel, outcome.MustChangePassword));
    }

    private static async Task<NoContent> LogoutAsync(HttpContext http)
    {
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.NoContent();
    }

    private static Ok<SessionInfo> Me(HttpContext http)
    {
        var user = http.User;
        return TypedResults.Ok(new SessionInfo(user.WorkNumber(), user.Identity?.Name ?? "",
            Enum.Parse<StaffRole>(user.FindFirst(System.Security.Claims.ClaimTypes.Role)!.Value),
            int.Parse(user.FindFirst("permission_level")!.Value, System.Globalization.CultureInfo.InvariantCulture),
            user.FindFirst(StaffAuthentication.PasswordCurrentClaim)?.Value != "true"));
    }

    private static async Task<Results<NoContent, ValidationProblem>> ChangePasswordAsync(
        ChangePasswordRequest request, StaffAccounts accounts, CallCenterDbContext db, HttpContext http, CancellationToken ct)
    {
        var workNumber = http.User.WorkNumber();
        var problems = await accounts.ChangePasswordAsync(workNumber, request.CurrentPassword, request.NewPassword, ct);
        if (problems.Count > 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["newPassword"] = [.. problems] }, title: "Password not changed");
        var member = await db.StaffMembers.AsNoTracking().SingleAsync(m => m.WorkNumber == workNumber, ct);
        // A fresh cookie: the session now carries a current password.
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, StaffAuthentication.PrincipalFor(member, passwordCurrent: true));
        return TypedResults.NoContent();
    }

    private static async Task<Ok<List<StaffSummary>>> ListAsync(CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var members = await db.StaffMembers.AsNoTracking().OrderBy(m => m.WorkNumber).ToListAsync(ct);
        return TypedResults.Ok(members.Select(m => new StaffSummary(m.WorkNumber, m.DisplayName, m.Role, m.PermissionLevel,
            m.LastLoginAt, m.PasswordChangedAt, m.IsLocked(now), m.Disabled)).ToList());
    }

    private static async Task<Results<Created<StaffSummary>, ValidationProblem>> CreateAsync(
        CreateStaffRequest request, StaffAccounts accounts, HttpContext http, CancellationToken ct)
    {
        var (member, problems) = await accounts.CreateAsync(http.User.WorkNumber(), request.WorkNumber, request.DisplayName,
            request.Role, request.PermissionLevel, request.InitialPassword, ct);
        if (member is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["staff"] = [.. problems] }, title: "Staff member not created");
        return TypedResults.Created($"/api/staff/{member.WorkNumber}", new StaffSummary(member.WorkNumber, member.DisplayName,
            member.Role, member.PermissionLevel, null, member.PasswordChangedAt, false, false));
    }
}
