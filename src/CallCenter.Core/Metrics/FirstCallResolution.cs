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
        ArgumentNullException.ThrowIfNull(contacts);
        var all = contacts.Where(c => c.ReachedAgent).OrderBy(c => c.At).ToList();
        // Repeats may fall after the period, so the caller passes contacts up to periodEnd + window.
        var byCustomerAndReason = all.GroupBy(c => (c.CustomerKey, c.ReasonFamily)).ToDictionary(g => g.Key, g => g.ToList());
        int needs = 0, resolved = 0;
        foreach (var contact in all.Where(c => c.At >= periodStart && c.At < periodEnd))
        {
            needs++;
            if (!contact.MarkedResolved) continue;
            var repeated = byCustomerAndReason[(contact.CustomerKey, contact.ReasonFamily)]
                .Any(other => other.At > contact.At && other.At <= contact.At + window && other.ContactId != contact.ContactId);
            if (!repeated) resolved++;
        }
        var provisional = asOf < periodEnd + window;
        return new FcrFigure(needs, resolved, needs == 0 ? null : (double)resolved / needs, provisional,
            $"resolved flag and no repeat contact for the same reason family within {window.TotalDays:0} days ÷ agent-handled contacts; IVR-only calls and abandons excluded");
    }
}
