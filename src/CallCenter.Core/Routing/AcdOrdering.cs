namespace CallCenter.Core.Routing;

/// <summary>The two orders every store must keep; a Redis store encodes them as sorted-set scores.</summary>
public static class AcdOrdering
{
    /// <summary>Waiting calls: returned-to-head first, then lowest score (oldest after head start), then arrival sequence.</summary>
    public static IComparer<AcdCall> Waiting { get; } = new WaitingOrder();

    /// <summary>Idle agents: longest idle first, then agent id for a stable tie-break.</summary>
    public static IComparer<AcdAgent> Idle { get; } = new IdleOrder();

    /// <summary>Agents on texts: fewest texts held first, then longest idle before them, then agent id.</summary>
    public static IComparer<AcdAgent> Texting { get; } = new TextingOrder();

    private sealed class WaitingOrder : IComparer<AcdCall>
    {
        public int Compare(AcdCall? x, AcdCall? y)
        {
            if (ReferenceEquals(x, y))
                return 0;
            if (x is null)
                return -1;
            if (y is null)
                return 1;
            var c = y.AtHead.CompareTo(x.AtHead);
            if (c != 0)
                return c;
            c = x.Score.CompareTo(y.Score);
            return c != 0 ? c : x.Sequence.CompareTo(y.Sequence);
        }
    }

    private sealed class IdleOrder : IComparer<AcdAgent>
    {
        public int Compare(AcdAgent? x, AcdAgent? y)
        {
            if (ReferenceEquals(x, y))
                return 0;
            if (x is null)
                return -1;
            if (y is null)
                return 1;
            var c = x.IdleSince.UtcTicks.CompareTo(y.IdleSince.UtcTicks);
            return c != 0 ? c : string.CompareOrdinal(x.AgentId, y.AgentId);
        }
    }

    private sealed class TextingOrder : IComparer<AcdAgent>
    {
        public int Compare(AcdAgent? x, AcdAgent? y)
        {
            if (ReferenceEquals(x, y))
                return 0;
            if (x is null)
                return -1;
            if (y is null)
                return 1;
            var c = x.Texts.Length.CompareTo(y.Texts.Length);
            return c != 0 ? c : Idle.Compare(x, y);
        }
    }
}
