using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace CallCenter.Server.Staff;

/// <summary>Cookie sessions for the consoles and the role policies every non-Twilio endpoint uses.</summary>
public static class StaffAuthentication
{
    public const string PasswordCurrentClaim = "password_current";

    /// <summary>Any logged-in staff member whose password is current.</summary>
    public const string StaffPolicy = "staff";
    public const string SupervisorPolicy = "supervisor";
    public const string AdminPolicy = "admin";
    /// <summary>Logged in, even with a password that must be changed first.</summary>
    public const string SessionPolicy = "session";

    public static IServiceCollection AddStaffAuthentication(this IServiceCollection services)
    {
        services.AddOptions<StaffOptions>().BindConfiguration(StaffOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<StaffAccounts>();
        services.AddSingleton<IPasswordHasher<StaffMember>, PasswordHasher<StaffMember>>();

        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = "callcenter.session";
                o.Cookie.HttpOnly = true;
                // Strict same-site cookies are the CSRF defence for the JSON APIs.
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.SlidingExpiration = true;
                // APIs answer 401/403 with problem details instead of redirecting to a login page.
                o.Events.OnRedirectToLogin = ctx => WriteProblemAsync(ctx.HttpContext, StatusCodes.Status401Unauthorized, "Login required");
                o.Events.OnRedirectToAccessDenied = ctx => WriteProblemAsync(ctx.HttpContext, StatusCodes.Status403Forbidden, "Not allowed for your role or until your password is changed");
            });
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<Microsoft.Extensions.Options.IOptions<StaffOptions>>((cookie, staff) => cookie.ExpireTimeSpan = staff.Value.SessionIdleTimeout);

        services.AddAuthorizationBuilder()
            .AddPolicy(SessionPolicy, p => p.RequireAuthenticatedUser())
            .AddPolicy(StaffPolicy, p => p.RequireAuthenticatedUser().RequireClaim(PasswordCurrentClaim, "true"))
            .AddPolicy(SupervisorPolicy, p => p.RequireClaim(PasswordCurrentClaim, "true").RequireRole(nameof(StaffRole.Supervisor), nameof(StaffRole.Admin)))
            .AddPolicy(AdminPolicy, p => p.RequireClaim(PasswordCurrentClaim, "true").RequireRole(nameof(StaffRole.Admin)));
        return services;
    }

    public static ClaimsPrincipal PrincipalFor(StaffMember member, bool passwordCurrent)
    {
        ArgumentNullException.ThrowIfNull(member);
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, member.WorkNumber),
            new Claim(ClaimTypes.Name, member.DisplayName),
            new Claim(ClaimTypes.Role, member.Role.ToString()),
            new Claim("permission_level", member.PermissionLevel.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim(PasswordCurrentClaim, passwordCurrent ? "true" : "false"),
        ], CookieAuthenticationDefaults.AuthenticationScheme);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>The logged-in person's work number, for the operation log.</summary>
    public static string WorkNumber(this ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? throw new InvalidOperationException("Not logged in.");

    private static Task WriteProblemAsync(HttpContext context, int status, string title)
    {
        context.Response.StatusCode = status;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = { Status = status, Title = title } }).AsTask();
    }

    /// <summary>Marks an endpoint group as needing a policy; keeps call sites short.</summary>
    public static TBuilder RequireStaff<TBuilder>(this TBuilder builder, string policy = StaffPolicy) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(new AuthorizeAttribute { Policy = policy });
}
