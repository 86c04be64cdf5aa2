using System.Text.Json;
using CallCenter.Core.Privacy;
using CallCenter.Server.Data;
using CallCenter.Server.Ivr;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Agents;

/// <summary>
/// What the agent sees when a call rings: who (masked), in which language, what the IVR collected and how often
/// the same number called in the last days. Everything comes from the call log, the calls table and the IVR
/// session; nothing here is typed in by the agent.
/// </summary>
public sealed record ScreenPopView(
    string Caller,
    string? Language,
    IReadOnlyList<string> IvrPath,
    bool Verified,
    string? CustomerTier,
    string? Request,
    bool Complaint,
    IReadOnlyList<string> SelfService,
    int PreviousContacts,
    int PreviousContactsDays);

/// <summary>Builds <see cref="ScreenPopView"/> for an offered call.</summary>
public sealed class ScreenPopBuilder(CallCenterDbContext db, IvrSessionStore sessions, TimeProvider clock)
{
    /// <summary>The look-back for "has this caller called before" on the screen pop.</summary>
    public const int PreviousContactsDays = 7;

    // A field the session store never writes: LoadAsync then returns the IVR state without a stored reply.
    private const string NoReplyField = "screen-pop";

    public async Task<ScreenPopView> BuildAsync(string callSid, CancellationToken ct)
    {
        // While PostgreSQL is unreachable (degraded mode) the pop shows what the IVR state holds; the offer still rings.
        string? fromNumber = null;
        var events = new List<(string Type, string Payload)>();
        var previous = 0;
        try
        {
            fromNumber = await db.Calls.AsNoTracking().Where(c => c.CallSid == callSid).Select(c => c.FromNumber).SingleOrDefaultAsync(ct);
            events = [.. (await db.CallEvents.AsNoTracking().Where(e => e.CallSid == callSid && e.Type.StartsWith("ivr."))
                .OrderBy(e => e.CallSeq).Select(e => new { e.Type, e.Payload }).ToListAsync(ct)).Select(e => (e.Type, e.Payload))];
            if (fromNumber is not null)
            {
                var since = clock.GetUtcNow().AddDays(-PreviousContactsDays);
                previous = await db.Calls.AsNoTracking()
                    .CountAsync(c => c.FromNumber == fromNumber && c.CallSid != callSid && c.StartedAt >= since, ct);
            }
        }
        catch (Exception ex) when (Degraded.DependencyFailures.IsDatabaseUnavailable(ex))
        {
        }

        string? language = null, request = null;
        var verified = false;
        var complaint = false;
        var path = new List<string>();
        var selfService = new List<string>();
        foreach (var e in events)
        {
            using var json = JsonDocument.Parse(e.Payload);
            var data = json.RootElement.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
            string? Field(string name) => data.ValueKind == JsonValueKind.Object && data.TryGetProperty(name, out var v) ? v.GetString() : null;
            switch (e.Type)
            {
                case "ivr.language_chosen":
                    language = Field("language");
                    break;
                case "ivr.menu_choice" when Field("target") is { } target:
                    path.Add($"{Field("key")}→{target}");
                    request = target;
                    break;
                case "ivr.self_service":
                    selfService.Add($"{Field("action")}: {Field("outcome")}");
                    break;
                case "ivr.verified":
                    verified = true;
                    break;
                case "ivr.complaint":
                    complaint = true;
                    break;
                case "ivr.agent_requested":
                    request ??= "agent (" + Field("reason") + ")";
                    break;
            }
        }

        // The tier comes from the core system at verification and lives only in the IVR state (the call log keeps the customer id).
        var state = (await sessions.LoadAsync(callSid, NoReplyField)).State;
        language ??= state?.Language;
        verified |= state?.Verified ?? false;
        var tier = state is not null && state.Data.TryGetValue("tier", out var t) ? t : null;

        return new ScreenPopView(PhoneNumberMask.Mask(fromNumber), language, path, verified, tier, request, complaint,
            selfService, previous, PreviousContactsDays);
    }
}
