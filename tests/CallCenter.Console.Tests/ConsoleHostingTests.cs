using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CallCenter.Testing;

namespace CallCenter.Console.Tests;

/// <summary>How the server serves the built console and mints softphone tokens, without a browser.</summary>
public sealed class ConsoleHostingTests
{
    [Test]
    public async Task The_console_is_a_single_page_app_under_console_and_nothing_outside_its_folder_is_served()
    {
        await using var harness = new ConsoleHarness();
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = harness.BaseUrl };

        using var bare = await http.GetAsync("/console");
        Assert.That(bare.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(bare.Headers.Location?.ToString(), Is.EqualTo("/console/"));

        var index = await File.ReadAllTextAsync(Path.Combine(AssemblySetUp.ConsoleDirectory, "index.html"));
        using var root = await http.GetAsync("/console/");
        Assert.That(await root.Content.ReadAsStringAsync(), Is.EqualTo(index));
        Assert.That(root.Headers.CacheControl?.NoCache, Is.True);
        Assert.That(root.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("script-src 'self';").And.Contain("frame-ancestors 'none'"));
        Assert.That(root.Headers.GetValues("X-Frame-Options").Single(), Is.EqualTo("DENY"));
        using var deepLink = await http.GetAsync("/console/supervisor");
        Assert.That(await deepLink.Content.ReadAsStringAsync(), Is.EqualTo(index));
        Assert.That(deepLink.Headers.CacheControl?.NoCache, Is.True);

        var asset = Directory.GetFiles(Path.Combine(AssemblySetUp.ConsoleDirectory, "assets"), "*.js").First();
        using var script = await http.GetAsync("/console/assets/" + Path.GetFileName(asset));
        Assert.That(script.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(script.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/javascript"));
        Assert.That(script.Headers.CacheControl?.ToString(), Does.Contain("immutable"));

        using var escape = await http.GetAsync("/console/..%2F..%2F..%2Fsrc%2FCallCenter.Server%2Fappsettings.json");
        Assert.That(await escape.Content.ReadAsStringAsync(), Is.EqualTo(index), "a path leaving the console folder gets the app, not the file");
    }

    [Test]
    public async Task Without_a_built_console_the_server_still_runs_and_says_how_to_build_it()
    {
        var empty = Directory.CreateTempSubdirectory("console-absent-");
        try
        {
            await using var harness = new ConsoleHarness(new Dictionary<string, string> { ["Console:Directory"] = empty.FullName });
            using var http = harness.CreateClient();
            using var console = await http.GetAsync("/console/");
            Assert.That(console.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            var problem = await console.Content.ReadFromJsonAsync<JsonElement>();
            Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("Console not built"));
            using var health = await http.GetAsync("/health/live");
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }

    [Test]
    public async Task A_voice_token_is_refused_with_404_until_twilio_voice_keys_are_configured()
    {
        await using var harness = new ConsoleHarness();
        using var agent = await AgentConsole.SignInAsync(harness.CreateClient(), await harness.NewAgentAsync());
        using var response = await agent.Http.PostAsync("/api/agent/voice-token", null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task A_voice_token_is_short_lived_signed_with_the_api_key_and_names_the_agents_softphone()
    {
        const string keySid = "SK00000000000000000000000000000001";
        const string secret = "voice-key-secret-0123456789abcdef";
        await using var harness = new ConsoleHarness(new Dictionary<string, string>
        {
            ["Twilio:Voice:ApiKeySid"] = keySid,
            ["Twilio:Voice:ApiKeySecret"] = secret,
            ["Twilio:Voice:TwimlAppSid"] = "AP00000000000000000000000000000001",
        });
        var workNumber = await harness.NewAgentAsync();
        using var agent = await AgentConsole.SignInAsync(harness.CreateClient(), workNumber);
        using var response = await agent.Http.PostAsync("/api/agent/voice-token", null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var jwt = body.GetProperty("token").GetString()!.Split('.');
        var header = Decode(jwt[0]);
        var claims = Decode(jwt[1]);
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("identity").GetString(), Is.EqualTo("agent-" + workNumber));
            Assert.That(header.GetProperty("alg").GetString(), Is.EqualTo("HS256"));
            Assert.That(claims.GetProperty("iss").GetString(), Is.EqualTo(keySid));
            Assert.That(claims.GetProperty("sub").GetString(), Is.EqualTo(ConsoleHarness.AccountSid));
            Assert.That(claims.GetProperty("grants").GetProperty("identity").GetString(), Is.EqualTo("agent-" + workNumber));
            Assert.That(claims.GetProperty("grants").GetProperty("voice").GetProperty("incoming").GetProperty("allow").GetBoolean(), Is.True);
            Assert.That(claims.GetProperty("exp").GetInt64(), Is.EqualTo(harness.Clock.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds()));
        });
        var signature = System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(jwt[0] + "." + jwt[1]));
        Assert.That(jwt[2], Is.EqualTo(Base64Url(signature)), "signed with the API key's secret");

        using var anonymous = harness.CreateClient();
        using var refused = await anonymous.PostAsync("/api/agent/voice-token", null);
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    private static JsonElement Decode(string part)
    {
        var padded = part.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        return JsonDocument.Parse(Convert.FromBase64String(padded)).RootElement.Clone();
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
