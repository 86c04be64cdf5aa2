using System.ComponentModel.DataAnnotations;
using CallCenter.Server.Data;
using CallCenter.Server.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Staff;

/// <summary>Login, logout, password change and the staff directory for the consoles.</summary>
public static class StaffApi
{
    /// <summary>A sign-in; OneTimeCode is the authenticator's 6-digit code or a recovery code, needed once the member has enrolled.</summary>
    public sealed record LoginRequest([Required] string WorkNumber, [Required] string Password, string? OneTimeCode = null);

    public sealed record SessionInfo(string WorkNumber, string DisplayName, StaffRole Role, int PermissionLevel, bool MustChangePassword,
        SecondFactorState SecondFactor = SecondFactorState.NotRequired);

    public sealed record TotpConfirmRequest([Required] string Code);

    /// <summary>Shown once at enrolment: type the secret or scan the URI (also as an SVG QR code).</summary>
    public sealed record TotpEnrolmentView(string Secret, string OtpauthUri, string QrSvg);

    /// <summary>Shown once: each code signs in one time in place of the authenticator.</summary>
    public sealed record RecoveryCodesView(IReadOnlyList<string> RecoveryCodes);

    public sealed record ChangePasswordRequest([Required] string CurrentPassword, [Required] string NewPassword);

    public sealed record CreateStaffRequest(
        [Required] string WorkNumber, [Required] string DisplayName, StaffRole Role, int PermissionLevel, [Required] string InitialPassword);

    /// <summary>A row of the periodic access review: who holds which role and level, and when they last logged in.</summary>
    public sealed record StaffSummary(string WorkNumber, string DisplayName, StaffRole Role, int PermissionLevel,
        DateTimeOffset? LastLoginAt, DateTimeOffset PasswordChangedAt, bool Locked, bool Disabled);

    public static IEndpointRouteBuilder MapStaffApi(this IEndpointRouteBuilder routes)
    {
        var auth = routes.MapGroup("/api/auth").WithTags("Authentication");
        auth.MapPost("/login", LoginAsync).WithName("Login").AllowAnonymous().RequireRateLimiting(RequestRateLimits.Login);
        auth.MapPost("/logout", (Delegate)LogoutAsync).WithName("Logout").RequireStaff(StaffAuthentication.SessionPolicy);
        auth.MapGet("/me", Me).WithName("CurrentSession").RequireStaff(StaffAuthentication.SessionPolicy);
        auth.MapPost("/password", ChangePasswordAsync).WithName("ChangePassword").RequireStaff(StaffAuthentication.SessionPolicy);
        auth.MapPost("/totp/enrol", BeginTotpEnrolmentAsync).WithName("BeginTotpEnrolment").RequireStaff(StaffAuthentication.EnrolmentPolicy);
        auth.MapPost("/totp/confirm", ConfirmTotpEnrolmentAsync).WithName("ConfirmTotpEnrolment").RequireStaff(StaffAuthentication.EnrolmentPolicy);

        var staff = routes.MapGroup("/api/staff").WithTags("Staff").RequireStaff(StaffAuthentication.AdminPolicy);
        staff.MapGet("/", ListAsync).WithName("ListStaff");
        staff.MapPost("/", CreateAsync).WithName("CreateStaff");
        staff.MapGet("/access-review", AccessReview.GetAsync).WithName("AccessReview");
        staff.MapPost("/{workNumber}/totp/reset", ResetTotpAsync).WithName("ResetStaffTotp");
        return routes;
    }

