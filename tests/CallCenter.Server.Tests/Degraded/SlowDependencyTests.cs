using System.Diagnostics;
using CallCenter.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CallCenter.Server.Tests.Degraded;

/// <summary>The bank's core system hangs: no webhook waits past the 3-second budget, and callers reach people.</summary>
public sealed class SlowDependencyTests
{
    private const string Card = "6222020200112233445";
    private const string Pin = "135790";

    /// <summary>Twilio gives up on a webhook after 15 s; the hotline's own rule is 3 s.</summary>
    private static readonly TimeSpan WebhookBudget = TimeSpan.FromSeconds(3);

    [Test]
    public async Task A_hanging_core_system_gets_the_caller_offered_an_agent_within_three_seconds_and_then_its_circuit_opens()
    {
        using var bank = WireMockServer.Start();
        bank.Given(Request.Create().WithPath("/customers/verify").UsingPost())
            .RespondWith(Response.Create().WithDelay(TimeSpan.FromSeconds(20)).WithBodyAsJson(new { verified = true, customerId = "C-1" }));
        await using var server = new CallCenterServerFactory(AssemblySetUp.Server.Database)
            .WithWebHostBuilder(b => b.UseSetting("CoreBanking:BaseUrl", bank.Urls[0]).UseSetting("CoreBanking:AttemptTimeout", "00:00:00.3"));

        // Five callers in a row meet the hanging core system: each is queued for an agent from the PIN step, in time.
        for (var caller = 0; caller < 5; caller++)
        {
            var call = await ReachPinAsync(server.CreateTwilioClient());
            var took = Stopwatch.StartNew();
            await call.PressAsync(Pin);
            took.Stop();
            Assert.That(took.Elapsed, Is.LessThan(WebhookBudget));
            Assert.That(call.QueueName, Is.EqualTo("general"), call.RawTwiml);
        }
        var asked = bank.LogEntries.Count;

        // The circuit is open now: the next caller goes to an agent without the core system being asked at all.
        var next = await ReachPinAsync(server.CreateTwilioClient());
        await next.PressAsync(Pin);
        Assert.That(next.QueueName, Is.EqualTo("general"), next.RawTwiml);
        Assert.That(bank.LogEntries.Count, Is.EqualTo(asked), "an open circuit does not call the core system");
    }

    private static async Task<IvrCall> ReachPinAsync(TwilioWebhookClient twilio)
    {
        var call = await IvrCall.DialAsync(twilio);
        await call.PressAsync("1");
        await call.PressAsync("1");
        await call.PressAsync("1");
        await call.PressAsync(Card + "#");
        return call;
    }
}
