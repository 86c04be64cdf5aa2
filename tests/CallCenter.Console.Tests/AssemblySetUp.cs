using CallCenter.Testing;
using Microsoft.Playwright;

namespace CallCenter.Console.Tests;

/// <summary>
/// Once per run: checks PostgreSQL, Redis and the built console, makes one migrated database and starts
/// Debian's Chromium (never a downloaded browser). Tests run one at a time: each drives a real browser,
/// and on two shared cores parallel browsers would only make timing-dependent UI waits flaky.
/// </summary>
[SetUpFixture]
public sealed class AssemblySetUp
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static TestDatabase Database { get; private set; } = null!;
    public static IPlaywright Playwright { get; private set; } = null!;
    public static IBrowser Browser { get; private set; } = null!;

    /// <summary>web/console/dist of this checkout, the folder the server serves at /console/.</summary>
    public static string ConsoleDirectory { get; } = Path.GetFullPath(Path.Combine(TestInfrastructure.RepositoryRoot, "web", "console", "dist"));

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (!File.Exists(Path.Combine(ConsoleDirectory, "index.html")))
            throw new InvalidOperationException($"The web console is not built in {ConsoleDirectory}: run ./test.sh, or web/console/build.sh first.");
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"{ChromiumPath} is missing: run ./test.sh (installs Debian's chromium) or apt-get install chromium.");
        await TestInfrastructure.EnsureReachableAsync();
        // Generous waits: ./test.sh runs the server tests beside these on two shared cores, and a Twilio REST
        // round trip to WireMock has been seen to take 8 s there. A wait ends as soon as the page is right.
        Assertions.SetDefaultExpectTimeout(30_000);
        Database = await TestDatabase.CreateAsync("console");
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Root in a container needs --no-sandbox; the rest keep Chromium off the (closed) network.
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"],
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        Playwright?.Dispose();
        if (Database is not null) await Database.DisposeAsync();
    }
}
