using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using static Microsoft.Playwright.Assertions;

namespace CallCenter.Console.Tests;

/// <summary>
/// The console's audio mode: the Twilio Voice JS SDK in the page registers with Twilio's signalling server, played here by
/// Playwright's WebSocket routing. What is asserted is what crosses that socket (the SDK's JSON messages) and what the page
/// shows: the token the SDK presents is the one the server minted for this agent, and it is renewed before it expires.
/// </summary>
public sealed partial class SoftphoneAudioTests
{
    private const string KeySid = "SK00000000000000000000000000000002";
    private const string Secret = "voice-key-secret-softphone-0123456789";

    [Test]
    public async Task Switching_audio_on_registers_the_sdk_with_the_agents_server_minted_token_and_renews_it_before_expiry()
    {
        await using var harness = new ConsoleHarness(new Dictionary<string, string>
        {
            ["Twilio:Voice:ApiKeySid"] = KeySid,
            ["Twilio:Voice:ApiKeySecret"] = Secret,
        });
        var workNumber = await harness.NewAgentAsync();
        var page = await harness.NewPageAsync();
        var listens = new BlockingCollection<string>();
        var sent = new ConcurrentQueue<string>();
        // Twilio's signalling (wss://voice-js.<edge>.twilio.com/signal): answered in its JSON protocol, never reached.
        await page.RouteWebSocketAsync(SignallingUrl(), ws =>
        {
            ws.OnMessage(frame =>
            {
                var text = frame.Text ?? "";
                sent.Enqueue(text);
                using var message = JsonDocument.Parse(text);
                switch (message.RootElement.GetProperty("type").GetString())
                {
                    case "listen":
                        var token = message.RootElement.GetProperty("payload").GetProperty("token").GetString()!;
                        listens.Add(token);
                        // The server would read these from the token; ttl 62 s with the console's 60 s margin: renew in 2 s.
                        ws.Send(JsonSerializer.Serialize(new
                        {
                            type = "connected",
                            payload = new { region = "us1", edge = "roaming", token = new { identity = Claims(token).Identity, ttl = 62 } },
                        }));
                        break;
                    case "register":
                        ws.Send("""{"type":"ready","payload":{}}""");
                        break;
                }
            });
        });
        await harness.SignInAsync(workNumber, page: page);
        await Expect(page.Locator("#audio-mode")).ToContainTextAsync("Audio: off");

        await page.GetByLabel("Audio in this browser (Twilio Voice)").CheckAsync();
        Assert.That(listens.TryTake(out var first, TimeSpan.FromSeconds(30)), Is.True, "the SDK opened the signalling socket and presented a token");
        // The next token is minted later on the server's clock, so it must differ from the first.
        harness.Clock.Advance(TimeSpan.FromMinutes(5));
        await Expect(page.Locator("#audio-mode")).ToContainTextAsync($"registered as agent-{workNumber}");
        Assert.That(listens.TryTake(out var renewed, TimeSpan.FromSeconds(30)), Is.True, "tokenWillExpire: a fresh token was presented");
        await Expect(page.Locator("#audio-mode")).ToContainTextAsync("token renewed");
        await ConsoleHarness.ScreenshotAsync(page, "agent-console-audio");

        var (identity, issuer, expires) = Claims(first!);
        var renewedClaims = Claims(renewed!);
        Assert.Multiple(() =>
        {
            Assert.That(identity, Is.EqualTo($"agent-{workNumber}"), "the softphone registers as this agent's client");
            Assert.That(issuer, Is.EqualTo(KeySid));
            Assert.That(SignedWithSecret(first!), Is.True, "minted by the server with the API key's secret");
            Assert.That(renewedClaims.Identity, Is.EqualTo(identity));
            Assert.That(SignedWithSecret(renewed!), Is.True);
            Assert.That(renewedClaims.Expires, Is.GreaterThan(expires), "a new token, not the old one again");
            Assert.That(sent.Any(m => m.Contains("\"type\":\"register\"", StringComparison.Ordinal)), Is.True, "the device registered for incoming calls");
        });

        // Switching audio off again tears the device down: back to the no-audio mode that drives the API.
        await page.GetByLabel("Audio in this browser (Twilio Voice)").UncheckAsync();
        await Expect(page.Locator("#audio-mode")).ToContainTextAsync("Audio: off");
    }

    [Test]
    public async Task Audio_on_a_server_without_voice_keys_says_so_and_stays_in_no_audio_mode()
    {
        await using var harness = new ConsoleHarness();
        var page = await harness.SignInAsync(await harness.NewAgentAsync());
        await Expect(page.Locator("#audio-mode")).ToContainTextAsync("Audio: off");
        // A click, not CheckAsync: the console unticks the box again as soon as the server says it has no keys.
        await page.GetByLabel("Audio in this browser (Twilio Voice)").ClickAsync();
        await Expect(page.Locator("#audio-mode")).ToContainTextAsync("no Twilio Voice credentials");
        await Expect(page.GetByLabel("Audio in this browser (Twilio Voice)")).Not.ToBeCheckedAsync();
    }

    private static (string Identity, string Issuer, long Expires) Claims(string jwt)
    {
        var claims = Decode(jwt.Split('.')[1]);
        return (claims.GetProperty("grants").GetProperty("identity").GetString()!, claims.GetProperty("iss").GetString()!, claims.GetProperty("exp").GetInt64());
    }

    private static bool SignedWithSecret(string jwt)
    {
        var parts = jwt.Split('.');
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        return Convert.ToBase64String(expected).TrimEnd('=').Replace('+', '-').Replace('/', '_') == parts[2];
    }

    private static JsonElement Decode(string part)
    {
        var padded = part.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        return JsonDocument.Parse(Convert.FromBase64String(padded)).RootElement.Clone();
    }

    [GeneratedRegex(@"^wss://[^/]+\.twilio\.com/signal")]
    private static partial Regex SignallingUrl();
}
