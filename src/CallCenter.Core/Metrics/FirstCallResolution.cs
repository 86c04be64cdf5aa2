namespace CallCenter.Core.Metrics;

/// <summary>One customer contact as first-call resolution sees it.</summary>
/// <param name="ContactId">The call.</param>
/// <param name="CustomerKey">Verified customer id when there is one, else the caller's number.</param>
/// <param name="ReasonFamily">The wrap-up's reason family (what the need was about).</param>
/// <param name="At">When the contact started.</param>
/// <param name="ReachedAgent">False for IVR-only calls and abandons, which are not service needs here.</param>
/// <param name="MarkedResolved">The agent's "resolved on this call" flag.</param>
public sealed record Contact(string ContactId, string CustomerKey, string ReasonFamily, DateTimeOffset At, bool ReachedAgent, bool MarkedResolved);

/// <summary>First-call resolution over a period, final only once every need's repeat window has closed.</summary>
public sealed record FcrFigure(int Needs, int ResolvedFirstTime, double? Rate, bool Provisional, string Definition);

/// <summary>
/// First-call resolution (art. 17) = needs resolved in one contact ÷ all needs. A need is an agent-handled
/// contact; it counts as resolved when the agent marked it so and the same customer did not contact us
/// again about the same reason family within the window (default 7 days).
/// </summary>
public static class FirstCallResolution
{
    public static FcrFigure Compute(IEnumerable<Contact> contacts, DateTimeOffset periodStart, DateTimeOffset periodEnd, TimeSpan window, DateTimeOffset asOf)
    {
        // Repeats may fall after the period, so the caller passes contacts up to periodEnd + window.
        int needs = 0, resolved = 0;
        foreach (var (need, resolvedFirstTime) in Classify(contacts, window))
        {
            if (need.At < periodStart || need.At >= periodEnd) continue;
            needs++;
            if (resolvedFirstTime) resolved++;
        }
        return Figure(needs, resolved, Provisional(periodEnd, window, asOf), window);
    }

    /// <summary>
    /// Every agent-handled contact with whether it was resolved first time; a contact whose window runs past
    /// the last contact passed in can still be undone by a later repeat.
    /// </summary>
    public static IEnumerable<(Contact Need, bool ResolvedFirstTime)> Classify(IEnumerable<Contact> contacts, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        foreach (var group in contacts.Where(c => c.ReachedAgent).GroupBy(c => (c.CustomerKey, c.ReasonFamily)))
        {
            var ordered = group.OrderBy(c => c.At).ToList();
            var next = 0;
            for (var i = 0; i < ordered.Count; i++)
            {
                var contact = ordered[i];
                // The first later contact decides: contacts at the very same instant are the same need.
                if (next <= i) next = i + 1;
                while (next < ordered.Count && ordered[next].At <= contact.At) next++;
                var repeated = next < ordered.Count && ordered[next].At <= contact.At + window;
                yield return (contact, contact.MarkedResolved && !repeated);
            }
        }
    }

    /// <summary>Whether a figure for a period ending at <paramref name="periodEnd"/> can still change.</summary>
    public static bool Provisional(DateTimeOffset periodEnd, TimeSpan window, DateTimeOffset asOf) => asOf < periodEnd + window;

    public static FcrFigure Figure(int needs, int resolved, bool provisional, TimeSpan window) =>
        new(needs, resolved, needs == 0 ? null : (double)resolved / needs, provisional, Definition(window));

    public static string Definition(TimeSpan window) =>
        $"resolved flag and no repeat contact for the same reason family within {window.TotalDays:0} days ÷ agent-handled contacts; IVR-only calls and abandons excluded";
}
