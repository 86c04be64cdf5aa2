using CallCenter.Server.Data;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CallCenter.Server.Tests.Ivr;

/// <summary>Conversations that need their own clock or their own bank: each test runs its own server.</summary>
public sealed class IvrHoursAndSelfServiceTests
{
    private const string Card = "6222020200112233445";
    private const string Pin = "135790";

    [Test]
    public async Task After_hours_the_caller_hears_the_notice_and_zero_leads_to_a_callback_request_not_a_queue()
    {
        // Friday 23:30 in Shanghai: agents have gone home.
        await using var server = new CallCenterServerFactory(AssemblySetUp.Server.Database, new DateTimeOffset(2026, 11, 27, 15, 30, 0, TimeSpan.Zero));
        var call = await IvrCall.DialAsync(server.CreateTwilioClient());
        await call.PressAsync("1");
        Assert.That(call.SpokenText, Does.Contain("现在是非人工服务时间"));

        await call.PressAsync("0");
        Assert.That(call.IsRecording, Is.True, call.RawTwiml);
        await call.FinishRecordingAsync();

        Assert.That(call.IsQueued, Is.False);
        await using var scope = server.Services.CreateAsyncScope();
        var types = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().CallEvents
            .Where(e => e.CallSid == call.CallSid).Select(e => e.Type).ToListAsync();
        Assert.That(types, Does.Contain("ivr.after_hours"));
    }

    [Test]
    public async Task During_a_holiday_self_service_still_works_in_english()
    {
        using var bank = WireMockServer.Start();
        bank.Given(Request.Create().WithPath("/customers/verify").UsingPost())
            .RespondWith(Response.Create().WithBodyAsJson(new { verified = true, customerId = "C-42", tier = "Platinum", preferredName = "Ms Li" }));
        bank.Given(Request.Create().WithPath("/customers/C-42/balances").UsingGet())
            .RespondWith(Response.Create().WithBodyAsJson(new[] { new { maskedAccount = "6222****3445", currency = "CNY", available = 8888.5m } }));
        // National Day, 1 October 2026, 10:00 in Shanghai: a holiday in the flow's calendar.
        await using var server = new CallCenterServerFactory(AssemblySetUp.Server.Database, new DateTimeOffset(2026, 10, 1, 2, 0, 0, TimeSpan.Zero));
        await using var withBank = server.WithWebHostBuilder(b => b.UseSetting("CoreBanking:BaseUrl", bank.Urls[0]));
        var twilio = withBank.CreateTwilioClient();
        var call = await IvrCall.DialAsync(twilio);
        await call.PressAsync("2");
        Assert.That(call.SpokenText, Does.Contain("Our agents are not available now"));

        await call.PressAsync("1");          // accounts and cards
        await call.PressAsync("1");          // balance
        await call.PressAsync(Card + "#");   // card number
        await call.PressAsync(Pin);          // PIN

        Assert.That(call.SpokenText, Does.Contain("Your available balance is 8,888.50 yuan."), call.RawTwiml);
        await using var scope = withBank.Services.CreateAsyncScope();
        var events = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().CallEvents
            .Where(e => e.CallSid == call.CallSid).ToListAsync();
        Assert.That(events.Select(e => e.Type), Does.Contain("ivr.verified"));
        Assert.That(string.Join("\n", events.Select(e => e.Payload)), Does.Not.Contain(Card).And.Not.Contain(Pin).And.Contain("3445"));
    }

    [Test]
    public async Task When_the_core_system_is_down_the_caller_is_not_kept_waiting_and_reaches_a_person()
    {
        using var bank = WireMockServer.Start();
        bank.Given(Request.Create().WithPath("/customers/verify").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(503));
        await using var server = new CallCenterServerFactory(AssemblySetUp.Server.Database);
        await using var withBank = server.WithWebHostBuilder(b => b.UseSetting("CoreBanking:BaseUrl", bank.Urls[0]));
        var twilio = withBank.CreateTwilioClient();
        var call = await IvrCall.DialAsync(twilio);
        await call.PressAsync("1");
        await call.PressAsync("1");
        await call.PressAsync("1");

        for (var attempt = 0; attempt < 3 && !call.IsQueued; attempt++)
        {
            await call.PressAsync(Card + "#");
            await call.PressAsync(Pin);
        }

        Assert.That(call.IsQueued, Is.True, call.RawTwiml);
    }
}
