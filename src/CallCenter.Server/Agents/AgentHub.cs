using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace CallCenter.Server.Agents;

/// <summary>
/// The console's live channel (`/hubs/agent`): each logged-in person hears their own offers and state
/// changes; supervisors also hear every agent's state. Scales out over Redis with the other instances.
/// </summary>
[Authorize(Policy = StaffAuthentication.StaffPolicy)]
public sealed class AgentHub : Hub
{
    public const string Path = "/hubs/agent";
    public const string SupervisorsGroup = "supervisors";

    public static string AgentGroup(string workNumber) => "agent:" + workNumber;

    public override async Task OnConnectedAsync()
    {
        var user = Context.User!;
        await Groups.AddToGroupAsync(Context.ConnectionId, AgentGroup(user.WorkNumber()), Context.ConnectionAborted);
        if (user.IsInRole(nameof(StaffRole.Supervisor)) || user.IsInRole(nameof(StaffRole.Admin)))
            await Groups.AddToGroupAsync(Context.ConnectionId, SupervisorsGroup, Context.ConnectionAborted);
        await base.OnConnectedAsync();
        // Only now are the groups joined: a console acts after "ready", then reads the current state over REST,
        // so nothing decided between its connect and its subscription can slip past it.
        await Clients.Caller.SendAsync("ready", user.WorkNumber(), Context.ConnectionAborted);
    }
}

/// <summary>Pushes ACD decisions to the consoles over <see cref="AgentHub"/>; a lost push is logged, never fatal.</summary>
public sealed class AgentHubNotifier(IHubContext<AgentHub> hub, ILogger<AgentHubNotifier> logger) : IAgentNotifier
{
    public void StateChanged(string agentId, string state, string? reason, DateTimeOffset at)
    {
        var message = new AgentStateMessage(agentId, state, reason, at);
        Send(hub.Clients.Group(AgentHub.AgentGroup(agentId)).SendAsync("stateChanged", message), agentId);
        Send(hub.Clients.Group(AgentHub.SupervisorsGroup).SendAsync("agentStateChanged", message), agentId);
    }

    public void Offered(string agentId, string callSid, string queue, DateTimeOffset? ringDeadline) =>
        Send(hub.Clients.Group(AgentHub.AgentGroup(agentId)).SendAsync("offered", new AgentOfferMessage(callSid, queue, ringDeadline)), agentId);

    private async void Send(Task sending, string agentId)
    {
        try
        {
            await sending;
        }
        catch (Exception ex)
        {
            // The console also polls GET /api/agent/offer, so a missed push delays, never loses, an offer.
            logger.LogWarning(ex, "Push to agent {Agent} failed", agentId);
        }
    }
}

/// <summary>An agent's new state as the console shows it.</summary>
public sealed record AgentStateMessage(string Agent, string State, string? Reason, DateTimeOffset At);

/// <summary>A call offered to the agent; the console shows the screen pop from GET /api/agent/offer.</summary>
public sealed record AgentOfferMessage(string CallSid, string Queue, DateTimeOffset? RingDeadline);
