namespace CallCenter.Benchmarks;

/// <summary>
/// Baseline: what a straightforward router does, scanning every waiting call when an agent frees up
/// and every agent when a call arrives. Same priority and longest-idle rules, no indexes.
/// </summary>
internal sealed class NaiveRouter
{
    private readonly World _world = new();
    private readonly byte[][] _levels;
    private readonly bool[] _idle;
    private readonly long[] _idleSince;
    private readonly List<Call> _waiting = [];
    private readonly List<int> _busy = [];
    private long _now;
    private long _sequence;
    private int _cursor;

    public NaiveRouter()
    {
        _levels = new byte[World.AgentCount][];
        _idle = new bool[World.AgentCount];
        _idleSince = new long[World.AgentCount];
        for (var a = 0; a < World.AgentCount; a++)
        {
            _levels[a] = new byte[World.SkillCount];
            foreach (var (skill, level) in _world.Agents[a])
                _levels[a][skill] = (byte)level;
            AgentAvailable(a);
        }
        while (_waiting.Count < World.WaitingCalls)
            CallArrives();
    }

    public void Cycle()
    {
        _cursor = (_cursor + 7919) % _busy.Count;
        var agent = _busy[_cursor];
        _busy[_cursor] = _busy[^1];
        _busy.RemoveAt(_busy.Count - 1);
        AgentAvailable(agent);
        CallArrives();
        _now += 10_000;
    }

    private void AgentAvailable(int agent)
    {
        var best = -1;
        for (var i = 0; i < _waiting.Count; i++)
        {
            var call = _waiting[i];
            if (Eligible(agent, call.Queue) && (best < 0 || call.Score < _waiting[best].Score || (call.Score == _waiting[best].Score && call.Sequence < _waiting[best].Sequence)))
                best = i;
        }
        if (best < 0)
        {
            _idle[agent] = true;
            _idleSince[agent] = _now;
            return;
        }
        _waiting[best] = _waiting[^1];
        _waiting.RemoveAt(_waiting.Count - 1);
        _busy.Add(agent);
    }

    private void CallArrives()
    {
        var queue = _world.NextQueue();
        var tier = _world.NextTier();
        var call = new Call(queue, _now - (long)tier * 600_000_000, ++_sequence);
        var best = -1;
        for (var a = 0; a < _idle.Length; a++)
        {
            if (_idle[a] && Eligible(a, queue) && (best < 0 || _idleSince[a] < _idleSince[best]))
                best = a;
        }
        if (best < 0)
        {
            _waiting.Add(call);
            return;
        }
        _idle[best] = false;
        _busy.Add(best);
    }

    private bool Eligible(int agent, int queue)
    {
        var levels = _levels[agent];
        foreach (var (skill, level) in _world.Queues[queue])
        {
            if (levels[skill] < level)
                return false;
        }
        return true;
    }

    private readonly record struct Call(int Queue, long Score, long Sequence);
}
