using System.Text.RegularExpressions;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CallCenter.Testing;

/// <summary>
/// WireMock answers for the conference side of Twilio's REST API: a participant added (its conference SID and its own
/// call SID), changed or removed, and a conference ended. The call redirects and recordings keep their own stubs.
/// </summary>
public static partial class TwilioConferenceStubs
{
    /// <summary>The SID every stubbed conference answers with.</summary>
    public const string ConferenceSid = "CF00000000000000000000000000000001";

    /// <summary>The call SID of every participant leg the stub creates.</summary>
    public const string ParticipantCallSid = "CA0000000000000000000000000000leg1";

    public static void Register(WireMockServer twilio, string accountSid)
    {
        ArgumentNullException.ThrowIfNull(twilio);
        var conferences = $"/2010-04-01/Accounts/{accountSid}/Conferences/";
        twilio.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher(conferences + "*/Participants.json")).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201)
                .WithBodyAsJson(new { conference_sid = ConferenceSid, call_sid = ParticipantCallSid, account_sid = accountSid, status = "connected" }));
        twilio.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher(conferences + "*/Participants/*.json")).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200)
                .WithBodyAsJson(new { conference_sid = ConferenceSid, call_sid = ParticipantCallSid, account_sid = accountSid, status = "connected" }));
        twilio.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher(conferences + "*/Participants/*.json")).UsingDelete())
            .RespondWith(Response.Create().WithStatusCode(204));
        twilio.Given(Request.Create().WithPath(new WireMock.Matchers.RegexMatcher("^" + Regex.Escape(conferences) + "CF[^/]+\\.json$")).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new { sid = ConferenceSid, account_sid = accountSid, status = "completed" }));
    }

    /// <summary>A redirect of a live call (POST …/Calls/{CallSid}.json), not a recording or conference request.</summary>
    public static bool IsCallUpdate(string path) => CallUpdate().IsMatch(path);

    [GeneratedRegex(@"/Calls/[^/]+\.json$")]
    private static partial Regex CallUpdate();
}
