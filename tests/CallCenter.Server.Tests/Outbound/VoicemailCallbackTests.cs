using System.Globalization;
using System.Net;
using CallCenter.Server.Data;
using CallCenter.Server.Outbound;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace CallCenter.Server.Tests.Outbound;

/// <summary>
/// A caller who leaves a message at the IVR's voicemail node gets a callback linked to the message, routed by the ACD
/// only when the line is open and it is within calling hours in the caller's zone.
/// </summary>
public sealed class VoicemailCallbackTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);
    private const string OutboundSid = "CA0000000000000000000000000000vm01";

    [Test]
    public async Task A_voicemail_becomes_a_callback_linked_to_the_message_routed_only_when_the_line_is_open_and_the_caller_may_be_called()
    {
        // Monday 23 November 2026, 20:30 in Shanghai: the line closed at 20:00; the caller could still be called until 21:00.
        await using var database = await TestDatabase.CreateAsync("voicemail");
        await using var h = new AcdHarness(settings: new Dictionary<string, string> { ["Callbacks:RunWorkers"] = "false", ["Complaints:RunWorkers"] = "false" },
            now: new DateTimeOffset(2026, 11, 23, 20, 30, 0, Shanghai).ToUniversalTime(), database: database);
        h.Twilio.Given(Request.Create().WithPath($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls.json").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(201).WithBodyAsJson(new { sid = OutboundSid, status = "queued" }));
        var number = "+86139" + Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);
        var caller = await IvrCall.DialAsync(h.CreateTwilioClient(), from: number);
        await caller.PressAsync("1");   // 中文: the after-hours notice, then the main menu
        await caller.PressAsync("0");   // a person: after hours, that is the voicemail
        var record = caller.Twiml.Root!.Element("Record");
        await caller.FinishRecordingAsync();
        var worker = h.Server.Services.GetRequiredService<CallbackWorker>();

        var lineClosed = await worker.RunOnceAsync(CancellationToken.None);
        var callback = await OneAsync(h, caller.CallSid);
        var message = (await h.EventsOfAsync(caller.CallSid)).Single(e => e.Type == "ivr.voicemail");
        h.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 24, 8, 30, 0, Shanghai).ToUniversalTime());
        var tooEarlyForTheCaller = await worker.RunOnceAsync(CancellationToken.None);
        var waitingUntil = (await OneAsync(h, caller.CallSid)).NextAttemptAt;
        h.Clock.SetUtcNow(new DateTimeOffset(2026, 11, 24, 9, 0, 0, Shanghai).ToUniversalTime());
        var due = await worker.RunOnceAsync(CancellationToken.None);
        using var agent = await h.AvailableAgentAsync(("general", 1));
        var offer = await agent.OfferAsync();
        using var accepted = await agent.AcceptAsync(callback.Id);
        var dialled = h.Twilio.LogEntries.Where(e => e.RequestMessage!.Path.EndsWith("/Calls.json", StringComparison.Ordinal)).ToList();
        using var mine = await agent.Http.GetAsync($"/api/callbacks/{callback.Id}");
        var supervisor = await h.SupervisorAsync();
        var list = await supervisor.GetStringAsync("/api/callbacks");

        Assert.Multiple(() =>
        {
            Assert.That(record?.Attribute("recordingStatusCallback")?.Value, Is.EqualTo("https://hotline.bank.test/twilio/voice/recording"),
                "the message is archived like any recording");
            Assert.That(callback.Kind, Is.EqualTo(CallbackKind.Voicemail));
            Assert.That(callback.Number, Is.EqualTo(number));
            Assert.That(callback.MessageRecordingSid, Does.StartWith("RE"));
            Assert.That(message.Payload, Does.Contain(callback.MessageRecordingSid!), "linked to the message the call log names");
            Assert.That((lineClosed.Requested, lineClosed.Queued), Is.EqualTo((1, 0)), "20:30: the line is closed, so nobody would take it");
            Assert.That(tooEarlyForTheCaller.Queued, Is.Zero, "08:30: the line is open but the caller may not be called before 09:00");
            Assert.That(waitingUntil, Is.EqualTo(new DateTimeOffset(2026, 11, 24, 9, 0, 0, Shanghai)));
            Assert.That((due.Requested, due.Queued), Is.EqualTo((0, 1)));
            Assert.That(offer?.GetProperty("callSid").GetString(), Is.EqualTo(callback.Id));
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(dialled, Has.Count.EqualTo(1));
            Assert.That(System.Web.HttpUtility.ParseQueryString(dialled[0].RequestMessage!.Body ?? "")["To"], Is.EqualTo(number));
            Assert.That(mine.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the agent who took it sees it, with the message's archive number once archived");
            Assert.That(list, Does.Contain(callback.Id).And.Contain("\"kind\":\"Voicemail\"").And.Not.Contain(number));
        });
    }

    private static async Task<Callback> OneAsync(AcdHarness h, string originCallSid)
    {
        await using var scope = h.Server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().Callbacks.AsNoTracking()
            .SingleAsync(c => c.OriginCallSid == originCallSid);
    }
}
