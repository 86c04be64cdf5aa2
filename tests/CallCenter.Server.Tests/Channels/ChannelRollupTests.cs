using System.Net;
using System.Text.Json;
using CallCenter.Server.Channels;
using CallCenter.Server.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Tests.Channels;

/// <summary>
/// Timeliness and satisfaction in the metrics worker's 15-minute rollups, against figures worked out by hand: a request
/// counts in the interval it arrived in, a survey in the interval it was sent in, however late it is answered.
/// </summary>
public sealed class ChannelRollupTests
{
    private static string NewCustomer() => "+86139" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static (int OnTime, int Late, int Pending) Timely(JsonElement report)
    {
        var sms = ChannelHarness.Row(report.GetProperty("timeliness").GetProperty("byChannel"), "sms");
        return (sms.GetProperty("onTime").GetInt32(), sms.GetProperty("late").GetInt32(), sms.GetProperty("pending").GetInt32());
    }

    private static (int Surveyed, int Satisfied) Satisfaction(JsonElement report, string rows, string key)
    {
        var found = report.GetProperty("satisfaction").GetProperty(rows).EnumerateArray()
            .Where(r => (r.TryGetProperty("channel", out var c) ? c : r.GetProperty("key")).GetString() == key).ToList();
        return found.Count == 0 ? (0, 0) : (found[0].GetProperty("surveyed").GetInt32(), found[0].GetProperty("satisfied").GetInt32());
    }

    // Tuesday 2027-05-11 on the hotline's calendar (weekdays 08:00–20:00). Request A arrives 10:14:59 (interval 10:00),
    // request B at 10:15:00 (interval 10:15); both are "general" requests, due 8 working hours later: A 18:14:59, B 18:15.
    // A is answered at 10:20 (on time) and surveyed then (interval 10:15); B is never answered. The survey is answered
    // with 5 the next morning, after B's due time has passed.
    [Test]
    public async Task Timeliness_and_satisfaction_are_rolled_up_by_arrival_and_survey_interval_and_a_late_answer_corrects_its_interval()
    {
        await using var h = ChannelHarness.At(2027, 5, 11, 10, 14);
        using var agent = await h.Acd.AvailableAgentAsync(("sms", 1));
        var (first, second) = (NewCustomer(), NewCustomer());
        DateTimeOffset Local(int day, int hour, int minute, int second = 0) => ChannelHarness.Local(2027, 5, day, hour, minute).AddSeconds(second);

        h.Acd.Clock.SetUtcNow(Local(11, 10, 14, 59));
        using (await h.TextAsync(first, "Please tell me my account manager's name")) { }
        var a = await ChannelHarness.OfferedReferenceAsync(agent);
        using (await agent.AcceptAsync(ServiceRequest.StreamOf(a))) { }
        h.Acd.Clock.SetUtcNow(Local(11, 10, 15));
        using (await h.TextAsync(second, "Please tell me how to change my address")) { }
        h.Acd.Clock.SetUtcNow(Local(11, 10, 20));
        using (var reply = await ChannelHarness.ReplyAsync(agent, a, "Ms Li; she will call you."))
            Assert.That(reply.StatusCode, Is.EqualTo(HttpStatusCode.OK), await reply.Content.ReadAsStringAsync());
        var b = (await h.RequestAsync(q => q.Where(r => r.Contact == second)))!;
        Assert.That(b.DueAt, Is.EqualTo(Local(11, 18, 15)), "the fixture's hand-worked due time");

        h.Acd.Clock.SetUtcNow(Local(11, 10, 21));
        var day = await h.ReportAsync(Local(11, 0, 0), Local(12, 0, 0));
        var tenOClock = await h.ReportAsync(Local(11, 10, 0), Local(11, 10, 15));
        var quarterPast = await h.ReportAsync(Local(11, 10, 15), Local(11, 10, 30));

        Assert.That(Timely(day), Is.EqualTo((1, 0, 1)), "A on time, B still before its due time");
        Assert.That(Timely(tenOClock), Is.EqualTo((1, 0, 0)), "10:14:59 falls in the 10:00 interval");
        Assert.That(Timely(quarterPast), Is.EqualTo((0, 0, 1)), "10:15:00 starts the next one");
        Assert.That(Satisfaction(day, "byChannel", "sms"), Is.EqualTo((0, 0)), "a survey not answered yet counts nowhere");

        // The next morning: the answer arrives long after its interval closed, and B's due time has passed with no event.
        h.Acd.Clock.SetUtcNow(Local(12, 9, 0));
        using (await h.TextAsync(first, "5")) { }
        var quarterPastAfter = await h.ReportAsync(Local(11, 10, 15), Local(11, 10, 30));
        var nextDay = await h.ReportAsync(Local(12, 0, 0), Local(13, 0, 0));

        Assert.That(Satisfaction(quarterPastAfter, "byChannel", "sms"), Is.EqualTo((1, 1)), "counted where the survey was sent");
        Assert.That(Satisfaction(quarterPastAfter, "byAgent", agent.WorkNumber), Is.EqualTo((1, 1)));
        Assert.That(Satisfaction(quarterPastAfter, "byQueue", "sms"), Is.EqualTo((1, 1)));
        Assert.That(Satisfaction(nextDay, "byChannel", "sms"), Is.EqualTo((0, 0)), "not where it was answered");
        Assert.That(Timely(quarterPastAfter), Is.EqualTo((0, 1, 0)), "B unanswered past its due time is late");
        Assert.That(quarterPastAfter.GetProperty("timeliness").GetProperty("total").GetProperty("rate").ValueKind, Is.EqualTo(JsonValueKind.Number));
        Assert.That(quarterPastAfter.GetProperty("satisfaction").GetProperty("policyVersion").GetInt32(), Is.EqualTo(1));

        // The stored rows: one per interval and key, each satisfaction row under the policy version that counted it.
        var stored = await h.DbAsync(db => db.SatisfactionIntervalRollups.AsNoTracking()
            .Where(r => r.Agent == agent.WorkNumber).ToListAsync());
        Assert.That(stored.Select(r => (r.IntervalStart, r.Channel, r.Queue, r.PolicyVersion, r.Surveyed, r.Satisfied)),
            Is.EqualTo(new[] { (Local(11, 10, 15), "sms", "sms", 1, 1, 1) }));
        Assert.That(stored[0].Definition, Does.Contain("4 or more"));
        var quarterPastStart = Local(11, 10, 15);
        var timeliness = await h.DbAsync(db => db.ChannelTimelinessRollups.AsNoTracking()
            .Where(r => r.Channel == "sms" && r.IntervalStart == quarterPastStart).SingleAsync());
        Assert.That(timeliness.OpenDueAt, Does.Contain(Local(11, 18, 15)));
    }

