using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Staff;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Outbound;

/// <summary>Outbound projects as the tests need them: created by a department's agent, approved by a supervisor.</summary>
internal static class OutboundProjectBuilder
{
    /// <summary>An approved project with one contact in Shanghai; its id.</summary>
    public static async Task<long> ApprovedAsync(AcdHarness h, string projectName, string contactName, string contactNumber,
        string[]? questions = null, int maxAttempts = 3, int retryDelayMinutes = 60)
    {
        var department = await SignInAsync(h, StaffRole.Agent);
        using var created = await department.PostAsJsonAsync("/api/outbound/projects", new
        {
            name = projectName, department = "Card Department", script = "您好……", questions = questions ?? [], maxAttempts, retryDelayMinutes,
            contacts = new[] { new { name = contactName, number = contactNumber, timeZone = "Asia/Shanghai" } },
        });
        created.EnsureSuccessStatusCode();
        var projectId = (await created.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options)).GetProperty("id").GetInt64();
        using var approved = await (await SignInAsync(h, StaffRole.Supervisor)).PostAsync($"/api/outbound/projects/{projectId}/approve", null);
        approved.EnsureSuccessStatusCode();
        return projectId;
    }

    /// <summary>A signed-in client of a new staff member in <paramref name="role"/>.</summary>
    public static async Task<HttpClient> SignInAsync(AcdHarness h, StaffRole role)
    {
        var client = h.Server.CreateClient();
        using var login = await StaffBuilder.LoginAsync(client, await h.Server.Services.CreateStaffAsync(role));
        login.EnsureSuccessStatusCode();
        return client;
    }
}
