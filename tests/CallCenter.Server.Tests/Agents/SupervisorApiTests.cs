using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Agents;

/// <summary>The supervisor's agent board and forced Break/Offline: validated, audited, refused when the ACD forbids it.</summary>
public sealed class SupervisorApiTests
{
    [Test]
    public async Task A_supervisor_sees_every_agent_with_its_state_and_can_send_an_available_agent_offline()
    {
        await using var acd = new AcdHarness();
        var agent = await acd.AvailableAgentAsync(("general", 2));
        using var supervisor = await acd.SupervisorAsync();

        var board = await supervisor.GetFromJsonAsync<JsonElement>("/api/supervisor/agents", TestJson.Options);
        var row = board.EnumerateArray().Single(r => r.GetProperty("workNumber").GetString() == agent.WorkNumber);
        Assert.That(row.GetProperty("state").GetString(), Is.EqualTo("Available"));

        using var offline = await supervisor.PostAsJsonAsync($"/api/supervisor/agents/{agent.WorkNumber}/state", new { state = "Offline" });
        Assert.That(offline.StatusCode, Is.EqualTo(HttpStatusCode.OK), await offline.Content.ReadAsStringAsync());
        Assert.That((await agent.MeAsync()).GetProperty("state").GetString(), Is.EqualTo("Offline"));
    }

    [Test]
    public async Task Bad_requests_are_refused_and_change_nothing()
    {
        await using var acd = new AcdHarness();
        var agent = await acd.AvailableAgentAsync(("general", 2));
        using var supervisor = await acd.SupervisorAsync();

        using var noReason = await supervisor.PostAsJsonAsync($"/api/supervisor/agents/{agent.WorkNumber}/state", new { state = "Break" });
        using var badState = await supervisor.PostAsJsonAsync($"/api/supervisor/agents/{agent.WorkNumber}/state", new { state = "Available" });
        using var unknown = await supervisor.PostAsJsonAsync("/api/supervisor/agents/NOBODY-1/state", new { state = "Offline" });
        using var byAgent = await agent.Http.PostAsJsonAsync($"/api/supervisor/agents/{agent.WorkNumber}/state", new { state = "Offline" });
        Assert.Multiple(() =>
        {
            Assert.That(noReason.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(badState.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(byAgent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        });
        Assert.That((await agent.MeAsync()).GetProperty("state").GetString(), Is.EqualTo("Available"));
    }
}
