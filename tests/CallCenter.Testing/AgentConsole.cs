using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CallCenter.Testing;

/// <summary>One agent at the console: a logged-in staff session driving the agent API, as the browser does.</summary>
public sealed class AgentConsole(HttpClient http, string workNumber) : IDisposable
{
    public HttpClient Http { get; } = http;
    public string WorkNumber { get; } = workNumber;

    /// <summary>Logs a staff member in (cookie session) on a fresh client.</summary>
    public static async Task<AgentConsole> SignInAsync(HttpClient http, string workNumber, string password = StaffBuilder.Password)
    {
        using var login = await StaffBuilder.LoginAsync(http, workNumber, password);
        login.EnsureSuccessStatusCode();
        return new AgentConsole(http, workNumber);
    }

    public Task<HttpResponseMessage> PutSkillsAsync(string agentWorkNumber, params (string Skill, int Level)[] skills) =>
        Http.PutAsJsonAsync($"/api/agents/{agentWorkNumber}/skills", skills.Select(s => new { skill = s.Skill, level = s.Level }).ToArray());

    public Task<HttpResponseMessage> LoginToAcdAsync() => Http.PostAsync("/api/agent/login", null);

    public Task<HttpResponseMessage> LogoutFromAcdAsync() => Http.PostAsync("/api/agent/logout", null);

    public Task<HttpResponseMessage> SetStateAsync(string state, string? reason = null) =>
        Http.PostAsJsonAsync("/api/agent/state", new { state, reason });

    public Task<HttpResponseMessage> AcceptAsync(string callSid) => Http.PostAsync($"/api/agent/offers/{callSid}/accept", null);

    public Task<HttpResponseMessage> DeclineAsync(string callSid) => Http.PostAsync($"/api/agent/offers/{callSid}/decline", null);

    public Task<HttpResponseMessage> EndCallAsync(string callSid) => Http.PostAsync($"/api/agent/calls/{callSid}/end", null);

    public Task<HttpResponseMessage> WrapUpAsync(string callSid, string? disposition = "resolved", bool resolved = true, string reasonFamily = "cards") =>
        Http.PostAsJsonAsync($"/api/agent/calls/{callSid}/wrap-up", new { disposition, reasonFamily, resolved, notes = "test" });

    /// <summary>The offered call as JSON, or null when nothing is offered (204).</summary>
    public async Task<JsonElement?> OfferAsync()
    {
        using var response = await Http.GetAsync("/api/agent/offer");
        if (response.StatusCode == HttpStatusCode.NoContent) return null;
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
    }

    /// <summary>GET /api/agent/me as JSON.</summary>
    public async Task<JsonElement> MeAsync()
    {
        using var response = await Http.GetAsync("/api/agent/me");
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
    }

    public void Dispose() => Http.Dispose();
}
