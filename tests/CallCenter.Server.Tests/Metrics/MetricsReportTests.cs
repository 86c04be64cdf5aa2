using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Metrics;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Metrics;

/// <summary>Reports built from real calls through IVR, ACD and agents; each test runs in a week no other test uses.</summary>
public sealed class MetricsReportTests
{
    /// <summary>
    /// The caller waits, then an agent comes available, takes the call, ends it, wraps it up and signs out of the ACD
    /// so the next call in the test is not offered to them.
    /// </summary>
    private static async Task<AgentConsole> AnswerAsync(AcdHarness h, IvrCall call, int waitSeconds, int talkSeconds,
        int wrapUpSeconds, string reasonFamily, bool resolved = true, int idleAfterSeconds = 0)
    {
        h.Clock.Advance(TimeSpan.FromSeconds(waitSeconds));
        var agent = await h.AvailableAgentAsync(("general", 1));
        var offer = await agent.Http.GetFromJsonAsync<JsonElement>("/api/agent/offer");
        using var accepted = await agent.AcceptAsync(offer.GetProperty("callSid").GetString()!);
        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        h.Clock.Advance(TimeSpan.FromSeconds(talkSeconds));
        using var ended = await agent.EndCallAsync(call.CallSid);
        h.Clock.Advance(TimeSpan.FromSeconds(wrapUpSeconds));
        using var wrapped = await agent.WrapUpAsync(call.CallSid, resolved: resolved, reasonFamily: reasonFamily);
        Assert.That(wrapped.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        // A rollup between the wrap-up and the logout: the agent's interval is recut whole, never half-overwritten.
        await RollUpAsync(h);
        h.Clock.Advance(TimeSpan.FromSeconds(idleAfterSeconds));
        using var loggedOut = await agent.LogoutFromAcdAsync();
        Assert.That(loggedOut.IsSuccessStatusCode, Is.True);
        return agent;
    }

    private static Task<int> RollUpAsync(AcdHarness h) => h.Server.Services.GetRequiredService<MetricsWorker>().RunOnceAsync(CancellationToken.None);

    [Test]
    public async Task The_weekly_report_shows_answer_speed_connect_rate_talk_time_workload_and_reasons()
    {
        await using var h = new AcdHarness(now: new DateTimeOffset(2027, 2, 3, 9, 0, 0, TimeSpan.Zero));
        var answered = await h.QueueCallAsync(from: "+8613800000001");
        using var agent = await AnswerAsync(h, answered, waitSeconds: 12, talkSeconds: 95, wrapUpSeconds: 20, reasonFamily: "loans", idleAfterSeconds: 60);
        var abandoned = await h.QueueCallAsync(from: "+8613800000002");
        h.Clock.Advance(TimeSpan.FromSeconds(40));
        using var hangUp = await h.CreateTwilioClient().PostSignedAsync("/twilio/voice/status", TwilioForms.Status(abandoned.CallSid, "completed", 60));
        await RollUpAsync(h);
        using var supervisor = await h.SupervisorAsync();

        var report = await supervisor.GetFromJsonAsync<MetricsApiWeekly>("/api/metrics/weekly?week=2027-W05", TestJson.Options);

        Assert.That(report!.Week, Is.EqualTo("2027-W05"));
        var centre = report.Centre!;
        Assert.That((centre.Offered, centre.Answered, centre.Abandoned), Is.EqualTo((2, 1, 1)));
        Assert.That(centre.ConnectRate, Is.EqualTo(0.5));
        Assert.That(centre.AverageSpeedOfAnswer, Is.EqualTo(12).Within(0.01));
        Assert.That(centre.LongestWaitSeconds, Is.EqualTo(40).Within(0.01));
        Assert.That(centre.AverageTalkTime, Is.EqualTo(95).Within(0.01));
        Assert.That(centre.AverageHandleTime, Is.EqualTo(115).Within(0.01), "talk + after-call work");
        Assert.That(report.Agents.Single().Answered, Is.EqualTo(1));
        Assert.That(report.Agents.Single().Agent, Is.EqualTo(agent.WorkNumber));
        Assert.That(report.Agents.Single().Occupancy, Is.EqualTo(115.0 / 175).Within(1e-6), "talk 95 s + wrap-up 20 s busy, then 60 s available");
        Assert.That(report.Reasons.Single().Name, Is.EqualTo("loans"));
        Assert.That(report.AskedFor.Sum(t => t.Calls), Is.EqualTo(2), "both callers chose from the menu");
    }

    [Test]
    public async Task Line_and_daily_figures_agree_with_the_calls_and_bad_periods_are_refused()
    {
        await using var h = new AcdHarness(now: new DateTimeOffset(2027, 2, 17, 3, 0, 0, TimeSpan.Zero));
        var call = await h.QueueCallAsync(from: "+8613800000003");
        using var agent = await AnswerAsync(h, call, waitSeconds: 30, talkSeconds: 60, wrapUpSeconds: 5, reasonFamily: "cards");
        var selfService = await IvrCall.DialAsync(h.CreateTwilioClient(), from: "+8613800000004");
        using var done = await h.CreateTwilioClient().PostSignedAsync("/twilio/voice/status", TwilioForms.Status(selfService.CallSid, "completed", 30));
        await RollUpAsync(h);
        using var supervisor = await h.SupervisorAsync();

        var lines = await supervisor.GetFromJsonAsync<List<LineIntervalRollup>>(
            "/api/metrics/lines?from=2027-02-17T03:00:00Z&to=2027-02-17T03:15:00Z", TestJson.Options);
        var csv = await supervisor.GetStringAsync("/api/metrics/summary?from=2027-02-17&to=2027-02-17&by=day&format=csv");
        using var badBy = await supervisor.GetAsync("/api/metrics/summary?from=2027-02-17&to=2027-02-17&by=fortnight");
        using var backwards = await supervisor.GetAsync("/api/metrics/summary?from=2027-02-17&to=2027-02-01");
        using var badWeek = await supervisor.GetAsync("/api/metrics/weekly?week=2027-W54");

        var line = lines!.Single();
        Assert.That((line.Line, line.Calls, line.SelfServiceOnly, line.TransferredToAgent, line.AnsweredByAgent),
            Is.EqualTo((TwilioForms.BankHotline, 2, 1, 1, 1)));
        Assert.That(csv, Does.Contain("2027-02-17,").And.Contain("\"general\",1,1,0,0,0,0,0,1,0,0,0,30,30,60,65"));
        Assert.That((badBy.StatusCode, backwards.StatusCode, badWeek.StatusCode),
            Is.EqualTo((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest)));
    }

    [Test]
    public async Task Daily_fcr_is_provisional_until_the_window_closes_and_a_repeat_undoes_the_earlier_need()
    {
        await using var h = new AcdHarness(now: new DateTimeOffset(2027, 3, 1, 2, 0, 0, TimeSpan.Zero));
        const string caller = "+8613800000005";
        using var first = await AnswerAsync(h, await h.QueueCallAsync(from: caller), 10, 60, 5, "cards");
        await RollUpAsync(h);
        var before = await DayAsync(h, "2027-03-01");

        h.Clock.Advance(TimeSpan.FromDays(2));
        using var second = await AnswerAsync(h, await h.QueueCallAsync(from: caller), 10, 60, 5, "cards");
        await RollUpAsync(h);
        var afterRepeat = await DayAsync(h, "2027-03-01");

        h.Clock.Advance(TimeSpan.FromDays(8));
        await RollUpAsync(h);
        var final = await DayAsync(h, "2027-03-01");

        Assert.That((before.Needs, before.ResolvedFirstTime, before.Provisional), Is.EqualTo((1, 1, true)));
        Assert.That((afterRepeat.Needs, afterRepeat.ResolvedFirstTime), Is.EqualTo((1, 0)));
        Assert.That((final.Needs, final.ResolvedFirstTime, final.Provisional), Is.EqualTo((1, 0, false)));
        Assert.That(final.Definition, Does.Contain("7 days"));
    }

    [Test]
    public async Task An_agents_time_is_recut_from_the_state_they_were_in_when_a_later_run_starts_a_new_interval()
    {
        // Available and on a call from 09:14, past the 09:15 boundary; the worker runs after the wrap-up and again after logout.
        // Before the FCR test's week: a server whose clock is past that week's window would finalise its days.
        await using var h = new AcdHarness(now: new DateTimeOffset(2027, 1, 20, 9, 10, 0, TimeSpan.Zero));
        using var agent = await AnswerAsync(h, await h.QueueCallAsync(from: "+8613800000006"), waitSeconds: 240, talkSeconds: 120,
            wrapUpSeconds: 30, reasonFamily: "cards", idleAfterSeconds: 60);
        await RollUpAsync(h);

        await using var scope = h.Server.Services.CreateAsyncScope();
        var rows = await scope.ServiceProvider.GetRequiredService<CallCenter.Server.Data.CallCenterDbContext>().AgentIntervalRollups
            .AsNoTracking().Where(r => r.Agent == agent.WorkNumber).OrderBy(r => r.IntervalStart).ToListAsync();

        Assert.That(rows.Select(r => r.IntervalStart.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(new[] { "09:00", "09:15" }));
        Assert.That((rows[1].HandlingSeconds, rows[1].AvailableSeconds), Is.EqualTo((90.0, 60.0)),
            "on the call 09:15-09:16 (carried over from before the cut), wrap-up 30 s, then 60 s available until logout");
        Assert.That(rows[1].Occupancy, Is.EqualTo(0.6).Within(1e-9));
    }

    private static async Task<FcrDailyRollup> DayAsync(AcdHarness h, string day)
    {
        using var supervisor = await h.SupervisorAsync();
        var days = await supervisor.GetFromJsonAsync<List<FcrDailyRollup>>($"/api/metrics/fcr/daily?from={day}&to={day}", TestJson.Options);
        return days!.Single();
    }

    /// <summary>The weekly report as a client reads it.</summary>
    private sealed record MetricsApiWeekly(string Week, PeriodFigures? Centre, List<PeriodFigures> Queues,
        List<MetricsApi.AgentWorkload> Agents, List<MetricsApi.Tally> Reasons, List<MetricsApi.Tally> AskedFor);
}
