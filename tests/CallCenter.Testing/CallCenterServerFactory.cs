using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CallCenter.Testing;

/// <summary>The real server, in process, against a test database and the local Redis, with a fixed clock.</summary>
public sealed class CallCenterServerFactory(TestDatabase database, DateTimeOffset? now = null) : WebApplicationFactory<Program>
{
    public const string AuthToken = "test-auth-token-0123456789abcdef";
    public static readonly Uri PublicBaseUrl = new("https://hotline.bank.test");

    /// <summary>Friday 27 November 2026, 17:00 in Shanghai: the bank hotline is open.</summary>
    public static readonly DateTimeOffset DefaultNow = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Starts at a fixed instant; tests advance it explicitly.</summary>
    public FakeTimeProvider Clock { get; } = new(now ?? DefaultNow);

    public TestDatabase Database { get; } = database;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:Postgres", Database.ConnectionString);
        builder.UseSetting("ConnectionStrings:Redis", TestInfrastructure.Redis);
        builder.UseSetting("Twilio:AuthToken", AuthToken);
        builder.UseSetting("Twilio:PublicBaseUrl", PublicBaseUrl.ToString());
        builder.UseSetting("Database:MigrateOnStartup", "false");
        // Twilio speaks prompts itself unless a test asks for synthesis, so TwiML stays readable text.
        builder.UseSetting("Prompts:Engine", "none");
        // Archive workers run only where a test drives them, so no test's clock sweeps another test's recordings.
        builder.UseSetting("Archive:RunWorkers", "false");
        // Likewise the complaint and callback workers: a test runs them, so no server turns another test's calls into tickets or callbacks.
        builder.UseSetting("Complaints:RunWorkers", "false");
        builder.UseSetting("Callbacks:RunWorkers", "false");
        // Ending a call hangs the caller up, as most tests expect; the post-call survey tests turn the survey on.
        builder.UseSetting("Channels:Surveys:AfterCalls", "false");
        // Tests sign many staff in from one address within a minute; RequestRateLimitTests sets its own limits.
        builder.UseSetting("RateLimits:LoginPermits", "100000");
        builder.UseSetting("RateLimits:WebhookRefusals", "100000");
        // Each server its own call-log spool (a test restarting "the same" server sets the same folder again).
        builder.UseSetting("Degraded:SpoolDirectory", Path.Combine(Path.GetTempPath(), "cc-spool-" + Guid.NewGuid().ToString("N")));
        // A loaded test machine can take over a second to write; only a dependency that is really away should spool.
        builder.UseSetting("Degraded:DatabaseWriteTimeout", "00:00:02.5");
        // The core-banking pipeline runs on wall-clock time: WireMock's first answer on a loaded machine can take over a second.
        builder.UseSetting("CoreBanking:AttemptTimeout", "00:00:02");
        builder.UseSetting("CoreBanking:TotalTimeout", "00:00:02.8");
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}

/// <summary>Twilio's side of any test server, including ones derived with WithWebHostBuilder.</summary>
public static class TwilioClientExtensions
{
    /// <summary>A client that speaks to the webhooks the way Twilio does, signature included.</summary>
    public static TwilioWebhookClient CreateTwilioClient(this WebApplicationFactory<Program> server) =>
        new(server.CreateClient(), CallCenterServerFactory.AuthToken, CallCenterServerFactory.PublicBaseUrl);
}