    [Test]
    public async Task Rerunning_and_rebuilding_the_rollups_changes_no_channel_figure()
    {
        await using var h = ChannelHarness.At(2027, 5, 18, 11, 0);
        using var agent = await h.Acd.AvailableAgentAsync(("sms", 1));
        var customer = NewCustomer();
        using (await h.TextAsync(customer, "Please tell me my account manager's name")) { }
        var reference = await ChannelHarness.OfferedReferenceAsync(agent);
        using (await agent.AcceptAsync(ServiceRequest.StreamOf(reference))) { }
        h.Acd.Clock.SetUtcNow(ChannelHarness.Local(2027, 5, 18, 11, 5));
        using (await ChannelHarness.ReplyAsync(agent, reference, "Mr Wang.")) { }
        using (await h.TextAsync(customer, "2")) { }
        var (from, to) = (ChannelHarness.Local(2027, 5, 18, 11, 0), ChannelHarness.Local(2027, 5, 18, 11, 15));
        var before = await h.ReportAsync(from, to);

        await h.RollUpAsync();
        await using (var scope = h.Acd.Server.Services.CreateAsyncScope())
        {
            var rollups = scope.ServiceProvider.GetRequiredService<RollupCalculator>();
            await rollups.RebuildAsync(from, to, scope.ServiceProvider.GetRequiredService<IOptions<MetricsOptions>>().Value, CancellationToken.None);
        }
        var after = await h.ReportAsync(from, to);

        Assert.That(Timely(before), Is.EqualTo((1, 0, 0)));
        Assert.That(Satisfaction(before, "byAgent", agent.WorkNumber), Is.EqualTo((1, 0)), "2 of 5 is not satisfied");
        Assert.That(Timely(after), Is.EqualTo(Timely(before)));
        Assert.That(Satisfaction(after, "byAgent", agent.WorkNumber), Is.EqualTo(Satisfaction(before, "byAgent", agent.WorkNumber)));
    }
}
