using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;

namespace CallCenter.Server.Staff;

/// <summary>Cookie sessions for the consoles and the role policies every non-Twilio endpoint uses.</summary>
public static class StaffAuthentication
{
    public const string PasswordCurrentClaim = "password_current";
    /// <summary>A <see cref="SecondFactorState"/> name: the session passed the second factor, needs none, or must enrol first.</summary>
    public const string SecondFactorClaim = "second_factor";
    /// <summary>Unix seconds of the sign-in; the session ends <see cref="StaffOptions.SessionAbsoluteLifetime"/> after it.</summary>
    public const string SignedInAtClaim = "signed_in_at";

    /// <summary>Any logged-in staff member whose password is current.</summary>
    public const string StaffPolicy = "staff";
    public const string SupervisorPolicy = "supervisor";
    public const string AdminPolicy = "admin";
    /// <summary>Logged in, even with a password that must be changed first.</summary>
    public const string SessionPolicy = "session";
    /// <summary>Password current but the second factor still to enrol: only the enrolment endpoints.</summary>
    public const string EnrolmentPolicy = "second-factor-enrolment";

    public static IServiceCollection AddStaffAuthentication(this IServiceCollection services)
    {
        services.AddOptions<StaffOptions>().BindConfiguration(StaffOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<StaffAccounts>();
        services.AddScoped<StaffSecondFactor>();
        // Every policy but the two session ones also demands a full sign-in (password current, second factor
        // passed or not required), including policies other features declare.
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationPolicyProvider, FullSignInPolicyProvider>();
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
                o.Events.OnValidatePrincipal = RejectExpiredSessionAsync;
                // APIs answer 401/403 with problem details instead of redirecting to a login page.
                o.Events.OnRedirectToLogin = ctx => WriteProblemAsync(ctx.HttpContext, StatusCodes.Status401Unauthorized, "Login required");
                o.Events.OnRedirectToAccessDenied = ctx => WriteProblemAsync(ctx.HttpContext, StatusCodes.Status403Forbidden, "Not allowed for your role or until your password is changed");
            });
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<Microsoft.Extensions.Options.IOptions<StaffOptions>>((cookie, staff) => cookie.ExpireTimeSpan = staff.Value.SessionIdleTimeout);

        services.AddAuthorizationBuilder()
            .AddPolicy(SessionPolicy, p => p.RequireAuthenticatedUser())
            .AddPolicy(EnrolmentPolicy, p => p.RequireClaim(PasswordCurrentClaim, "true"))
            .AddPolicy(StaffPolicy, p => p.RequireAuthenticatedUser().RequireClaim(PasswordCurrentClaim, "true"))
            .AddPolicy(SupervisorPolicy, p => p.RequireClaim(PasswordCurrentClaim, "true").RequireRole(nameof(StaffRole.Supervisor), nameof(StaffRole.Admin)))
            .AddPolicy(AdminPolicy, p => p.RequireClaim(PasswordCurrentClaim, "true").RequireRole(nameof(StaffRole.Admin)));
        return services;
    }

    public static ClaimsPrincipal PrincipalFor(StaffMember member, bool passwordCurrent, SecondFactorState secondFactor, DateTimeOffset signedInAt)
    {
        ArgumentNullException.ThrowIfNull(member);
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, member.WorkNumber),
            new Claim(ClaimTypes.Name, member.DisplayName),
            new Claim(ClaimTypes.Role, member.Role.ToString()),
            new Claim("permission_level", member.PermissionLevel.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim(PasswordCurrentClaim, passwordCurrent ? "true" : "false"),
            new Claim(SecondFactorClaim, secondFactor.ToString()),
            new Claim(SignedInAtClaim, signedInAt.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ], CookieAuthenticationDefaults.AuthenticationScheme);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>The same session with a new password or second-factor state; the sign-in time stays, so the absolute lifetime does not restart.</summary>
    public static ClaimsPrincipal Renewed(ClaimsPrincipal current, StaffMember member, bool passwordCurrent, SecondFactorState secondFactor, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        return PrincipalFor(member, passwordCurrent, secondFactor, SignedInAt(current) ?? now);
    }

    public static DateTimeOffset? SignedInAt(ClaimsPrincipal user) =>
        long.TryParse(user?.FindFirstValue(SignedInAtClaim), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    public static SecondFactorState SecondFactorOf(ClaimsPrincipal user) =>
        Enum.TryParse<SecondFactorState>(user?.FindFirstValue(SecondFactorClaim), out var state) ? state : SecondFactorState.EnrolmentRequired;

    /// <summary>Ends a session past its absolute lifetime, or one issued before sign-in times were recorded.</summary>
    private static async Task RejectExpiredSessionAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var lifetime = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StaffOptions>>().Value.SessionAbsoluteLifetime;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (context.Principal is { } user && SignedInAt(user) is { } at && now - at < lifetime) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
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

/// <summary>
/// Adds "fully signed in" (password current and the second factor passed or not required) to every named policy
/// except the session and enrolment ones, so no endpoint, whatever policy it names, opens to a half-signed-in session.
/// </summary>
internal sealed class FullSignInPolicyProvider(Microsoft.Extensions.Options.IOptions<AuthorizationOptions> options)
    : DefaultAuthorizationPolicyProvider(options)
{
    private static readonly AuthorizationPolicy FullSignIn = new AuthorizationPolicyBuilder()
        .RequireClaim(StaffAuthentication.PasswordCurrentClaim, "true")
        .RequireClaim(StaffAuthentication.SecondFactorClaim, nameof(SecondFactorState.Verified), nameof(SecondFactorState.NotRequired))
        .Build();

    public override async Task<AuthorizationPolicy?> GetPolicyAsync(string policyName)
    {
        var policy = await base.GetPolicyAsync(policyName);
        if (policy is null || policyName is StaffAuthentication.SessionPolicy or StaffAuthentication.EnrolmentPolicy) return policy;
        return AuthorizationPolicy.Combine(policy, FullSignIn);
    }
}
