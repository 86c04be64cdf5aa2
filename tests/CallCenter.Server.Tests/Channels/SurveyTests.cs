using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CallCenter.Server.Channels;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;

namespace CallCenter.Server.Tests.Channels;

/// <summary>Satisfaction surveys after text requests: sent once per period, answered once, opt-out respected, reported.</summary>
public sealed partial class SurveyTests
{
    private static string NewCustomer() => "+86137" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A text request answered by the agent; returns the reply's JSON.</summary>
    private static async Task<JsonElement> AnsweredTextAsync(ChannelHarness h, AgentConsole agent, string customer, string body)
    {
        using (await h.TextAsync(customer, body)) { }
        var reference = await ChannelHarness.OfferedReferenceAsync(agent);
        using (await agent.AcceptAsync(ServiceRequest.StreamOf(reference))) { }
        using var reply = await ChannelHarness.ReplyAsync(agent, reference, "Done, thank you.");
        Assert.That(reply.StatusCode, Is.EqualTo(HttpStatusCode.OK), await reply.Content.ReadAsStringAsync());
        using (await agent.SetStateAsync("Available")) { }
        return await reply.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
    }

    [Test]
    public async Task A_reply_digit_answers_the_sms_survey_once_and_the_report_counts_it_per_channel_queue_and_agent()
    {
        await using var h = ChannelHarness.At(2027, 4, 7, 10, 0);
        using var agent = await h.Acd.AvailableAgentAsync(("sms", 1));
        var customer = NewCustomer();
        var reply = await AnsweredTextAsync(h, agent, customer, "What are your opening hours?");
        var answer = ChannelHarness.NewMessageSid();

        using (await h.TextAsync(customer, "5", answer)) { }
        using (await h.TextAsync(customer, "5", answer)) { }
        using (await h.TextAsync(customer, "2")) { }

        Assert.That(reply.GetProperty("surveySent").GetBoolean(), Is.True);
        var survey = await h.DbAsync(db => db.Surveys.AsNoTracking().SingleAsync(s => s.Contact == customer));
        Assert.That(survey.Rating, Is.EqualTo(5), "the first answer stands");
        Assert.That(survey.Agent, Is.EqualTo(agent.WorkNumber));
        Assert.That(await h.DbAsync(db => db.ServiceRequests.CountAsync(r => r.Contact == customer)), Is.EqualTo(1), "a rating is not a new request");
        var events = (await h.Acd.EventsOfAsync(ServiceRequest.StreamOf(survey.Subject))).Select(e => e.Type).ToList();
        Assert.That(events.Count(t => t == "survey.answered"), Is.EqualTo(1));

        var report = (await h.ReportAsync(ChannelHarness.Local(2027, 4, 7, 0, 0), ChannelHarness.Local(2027, 4, 8, 0, 0))).GetProperty("satisfaction");
        foreach (var (rows, key) in new[] { ("byChannel", "sms"), ("byQueue", "sms"), ("byAgent", agent.WorkNumber) })
        {
            var row = ChannelHarness.Row(report.GetProperty(rows), key);
            Assert.That((row.GetProperty("surveyed").GetInt32(), row.GetProperty("satisfied").GetInt32(), row.GetProperty("rate").GetDouble()), Is.EqualTo((1, 1, 1.0)), rows);
        }
        Assert.That(report.GetProperty("target").GetDouble(), Is.EqualTo(0.85));
    }

    [Test]
    public async Task An_email_survey_is_answered_once_through_its_link_and_unknown_or_answered_surveys_change_nothing()
    {
        await using var h = ChannelHarness.At(2026, 11, 27, 10, 0);
        using var agent = await h.Acd.AvailableAgentAsync(("web", 1));
        var address = $"c{Guid.NewGuid():N}@customer.test";
        using (await h.WebFormAsync(new { email = address, message = "Can I change my statement address online?" })) { }
        var reference = await ChannelHarness.OfferedReferenceAsync(agent);
        using (await agent.AcceptAsync(ServiceRequest.StreamOf(reference))) { }

        using var reply = await ChannelHarness.ReplyAsync(agent, reference, "Yes: Settings, then Address.");
        Assert.That(reply.StatusCode, Is.EqualTo(HttpStatusCode.OK), await reply.Content.ReadAsStringAsync());
        var mails = h.Smtp.ReceivedEmail.Where(m => m.ToAddresses.Any(a => a.Address == address))
            .Select(m => MimeKit.MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(m.Data))).TextBody ?? "").ToList();
        Assert.That(mails, Has.Count.EqualTo(2));
        Assert.That(mails.Single(m => !SurveyLink().IsMatch(m)).Trim(), Is.EqualTo("Yes: Settings, then Address."));
        var token = SurveyLink().Match(mails.Single(m => SurveyLink().IsMatch(m))).Groups[1].Value;

        using var http = h.Acd.Server.CreateClient();
        using var outOfRange = await http.PostAsJsonAsync($"/api/surveys/{token}", new { rating = 9 });
        using var first = await http.PostAsJsonAsync($"/api/surveys/{token}", new { rating = 3 });
        using var second = await http.PostAsJsonAsync($"/api/surveys/{token}", new { rating = 5 });
        using var unknown = await http.PostAsJsonAsync($"/api/surveys/{new string('0', 32)}", new { rating = 5 });

        Assert.That(outOfRange.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        var survey = await h.DbAsync(db => db.Surveys.AsNoTracking().SingleAsync(s => s.Token == token));
        Assert.That(survey.Rating, Is.EqualTo(3));
        Assert.That(survey.Channel, Is.EqualTo("web"));
    }

    [Test]
    public async Task A_customer_who_opted_out_or_was_surveyed_within_the_period_gets_no_survey()
    {
        await using var h = ChannelHarness.At(2026, 11, 27, 10, 0);
        using var agent = await h.Acd.AvailableAgentAsync(("sms", 1));
        var optedOut = NewCustomer();
        var regular = NewCustomer();

        using (await h.TextAsync(optedOut, "STOP")) { }
        var afterOptOut = await AnsweredTextAsync(h, agent, optedOut, "Is the app down?");
        var firstTime = await AnsweredTextAsync(h, agent, regular, "Lost my card");
        var secondTime = await AnsweredTextAsync(h, agent, regular, "Also my PIN");

        Assert.That(afterOptOut.GetProperty("surveySent").GetBoolean(), Is.False);
        Assert.That(firstTime.GetProperty("surveySent").GetBoolean(), Is.True);
        Assert.That(secondTime.GetProperty("surveySent").GetBoolean(), Is.False);
        Assert.That(await h.DbAsync(db => db.Surveys.CountAsync(s => s.Contact == optedOut || s.Contact == regular)), Is.EqualTo(1));
        Assert.That(await h.DbAsync(db => db.ServiceRequests.CountAsync(r => r.Contact == optedOut)), Is.EqualTo(1), "STOP is no request");
        Assert.That(h.SentSms().Count(s => s.Body == SurveyService.SmsText), Is.EqualTo(1));
    }

    [GeneratedRegex("/api/surveys/([0-9a-f]{32})")]
    private static partial Regex SurveyLink();
}
