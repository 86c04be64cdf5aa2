using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Channels;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Tests.Channels;

/// <summary>Inbound SMS → service request → ACD → agent with the SMS skill → reply over Twilio REST → timeliness by the calendar.</summary>
public sealed class SmsRequestTests
{
    private static string NewCustomer() => "+86139" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    // The hotline's calendar: weekdays 08:00–20:00, weekends 09:00–18:00 (ivr-flows/bank-hotline.yaml). A card request
    // has 4 working hours: from Friday 17:55, 2 h 05 min on Friday and 1 h 55 min from Saturday 09:00, due Saturday 10:55.
    [TestCase(9, 30, true)]
    [TestCase(11, 0, false)]
    public async Task A_signed_sms_is_routed_to_an_sms_agent_whose_reply_goes_out_through_twilio_and_counts_by_the_calendar(
        int replyHour, int replyMinute, bool onTime)
    {
        // A Friday of its own per case, so the report counts only this case's request.
        var day = onTime ? 5 : 12;
        await using var h = ChannelHarness.At(2027, 3, day, 17, 55);
        using var phoneOnly = await h.Acd.AvailableAgentAsync(("general", 5));
        using var agent = await h.Acd.AvailableAgentAsync(("sms", 1));
        var customer = NewCustomer();

        using var webhook = await h.TextAsync(customer, "My card was swallowed by the ATM at the airport");
        var reference = await ChannelHarness.OfferedReferenceAsync(agent);

        Assert.That(webhook.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await webhook.Content.ReadAsStringAsync(), Does.Contain("<Response"));
        Assert.That(await phoneOnly.OfferAsync(), Is.Null, "an agent without the SMS skill is not offered texts");
        var stored = await h.RequestAsync(q => q.Where(r => r.Reference == reference));
        Assert.That(stored!.Category, Is.EqualTo("cards"));
        Assert.That(stored.Contact, Is.EqualTo(customer));
        Assert.That(stored.DueAt, Is.EqualTo(ChannelHarness.Local(2027, 3, day + 1, 10, 55)));

        using (var accept = await agent.AcceptAsync(ServiceRequest.StreamOf(reference)))
            Assert.That(accept.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await accept.Content.ReadAsStringAsync());
        Assert.That((await agent.MeAsync()).GetProperty("state").GetString(), Is.EqualTo("OnText"));
        var view = await agent.Http.GetFromJsonAsync<JsonElement>($"/api/agent/requests/{reference}", TestJson.Options);
        Assert.That(view.GetProperty("body").GetString(), Does.Contain("swallowed"));
        Assert.That(view.GetProperty("contact").GetString(), Does.Not.Contain(customer[^8..^4]), "the agent sees the number masked");
        Assert.That(h.Acd.Redirects(), Is.Empty, "a text request moves no call");

        h.Acd.Clock.SetUtcNow(ChannelHarness.Local(2027, 3, day + 1, replyHour, replyMinute));
        using var reply = await ChannelHarness.ReplyAsync(agent, reference, "We have blocked the card; a new one is on its way.");

        Assert.That(reply.StatusCode, Is.EqualTo(HttpStatusCode.OK), await reply.Content.ReadAsStringAsync());
        Assert.That((await reply.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options)).GetProperty("onTime").GetBoolean(), Is.EqualTo(onTime));
        var sent = h.SentSms();
        Assert.That(sent[0], Is.EqualTo((customer, ChannelHarness.Hotline, "We have blocked the card; a new one is on its way.")));
        Assert.That(sent.Skip(1).Single().Body, Is.EqualTo(SurveyService.SmsText), "the survey follows the answer");
        Assert.That((await agent.MeAsync()).GetProperty("state").GetString(), Is.EqualTo("WrapUp"));
        var events = (await h.Acd.EventsOfAsync(ServiceRequest.StreamOf(reference))).Select(e => e.Type).ToList();
        Assert.That(events, Is.EqualTo(new[]
        {
            "request.received", "acd.queued", "acd.offered", "acd.answered", "request.answered", "acd.completed", "survey.sent",
        }));

