namespace CallCenter.Core.Complaints;

/// <summary>How serious a complaint is; each grade has its own time limits.</summary>
public enum ComplaintGrade
{
    Ordinary,
    Serious,
    Major,
}

/// <summary>Where a complaint stands in the closed loop (art. 40): received → accepted → handling ⇄ tracking → answered → followed up → closed.</summary>
public enum ComplaintStatus
{
    /// <summary>Recorded (IVR, wrap-up or staff) but not yet accepted by the complaint desk.</summary>
    Received,
    Accepted,
    Handling,
    /// <summary>Waiting on someone else (a department's work order, the customer) and followed up.</summary>
    Tracking,
    /// <summary>The result has been told to the customer.</summary>
    Answered,
    /// <summary>The satisfaction follow-up call is done.</summary>
    FollowedUp,
    Closed,
}

/// <summary>A step of the complaint loop a staff member asks for.</summary>
public enum ComplaintAction
{
    Accept,
    Handle,
    Track,
    Answer,
    FollowUp,
    Close,
    Reopen,
}

/// <summary>A refused complaint step; the host maps it to HTTP 409.</summary>
public sealed class ComplaintTransitionException : InvalidOperationException
{
    public ComplaintTransitionException()
    {
    }

    public ComplaintTransitionException(string message)
        : base(message)
    {
    }

    public ComplaintTransitionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The complaint state machine: which step is allowed from which status. Pure; the server stores the result
/// and audits it. Reopening needs a reason, closing needs the satisfaction follow-up first (every complaint gets one).
/// </summary>
public static class ComplaintLifecycle
{
    private static readonly Dictionary<ComplaintAction, (ComplaintStatus[] From, ComplaintStatus To)> Steps = new()
    {
        [ComplaintAction.Accept] = ([ComplaintStatus.Received], ComplaintStatus.Accepted),
        [ComplaintAction.Handle] = ([ComplaintStatus.Accepted, ComplaintStatus.Tracking], ComplaintStatus.Handling),
        [ComplaintAction.Track] = ([ComplaintStatus.Handling], ComplaintStatus.Tracking),
        [ComplaintAction.Answer] = ([ComplaintStatus.Handling, ComplaintStatus.Tracking], ComplaintStatus.Answered),
        [ComplaintAction.FollowUp] = ([ComplaintStatus.Answered], ComplaintStatus.FollowedUp),
        [ComplaintAction.Close] = ([ComplaintStatus.FollowedUp], ComplaintStatus.Closed),
        [ComplaintAction.Reopen] = ([ComplaintStatus.Closed], ComplaintStatus.Handling),
    };

    /// <summary>The status after <paramref name="action"/>; throws when the step is not allowed now or lacks its reason.</summary>
    /// <exception cref="ComplaintTransitionException">The step is not allowed from <paramref name="current"/>.</exception>
    /// <exception cref="ArgumentException">A reopen without a reason.</exception>
    public static ComplaintStatus Next(ComplaintStatus current, ComplaintAction action, string? reason = null)
    {
        if (!Steps.TryGetValue(action, out var step))
            throw new ArgumentOutOfRangeException(nameof(action), action, "Unknown complaint action.");
        if (!step.From.Contains(current))
        {
            var why = (current, action) switch
            {
                (ComplaintStatus.Closed, ComplaintAction.Close) => "it is already closed",
                (_, ComplaintAction.Close) => "the satisfaction follow-up must be recorded first",
                (_, ComplaintAction.Reopen) => "only a closed complaint can be reopened",
                _ => $"it is {current}",
            };
            throw new ComplaintTransitionException($"Cannot {action.ToString().ToLowerInvariant()} the complaint: {why}.");
        }
        if (action == ComplaintAction.Reopen && string.IsNullOrWhiteSpace(reason))
            throw new ArgumentException("A complaint is reopened only with a reason.", nameof(reason));
        return step.To;
    }

    /// <summary>Steps allowed from a status, for the console's buttons.</summary>
    public static IReadOnlyList<ComplaintAction> Allowed(ComplaintStatus current) =>
        [.. Steps.Where(s => s.Value.From.Contains(current)).Select(s => s.Key)];
}
