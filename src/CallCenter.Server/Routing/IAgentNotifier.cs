namespace CallCenter.Server.Routing;

/// <summary>Where the ACD tells consoles what it decided; called under the ACD's lock, so it must not block.</summary>
public interface IAgentNotifier
{
    void StateChanged(string agentId, string state, string? reason, DateTimeOffset at);

    void Offered(string agentId, string callSid, string queue, DateTimeOffset? ringDeadline);
}
