using System.Text.Json;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CallCenter.Server.Tests.Routing;

/// <summary>
/// A server of its own (its own in-memory ACD and clock, so moving time disturbs no other test) on the
/// shared test database, with WireMock standing in for the Twilio REST API.
/// </summary>
internal sealed class AcdHarness : IAsyncDisposable
{
    public const string AccountSid = "AC0000000000000000000000000000acd1";

    private readonly CallCenterServerFactory _root;
    private AcdConsoleAdmin? _admin;
    private DateTimeOffset _adminSignedInAt;

    public AcdHarness(bool twilioFails = false, TimeSpan? twilioDelay = null, IReadOnlyDictionary<string, string>? settings = null, DateTimeOffset? now = null,
        TestDatabase? database = null, Action<IServiceCollection>? services = null)
    {
        Twilio = WireMockServer.Start();
        var response = twilioFails
            ? Response.Create().WithStatusCode(500).WithBodyAsJson(new { code = 20500, message = "Internal Server Error", status = 500 })
            : Response.Create().WithStatusCode(200).WithBodyAsJson(new { sid = "CA0", status = "in-progress" });
        if (twilioDelay is { } delay) response = response.WithDelay(delay);
        Twilio.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher($"/2010-04-01/Accounts/{AccountSid}/Calls/*.json")).UsingPost())
            .RespondWith(response);
        TwilioConferenceStubs.Register(Twilio, AccountSid);
        // A test whose workers read the whole call log (watermarks) brings its own database, so other tests' calls stay out of it.
        _root = new CallCenterServerFactory(database ?? AssemblySetUp.Server.Database, now);
        Server = _root.WithWebHostBuilder(b =>
        {
            b.UseSetting("Twilio:AccountSid", AccountSid);
            b.UseSetting("Twilio:ApiBaseUrl", Twilio.Urls[0]);
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) b.UseSetting(key, value);
            if (services is not null) b.ConfigureTestServices(services);
        });
    }

    public WireMockServer Twilio { get; }

    public WebApplicationFactory<Program> Server { get; }

    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock => _root.Clock;

    public AcdHost Acd => Server.Services.GetRequiredService<AcdHost>();

    public TwilioWebhookClient CreateTwilioClient() => Server.CreateTwilioClient();

    /// <summary>A caller who picks Chinese and presses 0: queued into "general" by the IVR.</summary>
    public Task<IvrCall> QueueCallAsync(string from = "+8613812345678") => IvrCall.QueueForAnAgentAsync(CreateTwilioClient(), from);

    /// <summary>A new agent with a profile holding these skills, signed in to the console but not yet in the ACD.</summary>
    public Task<AgentConsole> NewAgentAsync(params (string Skill, int Level)[] skills) => NewAgentAsync(1, skills);

    /// <summary>A new agent at <paramref name="permissionLevel"/> with a profile holding these skills, signed in but not yet in the ACD.</summary>
    public async Task<AgentConsole> NewAgentAsync(int permissionLevel, params (string Skill, int Level)[] skills)
    {
        // Sessions expire and some tests move the clock by days: sign the admin in again after an hour.
        if (_admin is null || Clock.GetUtcNow() - _adminSignedInAt > TimeSpan.FromHours(1))
        {
            _admin?.Console.Dispose();
            _admin = new AcdConsoleAdmin(await AgentConsole.SignInAsync(Server.CreateClient(), await Server.Services.CreateStaffAsync(StaffRole.Admin)));
            _adminSignedInAt = Clock.GetUtcNow();
        }
        var workNumber = await Server.Services.CreateStaffAsync(StaffRole.Agent, permissionLevel: permissionLevel);
        if (skills.Length > 0)
        {
            using var put = await _admin.Console.PutSkillsAsync(workNumber, skills);
            put.EnsureSuccessStatusCode();
        }
        return await AgentConsole.SignInAsync(Server.CreateClient(), workNumber);
    }

    /// <summary>A new agent with these skills who is logged in to the ACD and available.</summary>
    public Task<AgentConsole> AvailableAgentAsync(params (string Skill, int Level)[] skills) => AvailableAgentAsync(1, skills);

    /// <summary>A new agent at <paramref name="permissionLevel"/> who is logged in to the ACD and available.</summary>
    public async Task<AgentConsole> AvailableAgentAsync(int permissionLevel, params (string Skill, int Level)[] skills)
    {
        var agent = await NewAgentAsync(permissionLevel, skills);
        using var login = await agent.LoginToAcdAsync();
        login.EnsureSuccessStatusCode();
        return agent;
    }

    public async Task<HttpClient> SupervisorAsync() =>
        (await AgentConsole.SignInAsync(Server.CreateClient(), await Server.Services.CreateStaffAsync(StaffRole.Supervisor))).Http;

    public async Task<List<CallEventRecord>> EventsOfAsync(string callSid)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().CallEvents
            .Where(e => e.CallSid == callSid).OrderBy(e => e.CallSeq).ToListAsync();
    }

    public async Task<List<string>> AcdEventTypesAsync(string callSid) =>
        [.. (await EventsOfAsync(callSid)).Select(e => e.Type).Where(t => t.StartsWith("acd.", StringComparison.Ordinal) || t.StartsWith("agent.", StringComparison.Ordinal))];

    /// <summary>The Twilio REST redirects WireMock received, as (CallSid from the path, Twiml form field).</summary>
    public IReadOnlyList<(string CallSid, string Twiml)> Redirects() =>
        [.. Twilio.LogEntries
            .Where(e => e.RequestMessage?.Method == "POST" && TwilioConferenceStubs.IsCallUpdate(e.RequestMessage.Path))
            .Select(e => (
                Path.GetFileNameWithoutExtension(e.RequestMessage!.Path),
                System.Web.HttpUtility.ParseQueryString(e.RequestMessage.Body ?? "")["Twiml"] ?? ""))];

    /// <summary>Who Twilio was asked to dial into the call's conference (participant "To"), in order.</summary>
    public IReadOnlyList<string> DialledInto(string callSid) =>
        [.. Twilio.LogEntries
            .Where(e => e.RequestMessage?.Method == "POST" && e.RequestMessage.Path.EndsWith($"/Conferences/call-{callSid}/Participants.json", StringComparison.Ordinal))
            .Select(e => System.Web.HttpUtility.ParseQueryString(e.RequestMessage!.Body ?? "")["To"] ?? "")];

    public static JsonElement Payload(CallEventRecord record) => JsonDocument.Parse(record.Payload).RootElement.Clone();

    public async ValueTask DisposeAsync()
    {
        _admin?.Console.Dispose();
        await Server.DisposeAsync();
        await _root.DisposeAsync();
        Twilio.Stop();
        Twilio.Dispose();
    }

    private sealed record AcdConsoleAdmin(AgentConsole Console);
}
