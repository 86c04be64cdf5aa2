using CallCenter.Core.Routing;

namespace CallCenter.Benchmarks;

/// <summary>The engine over the in-process store, loaded with every agent busy and 100,000 calls waiting.</summary>
internal sealed class EngineWorkload
{
    private readonly World _world = new();
    private readonly List<string> _busy = [];
    private int _nextCall;
    private int _cursor;
    private long _cycles;

    public EngineWorkload()
    {
        Engine = new AcdEngine(_world.Options(), Store);
        for (var a = 0; a < World.AgentCount; a++)
            Accept(Engine.Login(World.AgentName(a), _world.Agents[a].Select(s => new AgentSkill(World.SkillName(s.Skill), s.Level)), Now));
        var waiting = 0;
        while (waiting < World.WaitingCalls)
        {
            var decisions = NewCall();
            if (decisions.Offers.Count == 0)
                waiting++;
            Accept(decisions);
        }
    }

    public InMemoryAcdStateStore Store { get; } = new();

    public AcdEngine Engine { get; }

    public DateTimeOffset Now { get; private set; } = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    public int BusyAgents => _busy.Count;

    /// <summary>
    /// One steady-state cycle: a busy agent ends its call and wrap-up, the engine routes that free agent
    /// (decision 1), the agent answers, and a new call arrives and is routed (decision 2).
    /// </summary>
    public void Cycle()
    {
        var agent = NextBusy();
        EndCall(agent);
        Accept(Engine.CompleteWrapUp(agent, Now));
        Accept(NewCall());
        Advance();
    }

    /// <summary>Ends a busy agent's call so it is in wrap-up, ready for <see cref="Route"/>.</summary>
    public string PrepareFreeAgent()
    {
        var agent = NextBusy();
        EndCall(agent);
        return agent;
    }

    /// <summary>The routing decision alone: the agent becomes available and is matched.</summary>
    public AcdDecisions Route(string agent) => Engine.CompleteWrapUp(agent, Now);

    public AcdDecisions Arrive() => NewCall();

    public void Accept(AcdDecisions decisions)
    {
        // Indexed, as a host walks the list: a foreach over the interface would allocate an enumerator per decision.
        var offers = decisions.Offers;
        for (var i = 0; i < offers.Count; i++)
        {
            var offer = offers[i];
            Engine.Accept(offer.AgentId, offer.CallId, Now);
            _busy.Add(offer.AgentId);
        }
    }

    public void Advance()
    {
        Now = Now.AddMilliseconds(1);
        // Drains stale ring and wrap-up timers so the timer heap stays bounded.
        if ((++_cycles & 1023) == 0)
            Engine.Tick(Now);
    }

    public List<string> EndAllCalls()
    {
        var ended = new List<string>(_busy);
        foreach (var agent in ended)
            EndCall(agent);
        _busy.Clear();
        return ended;
    }

    private AcdDecisions NewCall() =>
        Engine.Enqueue(new CallRequest($"call-{_nextCall++}", World.QueueName(_world.NextQueue())) { CustomerTier = _world.NextTier() }, Now);

    private string NextBusy()
    {
        // Swap-remove from a random position keeps the choice fair and O(1).
        _cursor = (_cursor + 7919) % _busy.Count;
        var agent = _busy[_cursor];
        _busy[_cursor] = _busy[^1];
        _busy.RemoveAt(_busy.Count - 1);
        return agent;
    }

    private void EndCall(string agent)
    {
        var callId = Engine.FindAgent(agent)!.CallId!;
        Engine.EndCall(agent, callId, Now);
    }
}
