using System.Net;
using CallCenter.Server.Agents;
using CallCenter.Server.Staff;
using CallCenter.Server.Tests.Agents;
using CallCenter.Testing;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace CallCenter.Server.Tests.Routing;

/// <summary>The console's live channel, through the real hub, cookie login and the Redis backplane.</summary>
public sealed class AgentHubTests
{
    [Test]
    public async Task An_agent_hears_their_state_and_the_offer_the_moment_the_acd_decides()
    {
        await using var h = new AcdHarness();
        using var agent = await h.NewAgentAsync(("general", 1));
        var offered = new TaskCompletionSource<AgentOfferMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var available = new TaskCompletionSource<AgentStateMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var hub = await HubClient.ConnectAsync(h.Server, agent.WorkNumber, c =>
        {
            c.On<AgentOfferMessage>("offered", m => offered.TrySetResult(m));
            c.On<AgentStateMessage>("stateChanged", m => { if (m.State == "Available") available.TrySetResult(m); });
        });

        using var login = await agent.LoginToAcdAsync();
        var state = await available.Task.WaitAsync(TimeSpan.FromSeconds(15));
        var call = await h.QueueCallAsync();
        var offer = await offered.Task.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.That(state.Agent, Is.EqualTo(agent.WorkNumber));
        Assert.That(offer.CallSid, Is.EqualTo(call.CallSid));
        Assert.That(offer.Queue, Is.EqualTo("general"));
    }

    [Test]
    public async Task A_supervisor_hears_every_agents_state_and_an_anonymous_client_is_refused()
    {
        await using var h = new AcdHarness();
        using var agent = await h.NewAgentAsync(("general", 1));
        var supervisor = await h.Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        var seen = new TaskCompletionSource<AgentStateMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var watch = await HubClient.ConnectAsync(h.Server, supervisor,
            c => c.On<AgentStateMessage>("agentStateChanged", m => { if (m.Agent == agent.WorkNumber) seen.TrySetResult(m); }));
        await using var anonymous = new HubConnectionBuilder()
            .WithUrl(new Uri(h.Server.Server.BaseAddress, AgentHub.Path), o =>
            {
                o.HttpMessageHandlerFactory = _ => h.Server.Server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling;
            })
            .Build();

        using var login = await agent.LoginToAcdAsync();
        var state = await seen.Task.WaitAsync(TimeSpan.FromSeconds(15));
        var refused = Assert.CatchAsync<HttpRequestException>(() => anonymous.StartAsync());

        Assert.That(state.State, Is.EqualTo("Available"));
        Assert.That(refused?.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
