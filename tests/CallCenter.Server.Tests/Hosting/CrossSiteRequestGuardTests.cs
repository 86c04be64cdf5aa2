using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.Staff;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Hosting;

/// <summary>A page on another site cannot make a signed-in member's browser act on the console's API.</summary>
public sealed class CrossSiteRequestGuardTests
{
    private static HttpRequestMessage Logout(string? origin = null, string? referer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/logout");
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (referer is not null) request.Headers.Referrer = new Uri(referer);
        return request;
    }

    private static async Task<HttpClient> SignedInAsync()
    {
        var workNumber = await AssemblySetUp.Server.Services.CreateStaffAsync(StaffRole.Agent);
        var client = AssemblySetUp.Server.CreateClient(new() { BaseAddress = new Uri("http://localhost") });
        using var login = await StaffBuilder.LoginAsync(client, workNumber);
        Assert.That(login.IsSuccessStatusCode, Is.True);
        return client;
    }

    [TestCase("https://evil.example", null)]
    [TestCase(null, "https://evil.example/page.html")]
    [TestCase("null", null)]
    public async Task A_state_changing_request_from_another_site_is_refused_and_changes_nothing(string? origin, string? referer)
    {
        using var client = await SignedInAsync();

        using var response = await client.SendAsync(Logout(origin, referer));
        using var me = await client.GetAsync("/api/auth/me");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>())!.Title, Is.EqualTo("Cross-site request refused"));
        Assert.That(me.StatusCode, Is.EqualTo(HttpStatusCode.OK), "still signed in");
    }

    [TestCase("http://localhost", null)]
    [TestCase(null, "http://localhost/console/")]
    [TestCase(null, null)]
    public async Task The_consoles_own_pages_and_clients_without_a_browser_origin_pass(string? origin, string? referer)
    {
        using var client = await SignedInAsync();

        using var response = await client.SendAsync(Logout(origin, referer));

        Assert.That(response.IsSuccessStatusCode, Is.True);
    }
}
