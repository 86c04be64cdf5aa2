using System.Collections.Specialized;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.InCall;

/// <summary>Short helpers for in-call tests: a connected call, the in-call API, and the Twilio conference requests sent.</summary>
internal static class InCallHarness
{
    public const string Conference = TwilioConferenceStubs.ConferenceSid;

    /// <summary>A caller queued by the IVR and accepted by a new available agent (general skill) at <paramref name="permissionLevel"/>.</summary>
    public static async Task<(AgentConsole Agent, IvrCall Call)> ConnectedAsync(this AcdHarness acd, int permissionLevel = 1)
    {
        var agent = await acd.AvailableAgentAsync(permissionLevel, ("general", 3));
        var call = await acd.QueueCallAsync();
        using (var accepted = await agent.AcceptAsync(call.CallSid)) accepted.EnsureSuccessStatusCode();
        return (agent, call);
    }

    public static Task<HttpResponseMessage> InCallAsync(this AgentConsole agent, string callSid, string action, object? body = null) =>
        agent.Http.PostAsJsonAsync($"/api/agent/calls/{callSid}/{action}", body ?? new { });

    /// <summary>The conference REST requests WireMock received, in order: method, the path after /Conferences/, and the form.</summary>
    public static List<(string Method, string Path, NameValueCollection Form)> ConferenceRequests(this AcdHarness acd) =>
        [.. acd.Twilio.LogEntries
            .Where(e => e.RequestMessage?.Path.Contains("/Conferences/", StringComparison.Ordinal) == true)
            .OrderBy(e => e.RequestMessage!.DateTime)
            .Select(e => (e.RequestMessage!.Method, e.RequestMessage.Path[(e.RequestMessage.Path.IndexOf("/Conferences/", StringComparison.Ordinal) + 13)..],
                System.Web.HttpUtility.ParseQueryString(e.RequestMessage.Body ?? "")))];

    /// <summary>Conference requests sent after the first <paramref name="skip"/> (those before the step under test).</summary>
    public static List<(string Method, string Path, NameValueCollection Form)> ConferenceRequestsSince(this AcdHarness acd, int skip) =>
        [.. acd.ConferenceRequests().Skip(skip)];

    public static async Task<List<(string Type, JsonElement Payload)>> InCallEventsAsync(this AcdHarness acd, string callSid) =>
        [.. (await acd.EventsOfAsync(callSid))
            .Where(e => e.Type.StartsWith("incall.", StringComparison.Ordinal) || e.Type.StartsWith("supervisor.", StringComparison.Ordinal))
            .Select(e => (e.Type, AcdHarness.Payload(e)))];

    public static async Task<string> StateOfAsync(this AgentConsole agent) => (await agent.MeAsync()).GetProperty("state").GetString()!;
}
