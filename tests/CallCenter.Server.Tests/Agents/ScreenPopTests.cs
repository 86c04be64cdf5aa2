using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CallCenter.Server.Tests.Agents;

/// <summary>The screen pop on GET /api/agent/offer: what the IVR and the call log already know about the caller.</summary>
public sealed class ScreenPopTests
{
    private const string Card = "6222020200112233445";
    private const string Pin = "135790";

    [Test]
    public async Task The_offer_shows_language_path_verification_tier_and_earlier_contacts_without_the_full_number()
    {
        using var bank = WireMockServer.Start();
        bank.Given(Request.Create().WithPath("/customers/verify").UsingPost())
            .RespondWith(Response.Create().WithBodyAsJson(new { verified = true, customerId = "C-42", tier = "Platinum", preferredName = "Ms Li" }));
        bank.Given(Request.Create().WithPath("/customers/C-42/balances").UsingGet())
            .RespondWith(Response.Create().WithBodyAsJson(new[] { new { maskedAccount = "6222****3445", currency = "CNY", available = 8888.5m } }));
        // This test is about the screen pop, not the core system's time budget: the longest budgets the options allow keep a
        // loaded machine's first (cold) request to the stand-in from turning verification into the agent fallback.
        await using var acd = new AcdHarness(settings: new Dictionary<string, string>
        {
            ["CoreBanking:BaseUrl"] = bank.Urls[0], ["CoreBanking:AttemptTimeout"] = "00:00:02.500", ["CoreBanking:TotalTimeout"] = "00:00:02.800",
        });
        var from = "+86139" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        // An earlier call from the same number, two days before.
        await IvrCall.DialAsync(acd.CreateTwilioClient(), from: from);
        acd.Clock.Advance(TimeSpan.FromDays(2));

        var agent = await acd.AvailableAgentAsync(("general", 3));
        var call = await IvrCall.DialAsync(acd.CreateTwilioClient(), from: from);
        await call.PressAsync("2");          // English
        await call.PressAsync("1");          // accounts and cards
        await call.PressAsync("1");          // balance
        await call.PressAsync(Card + "#");
        await call.PressAsync(Pin);
        Assert.That(call.SpokenText, Does.Contain("8,888.50"), call.RawTwiml);
        await call.PressAsync("0");
        Assert.That(call.IsQueued, Is.True, call.RawTwiml);

        var offer = (await agent.OfferAsync())!.Value;
        var pop = offer.GetProperty("screenPop");
        Assert.Multiple(() =>
        {
            Assert.That(offer.GetProperty("callSid").GetString(), Is.EqualTo(call.CallSid));
            Assert.That(pop.GetProperty("caller").GetString(), Is.EqualTo(offer.GetProperty("caller").GetString()));
            Assert.That(pop.GetProperty("caller").GetString(), Does.StartWith("+86139****").And.EndWith(from[^4..]));
            Assert.That(pop.GetProperty("language").GetString(), Is.EqualTo("en-US"));
            Assert.That(pop.GetProperty("verified").GetBoolean(), Is.True);
            Assert.That(pop.GetProperty("customerTier").GetString(), Is.EqualTo("Platinum"));
            Assert.That(pop.GetProperty("ivrPath").EnumerateArray().Select(p => p.GetString()), Does.Contain("1→accounts-menu"));
            Assert.That(pop.GetProperty("request").GetString(), Is.EqualTo("agent-queue"));
            Assert.That(pop.GetProperty("selfService").EnumerateArray().Select(p => p.GetString()), Has.Some.StartsWith("Balance"));
            Assert.That(pop.GetProperty("previousContacts").GetInt32(), Is.EqualTo(1));
            Assert.That(pop.GetProperty("previousContactsDays").GetInt32(), Is.EqualTo(7));
        });
        Assert.That(offer.ToString(), Does.Not.Contain(from).And.Not.Contain(Card));
    }
}
