using System.Net;
using System.Net.Http.Json;
using CallCenter.Core.Security;
using CallCenter.Server.Simulation;
using CallCenter.Server.Staff;

namespace CallCenter.Simulator.Day;

/// <summary>A logged-in staff member's cookie session on the server, as a browser holds it.</summary>
public sealed class StaffSession : IDisposable
{
    private StaffSession(string workNumber, HttpClient http, CookieContainer cookies) => (WorkNumber, Http, Cookies) = (workNumber, http, cookies);

    public string WorkNumber { get; }
    public HttpClient Http { get; }
    public CookieContainer Cookies { get; }

    /// <summary>
    /// Logs in with <paramref name="password"/>; when that is refused and an initial password is known, logs in
    /// with it and makes the forced first change to <paramref name="password"/>, as a new member does.
    /// </summary>
    /// <remarks>With <paramref name="totpSecret"/> the login carries a TOTP code for the server's time: read from its
    /// simulation clock when it runs one (open in simulation runs), else the local clock.</remarks>
    /// <remarks>With <paramref name="balancer"/> (several instances, <see cref="Fault.LoadBalancer"/>) requests go through it.</remarks>
    public static async Task<StaffSession> SignInAsync(Uri server, string workNumber, string password, string? initialPassword, CancellationToken ct,
        string? totpSecret = null, HttpMessageHandler? balancer = null)
    {
        var cookies = new CookieContainer();
        HttpMessageHandler handler = balancer is null
            ? new SocketsHttpHandler { CookieContainer = cookies, UseCookies = true }
            : new Fault.CookieSession(cookies, balancer);
        var http = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            var session = await LoginAsync(http, workNumber, password, totpSecret, ct);
            if (session is null && initialPassword is not null)
            {
                session = await LoginAsync(http, workNumber, initialPassword, totpSecret, ct);
                if (session is { MustChangePassword: true })
                {
                    using var changed = await http.PostAsJsonAsync("/api/auth/password", new { currentPassword = initialPassword, newPassword = password }, ct);
                    if (!changed.IsSuccessStatusCode)
                        throw new InvalidOperationException($"{workNumber}: the first password change was refused: {await changed.Content.ReadAsStringAsync(ct)}");
                    session = session with { MustChangePassword = false };
                }
            }
            if (session is null) throw new InvalidOperationException($"{workNumber}: wrong work number or password.");
            if (session.MustChangePassword) throw new InvalidOperationException($"{workNumber} must change the password before the simulator can use the account.");
            return new StaffSession(workNumber, http, cookies);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    // On an accelerated clock a one-time code's step is a second or two of real time: a busy machine can take longer between
    // reading the server's time and the login's check, so a refused code is tried again with a fresh one (twice at most,
    // well below the lockout's five failures).
    private static async Task<StaffApi.SessionInfo?> LoginAsync(HttpClient http, string workNumber, string password, string? totpSecret, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var session = await LoginOnceAsync(http, workNumber, password, totpSecret, ct);
            if (session is not null || totpSecret is null || attempt == 2) return session;
        }
    }

    private static async Task<StaffApi.SessionInfo?> LoginOnceAsync(HttpClient http, string workNumber, string password, string? totpSecret, CancellationToken ct)
    {
        string? oneTimeCode = null;
        if (totpSecret is not null)
        {
            var serverTime = await ServerTimeAsync(http, ct);
            oneTimeCode = Totp.CodeAt(Base32.Decode(totpSecret), serverTime);
        }
        using var response = await http.PostAsJsonAsync("/api/auth/login", new { workNumber, password, oneTimeCode }, ct);
        if (response.StatusCode == HttpStatusCode.Unauthorized) return null;
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{workNumber}: login answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}");
        return await response.Content.ReadFromJsonAsync<StaffApi.SessionInfo>(DayJson.Options, ct);
    }

    private static async Task<DateTimeOffset> ServerTimeAsync(HttpClient http, CancellationToken ct)
    {
        using var response = await http.GetAsync("/api/simulation/clock", ct);
        if (!response.IsSuccessStatusCode) return DateTimeOffset.UtcNow;
        var clock = await response.Content.ReadFromJsonAsync<SimulationClockInfo>(DayJson.Options, ct);
        return clock?.Now ?? DateTimeOffset.UtcNow;
    }

    public void Dispose() => Http.Dispose();
}
