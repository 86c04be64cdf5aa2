using System.Globalization;
using CallCenter.Core.Routing;

namespace CallCenter.Server.Routing;

/// <summary>What a waiting caller is told about their place in the queue; silent about the wait when it cannot be estimated honestly.</summary>
public static class QueueWaitAnnouncement
{
    public static string Text(WaitEstimate estimate, bool english)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        var position = estimate.Position.ToString(CultureInfo.InvariantCulture);
        // Whole minutes, rounded up: callers hear "about 1 minute", never "0 minutes".
        var minutes = estimate.EstimatedWait is { } wait ? Math.Max(1, (int)Math.Ceiling(wait.TotalMinutes)) : (int?)null;
        if (english)
        {
            var text = $"You are number {position} in the queue.";
            return minutes is { } m ? $"{text} The estimated wait is about {m.ToString(CultureInfo.InvariantCulture)} minute{(m == 1 ? "" : "s")}." : text;
        }
        return minutes is { } n
            ? $"您目前排在第{position}位，预计等待约{n.ToString(CultureInfo.InvariantCulture)}分钟。"
            : $"您目前排在第{position}位。";
    }
}