        var report = await h.ReportAsync(ChannelHarness.Local(2027, 3, day, 17, 0), ChannelHarness.Local(2027, 3, day, 18, 0));
        var sms = ChannelHarness.Row(report.GetProperty("timeliness").GetProperty("byChannel"), "sms");
        Assert.That(sms.GetProperty("onTime").GetInt32(), Is.EqualTo(onTime ? 1 : 0));
        Assert.That(sms.GetProperty("late").GetInt32(), Is.EqualTo(onTime ? 0 : 1));
        Assert.That(sms.GetProperty("rate").GetDouble(), Is.EqualTo(onTime ? 1.0 : 0.0));
        Assert.That(report.GetProperty("timeliness").GetProperty("definition").GetString(), Does.Contain("due time"));
    }

    [Test]
    public async Task An_unsigned_sms_webhook_is_refused_with_403_and_stores_nothing()
    {
        await using var h = ChannelHarness.At(2026, 11, 27, 10, 0);
        var sid = ChannelHarness.NewMessageSid();

        using var unsigned = await h.TextAsync(NewCustomer(), "Please call me back", sid, signed: false);
        var forged = await h.Acd.CreateTwilioClient().PostAsync(SmsWebhook.Path,
            new Dictionary<string, string> { ["MessageSid"] = sid, ["From"] = NewCustomer(), ["To"] = ChannelHarness.Hotline, ["Body"] = "x" }, signature: "AAAA");

        Assert.That(unsigned.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await unsigned.Content.ReadAsStringAsync(), Does.Contain("Invalid Twilio signature"));
        Assert.That(await h.RequestAsync(q => q.Where(r => r.ExternalId == sid)), Is.Null);
        Assert.That(await h.Acd.EventsOfAsync("request:" + sid), Is.Empty);
    }

    [Test]
    public async Task A_retried_delivery_of_the_same_sms_is_one_request_and_one_offer()
    {
        await using var h = ChannelHarness.At(2026, 11, 27, 10, 0);
        using var agent = await h.Acd.AvailableAgentAsync(("sms", 1));
        var sid = ChannelHarness.NewMessageSid();
        var customer = NewCustomer();

        using var first = await h.TextAsync(customer, "How do I raise my transfer limit?", sid);
        using var again = await h.TextAsync(customer, "How do I raise my transfer limit?", sid);
        var reference = await ChannelHarness.OfferedReferenceAsync(agent);

        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var count = await h.DbAsync(db => db.ServiceRequests.CountAsync(r => r.Contact == customer));
        Assert.That(count, Is.EqualTo(1));
        var events = (await h.Acd.EventsOfAsync(ServiceRequest.StreamOf(reference))).Select(e => e.Type).ToList();
        Assert.That(events.Count(t => t == "request.received"), Is.EqualTo(1));
        Assert.That(events.Count(t => t == "acd.queued"), Is.EqualTo(1));
        Assert.That((await h.RequestAsync(q => q.Where(r => r.Reference == reference)))!.Category, Is.EqualTo("payments"));
    }

    [Test]
    public async Task A_second_text_while_the_first_is_open_joins_the_same_request()
    {
        await using var h = ChannelHarness.At(2026, 11, 27, 10, 0);
        using var agent = await h.Acd.AvailableAgentAsync(("sms", 1));
        var customer = NewCustomer();

        using (await h.TextAsync(customer, "Hello, I have a question")) { }
        var followUp = ChannelHarness.NewMessageSid();
        using (await h.TextAsync(customer, "It is about my card", followUp)) { }
        using (await h.TextAsync(customer, "It is about my card", followUp)) { }
        var reference = await ChannelHarness.OfferedReferenceAsync(agent);
        using (await agent.AcceptAsync(ServiceRequest.StreamOf(reference))) { }
        var view = await agent.Http.GetFromJsonAsync<JsonElement>($"/api/agent/requests/{reference}", TestJson.Options);

        Assert.That(await h.DbAsync(db => db.ServiceRequests.CountAsync(r => r.Contact == customer)), Is.EqualTo(1));
        Assert.That(view.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("body").GetString()), Is.EqualTo(new[] { "It is about my card" }));
    }

    [Test]
    public async Task A_reply_twilio_refuses_leaves_the_request_with_the_agent_and_once_answered_it_cannot_be_answered_again()
    {
        await using var h = ChannelHarness.At(2026, 11, 27, 10, 0);
        using var agent = await h.Acd.AvailableAgentAsync(("sms", 1));
        using (await h.TextAsync(NewCustomer(), "Where is my nearest branch?")) { }
        var reference = await ChannelHarness.OfferedReferenceAsync(agent);
        using (await agent.AcceptAsync(ServiceRequest.StreamOf(reference))) { }

        using var stranger = await h.Acd.AvailableAgentAsync(("sms", 1));
        using var notTheirs = await ChannelHarness.ReplyAsync(stranger, reference, "Hi");
        using var empty = await ChannelHarness.ReplyAsync(agent, reference, " ");
        h.Acd.Twilio.Given(WireMock.RequestBuilders.Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher("*/Messages.json")).UsingPost())
            .AtPriority(-1).RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(400).WithBodyAsJson(new { code = 21211, message = "Invalid 'To' Phone Number", status = 400 }));
        using var refused = await ChannelHarness.ReplyAsync(agent, reference, "Nanjing Road branch.");
        var afterRefusal = await h.RequestAsync(q => q.Where(r => r.Reference == reference));
        var stateAfterRefusal = (await agent.MeAsync()).GetProperty("state").GetString();
        h.Acd.Twilio.ResetMappings();
        h.StubMessages();
        using var sent = await ChannelHarness.ReplyAsync(agent, reference, "Nanjing Road branch.");
        using var twice = await ChannelHarness.ReplyAsync(agent, reference, "Nanjing Road branch.");

        Assert.That(notTheirs.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(empty.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadGateway), await refused.Content.ReadAsStringAsync());
        Assert.That(afterRefusal!.Status, Is.EqualTo(ServiceRequestStatus.Open));
        Assert.That(afterRefusal.AnsweredAt, Is.Null);
        Assert.That(stateAfterRefusal, Is.EqualTo("OnText"));
        Assert.That(sent.StatusCode, Is.EqualTo(HttpStatusCode.OK), await sent.Content.ReadAsStringAsync());
        Assert.That(twice.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "once answered, the request is no longer in the agent's hands");
        var types = (await h.Acd.EventsOfAsync(ServiceRequest.StreamOf(reference))).Select(e => e.Type).ToList();
        Assert.That(types.Count(t => t == "request.reply_failed"), Is.EqualTo(1));
        Assert.That(types.Count(t => t == "request.answered"), Is.EqualTo(1));
    }
}
