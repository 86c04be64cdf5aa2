using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using StackExchange.Redis;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CallCenter.Console.Tests;

/// <summary>
/// A server of its own on a real loopback port (a browser cannot reach the in-memory test server), with its
/// own ACD, a fixed clock the test moves, WireMock as the Twilio REST API, and browser contexts for the people using it.
/// </summary>
internal sealed class ConsoleHarness : IAsyncDisposable
{
    public const string AccountSid = "AC0000000000000000000000000000c0n5";

    private readonly CallCenterServerFactory _root;
    private readonly List<IBrowserContext> _contexts = [];
    private AgentConsole? _admin;

    /// <param name="settings">Extra configuration for this server (e.g. Twilio Voice keys).</param>
    public ConsoleHarness(IReadOnlyDictionary<string, string>? settings = null)
    {
        Twilio = WireMockServer.Start();
        Twilio.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher($"/2010-04-01/Accounts/{AccountSid}/Calls/*.json")).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new { sid = "CA0", status = "in-progress" }));
        TwilioConferenceStubs.Register(Twilio, AccountSid);
        _root = new CallCenterServerFactory(AssemblySetUp.Database);
        // Its own SignalR channel prefix: servers of other test runs on the same Redis must not reach these consoles.
        var channel = "callcenter.console-tests." + Guid.NewGuid().ToString("N");
        Server = _root.WithWebHostBuilder(b =>
        {
            b.UseSetting("Twilio:AccountSid", AccountSid);
            b.UseSetting("Twilio:ApiBaseUrl", Twilio.Urls[0]);
            b.UseSetting("Console:Directory", AssemblySetUp.ConsoleDirectory);
            // A free loopback port: appsettings.json's Urls (5080) belongs to ./run.sh.
            b.UseSetting("urls", "http://127.0.0.1:0");
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) b.UseSetting(key, value);
            b.ConfigureTestServices(s => s.Configure<RedisOptions>(o => o.Configuration.ChannelPrefix = RedisChannel.Literal(channel)));
        });
        Server.UseKestrel(0);
        Server.StartServer();
        var addresses = Server.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = new Uri(addresses.First());
    }

    public WireMockServer Twilio { get; }

    public WebApplicationFactory<Program> Server { get; }

    /// <summary>Where the browser finds the server, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseUrl { get; }

    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock => _root.Clock;

    public HttpClient CreateClient() => new() { BaseAddress = BaseUrl };

    public TwilioWebhookClient CreateTwilioClient() => new(CreateClient(), CallCenterServerFactory.AuthToken, CallCenterServerFactory.PublicBaseUrl);

    /// <summary>A caller who picks Chinese and presses 0: queued into "general" by the IVR.</summary>
    public Task<IvrCall> QueueCallAsync(string from = "+8613812345678") => IvrCall.QueueForAnAgentAsync(CreateTwilioClient(), from);

    /// <summary>A new agent (password already chosen) with the given skill profile ("general" 3 when none), not yet in the ACD.</summary>
    public async Task<string> NewAgentAsync(params (string Skill, int Level)[] skills)
    {
        _admin ??= await AgentConsole.SignInAsync(CreateClient(), await Server.Services.CreateStaffAsync(StaffRole.Admin));
        var workNumber = await Server.Services.CreateStaffAsync(StaffRole.Agent);
        using var put = await _admin.PutSkillsAsync(workNumber, skills.Length == 0 ? [("general", 3)] : skills);
        put.EnsureSuccessStatusCode();
        return workNumber;
    }

    /// <summary>A staff member whose password was last changed <paramref name="age"/> ago (server clock).</summary>
    public async Task<string> StaffWithPasswordAgeAsync(StaffRole role, TimeSpan age)
    {
        var workNumber = StaffBuilder.NewWorkNumber();
        await using var scope = Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var hasher = scope.ServiceProvider.GetRequiredService<IPasswordHasher<StaffMember>>();
        var now = Clock.GetUtcNow();
        var member = new StaffMember { WorkNumber = workNumber, DisplayName = $"Expired {role}", Role = role, CreatedAt = now - age };
        member.SetPassword(hasher.HashPassword(member, StaffBuilder.Password), now - age, chosenByUser: true);
        db.StaffMembers.Add(member);
        await db.SaveChangesAsync();
        return workNumber;
    }

    /// <summary>A fresh browser profile (its own cookies) with a page on it.</summary>
    public async Task<IPage> NewPageAsync(Action<BrowserNewContextOptions>? configure = null)
    {
        var options = new BrowserNewContextOptions { BaseURL = BaseUrl.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } };
        configure?.Invoke(options);
        var context = await AssemblySetUp.Browser.NewContextAsync(options);
        _contexts.Add(context);
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        // Script errors and failed requests go to the test output, where a failing UI wait needs them.
        page.Console += (_, message) => { if (message.Type is "error" or "warning") TestContext.Progress.WriteLine($"[browser {message.Type}] {message.Text}"); };
        page.PageError += (_, error) => TestContext.Progress.WriteLine($"[browser page error] {error}");
        return page;
    }

    /// <summary>Opens the console and signs in through the login form, by keyboard only.</summary>
    public async Task<IPage> SignInAsync(string workNumber, string password = StaffBuilder.Password, IPage? page = null)
    {
        page ??= await NewPageAsync();
        await page.GotoAsync("/console/");
        await page.GetByLabel("Work number").FillAsync(workNumber);
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync(password);
        await page.Keyboard.PressAsync("Enter");
        // Supervisors, QA staff and administrators are then asked for their authenticator's code.
        if (StaffBuilder.OneTimeCode(workNumber) is { } code)
        {
            await page.GetByLabel("One-time code").FillAsync(code);
            await page.Keyboard.PressAsync("Enter");
        }
        return page;
    }

    /// <summary>Saves a full-page screenshot in the test's work directory and attaches it to the test result.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, name);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts) await context.CloseAsync();
        _admin?.Dispose();
        await Server.DisposeAsync();
        await _root.DisposeAsync();
        Twilio.Stop();
        Twilio.Dispose();
    }
}