    private static async Task<Results<Ok<SessionInfo>, ProblemHttpResult>> LoginAsync(
        LoginRequest request, StaffAccounts accounts, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        var outcome = await accounts.LoginAsync(request.WorkNumber, request.Password, request.OneTimeCode, ct);
        if (outcome.Member is not { } member)
        {
            return outcome.Refusal switch
            {
                LoginRefusal.Locked => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Account locked",
                    detail: $"Too many wrong passwords; try again after {outcome.LockedUntil:u} or ask an administrator."),
                LoginRefusal.Disabled => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Account disabled"),
                LoginRefusal.SecondFactorRequired => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "One-time code required",
                    detail: "Enter the 6-digit code from your authenticator app, or a recovery code.",
                    extensions: new Dictionary<string, object?> { ["secondFactor"] = "totp" }),
                LoginRefusal.WrongSecondFactor => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wrong one-time code",
                    extensions: new Dictionary<string, object?> { ["secondFactor"] = "totp" }),
                LoginRefusal.ReplayedSecondFactor => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "One-time code already used",
                    detail: "Each code signs in once; wait for the next code.", extensions: new Dictionary<string, object?> { ["secondFactor"] = "totp" }),
                _ => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Wrong work number or password"),
            };
        }
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            StaffAuthentication.PrincipalFor(member, !outcome.MustChangePassword, outcome.SecondFactor, clock.GetUtcNow()));
        return TypedResults.Ok(new SessionInfo(member.WorkNumber, member.DisplayName, member.Role, member.PermissionLevel, outcome.MustChangePassword,
            outcome.SecondFactor));
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
            user.FindFirst(StaffAuthentication.PasswordCurrentClaim)?.Value != "true", StaffAuthentication.SecondFactorOf(user)));
    }

    private static async Task<Results<NoContent, ValidationProblem>> ChangePasswordAsync(
        ChangePasswordRequest request, StaffAccounts accounts, CallCenterDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        var workNumber = http.User.WorkNumber();
        var problems = await accounts.ChangePasswordAsync(workNumber, request.CurrentPassword, request.NewPassword, ct);
        if (problems.Count > 0)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["newPassword"] = [.. problems] }, title: "Password not changed");
        var member = await db.StaffMembers.AsNoTracking().SingleAsync(m => m.WorkNumber == workNumber, ct);
        // A fresh cookie: the session now carries a current password.
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            StaffAuthentication.Renewed(http.User, member, passwordCurrent: true, StaffAuthentication.SecondFactorOf(http.User), clock.GetUtcNow()));
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<TotpEnrolmentView>, ProblemHttpResult>> BeginTotpEnrolmentAsync(
        StaffSecondFactor secondFactor, HttpContext http, CancellationToken ct)
    {
        var enrolment = await secondFactor.BeginEnrolmentAsync(http.User.WorkNumber(), ct);
        if (enrolment is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Authenticator already enrolled",
                detail: "An administrator resets the second factor when a phone is lost.");
        return TypedResults.Ok(new TotpEnrolmentView(enrolment.Secret, enrolment.Uri, QrCodes.Svg(enrolment.Uri)));
    }

    private static async Task<Results<Ok<RecoveryCodesView>, ProblemHttpResult>> ConfirmTotpEnrolmentAsync(
        TotpConfirmRequest request, StaffSecondFactor secondFactor, CallCenterDbContext db, HttpContext http, TimeProvider clock, CancellationToken ct)
    {
        var workNumber = http.User.WorkNumber();
        var codes = await secondFactor.ConfirmEnrolmentAsync(workNumber, request.Code, ct);
        if (codes is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Wrong one-time code",
                detail: "Start enrolment first, then enter the code your authenticator app shows for this account.");
        var member = await db.StaffMembers.AsNoTracking().SingleAsync(m => m.WorkNumber == workNumber, ct);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            StaffAuthentication.Renewed(http.User, member, passwordCurrent: true, SecondFactorState.Verified, clock.GetUtcNow()));
        return TypedResults.Ok(new RecoveryCodesView(codes));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> ResetTotpAsync(
        string workNumber, StaffSecondFactor secondFactor, HttpContext http, CancellationToken ct)
    {
        if (!await secondFactor.ResetAsync(http.User.WorkNumber(), workNumber, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No staff member {workNumber}");
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
