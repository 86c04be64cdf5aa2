using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace CallCenter.Simulator.Day;

/// <summary>Creates the simulated agents through the staff and agent-profile APIs (as an administrator would) and logs them in.</summary>
internal static class Staffing
{
    public static async Task<List<SimulatedAgent>> SeedAsync(StaffSession admin, DayConnection connection, DayScenario scenario,
        TwilioStandIn standIn, SimulationClock clock, DayObservations observations, Distributions random, CancellationToken ct)
    {
        // New accounts start with a password that must be changed at the first login; the agent then chooses theirs.
        var initialPassword = "Initial-" + connection.AgentPassword;
        var agents = new List<SimulatedAgent>();
        try
        {
            for (var i = 1; i <= scenario.Agents; i++)
            {
                var workNumber = scenario.AgentPrefix + i.ToString("D3", CultureInfo.InvariantCulture);
                using (var created = await admin.Http.PostAsJsonAsync("/api/staff", new
                       {
                           workNumber, displayName = $"Simulated agent {i}", role = "Agent", permissionLevel = 1, initialPassword,
                       }, ct))
                {
                    // 400 "already exists" from an earlier run is fine: the account is reused.
                    if (created.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.BadRequest))
                        throw new InvalidOperationException($"Creating agent {workNumber} answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync(ct)}");
                }
                using (var skills = await admin.Http.PutAsJsonAsync($"/api/agents/{workNumber}/skills",
                           scenario.AgentSkills.Select(s => new { skill = s.Skill, level = s.Level }).ToArray(), ct))
                {
                    if (!skills.IsSuccessStatusCode)
                        throw new InvalidOperationException($"Giving {workNumber} skills answered {(int)skills.StatusCode}: {await skills.Content.ReadAsStringAsync(ct)}");
                }
                var session = await connection.SignInAsync(workNumber, connection.AgentPassword, initialPassword, ct);
                // Behind a balancer each console keeps its hub connection to one instance, spread over them like a balancer spreads them.
                var hubServer = connection.Instances.Count == 0 ? connection.ServerUrl : connection.Instances[(i - 1) % connection.Instances.Count];
                var agent = new SimulatedAgent(session, hubServer, standIn, clock, observations, random, scenario);
                agents.Add(agent);
                await agent.StartAsync(ct);
            }
            return agents;
        }
        catch
        {
            foreach (var agent in agents) await agent.DisposeAsync();
            throw;
        }
    }
}
