using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Metrics;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Metrics;

/// <summary>The rollups read the real call log; each test uses a queue name of its own.</summary>
public sealed class QueueRollupTests
{
    private static readonly DateTimeOffset Nine = new(2026, 11, 27, 1, 0, 0, TimeSpan.Zero); // 09:00 in Shanghai

    private static async Task AppendAsync(IServiceProvider services, string callSid, string type, DateTimeOffset at, object payload) =>
        await services.GetRequiredService<ICallEventLog>().AppendAsync(
            new NewCallEvent(callSid, type, type, at, CallEventPayload.Serialize(payload)), CancellationToken.None);

    /// <summary>A call that entered the queue at <paramref name="entered"/> and then answered or abandoned after <paramref name="wait"/>.</summary>
    private static async Task<string> CallAsync(IServiceProvider services, string queue, DateTimeOffset entered, string? outcome, int wait, int talk = 0)
    {
        var sid = TwilioForms.NewCallSid();
        await AppendAsync(services, sid, "acd.queued", entered, new { queue });
        if (outcome is not null) await AppendAsync(services, sid, outcome, entered.AddSeconds(wait), new { queue });
        if (talk > 0) await AppendAsync(services, sid, "acd.completed", entered.AddSeconds(wait + talk), new { queue });
        return sid;
    }

    /// <summary>A call an agent answered, finished and wrapped up with a reason family, marked resolved.</summary>
    private static async Task HandledAsync(IServiceProvider services, string callSid, DateTimeOffset queued, string reasonFamily, bool resolved = true)
    {
        await AppendAsync(services, callSid, "acd.queued", queued, new { queue = "general" });
        await AppendAsync(services, callSid, "acd.answered", queued.AddSeconds(10), new { queue = "general", agent = "A-fcr" });
        await AppendAsync(services, callSid, "acd.completed", queued.AddMinutes(3), new { queue = "general", agent = "A-fcr" });
        await AppendAsync(services, callSid, "agent.wrap_up", queued.AddMinutes(4), new { reasonFamily, resolved });
    }

    private static async Task<List<QueueIntervalRollup>> RowsAsync(IServiceProvider services, string queue)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().QueueIntervalRollups.AsNoTracking()
            .Where(r => r.Queue == queue).OrderBy(r => r.IntervalStart).ThenBy(r => r.PolicyVersion).ToListAsync();
    }

    [Test]
    public async Task An_interval_counts_offered_answered_and_abandoned_calls_with_both_service_levels()
    {
        var server = AssemblySetUp.Server;
        var queue = "q-" + Guid.NewGuid().ToString("N")[..8];
        await CallAsync(server.Services, queue, Nine.AddSeconds(5), "acd.answered", 10, talk: 120);
        await CallAsync(server.Services, queue, Nine.AddMinutes(1), "acd.answered", 30, talk: 60);
        await CallAsync(server.Services, queue, Nine.AddMinutes(2), "acd.abandoned", 3);
        await CallAsync(server.Services, queue, Nine.AddMinutes(3), "acd.abandoned", 40);

        await server.Services.GetRequiredService<MetricsWorker>().RunOnceAsync(CancellationToken.None);
        var row = (await RowsAsync(server.Services, queue)).Single();

        Assert.That(row.IntervalStart, Is.EqualTo(Nine));
        Assert.That((row.Offered, row.Answered, row.AnsweredWithinThreshold, row.Abandoned, row.ShortAbandoned), Is.EqualTo((4, 2, 1, 1, 1)));
        Assert.That(row.ConnectRate, Is.EqualTo(0.5));
        Assert.That(row.ServiceLevelOffered, Is.EqualTo(1.0 / 3));
        Assert.That(row.ServiceLevelAnswered, Is.EqualTo(0.5));
        Assert.That(row.AverageSpeedOfAnswer, Is.EqualTo(20));
        Assert.That(row.AverageTalkTime, Is.EqualTo(90));
        Assert.That(row.Definition, Does.StartWith("v1: answered within 20 s"));
    }

    [Test]
    public async Task A_late_abandon_corrects_the_interval_the_call_entered_in_and_a_rerun_changes_nothing()
    {
        var server = AssemblySetUp.Server;
        var worker = server.Services.GetRequiredService<MetricsWorker>();
        var queue = "q-" + Guid.NewGuid().ToString("N")[..8];
        await CallAsync(server.Services, queue, Nine.AddMinutes(1), "acd.answered", 5);
        var late = await CallAsync(server.Services, queue, Nine.AddMinutes(14), outcome: null, wait: 0);
        await worker.RunOnceAsync(CancellationToken.None);
        var before = (await RowsAsync(server.Services, queue)).Single();

        // Twenty minutes later, in another interval, the status callback tells us the caller gave up.
        await AppendAsync(server.Services, late, "acd.abandoned", Nine.AddMinutes(34), new { queue });
        await worker.RunOnceAsync(CancellationToken.None);
        await worker.RunOnceAsync(CancellationToken.None);
        var after = await RowsAsync(server.Services, queue);

        Assert.That((before.Offered, before.Abandoned), Is.EqualTo((1, 0)), "a call still waiting is not yet offered");
        Assert.That(after, Has.Count.EqualTo(1));
        Assert.That((after[0].IntervalStart, after[0].Offered, after[0].Abandoned), Is.EqualTo((Nine, 2, 1)));
    }

    [Test]
    [NonParallelizable] // Runs a second server whose worker shares the call log's watermark.
    public async Task A_new_policy_version_writes_new_rows_and_leaves_published_ones_alone()
    {
        var queue = "q-" + Guid.NewGuid().ToString("N")[..8];
        var first = AssemblySetUp.Server;
        await CallAsync(first.Services, queue, Nine.AddMinutes(2), "acd.answered", 30);
        await first.Services.GetRequiredService<MetricsWorker>().RunOnceAsync(CancellationToken.None);

        await using var second = new CallCenterServerFactory(first.Database);
        await using var v2 = second.WithWebHostBuilder(b =>
        {
            b.UseSetting("Metrics:ServiceLevelVersion", "2");
            b.UseSetting("Metrics:ServiceLevelThreshold", "00:00:40");
        });
        await CallAsync(v2.Services, queue, Nine.AddMinutes(3), "acd.answered", 35);
        await v2.Services.GetRequiredService<MetricsWorker>().RunOnceAsync(CancellationToken.None);
        var rows = await RowsAsync(first.Services, queue);

        Assert.That(rows.Select(r => r.PolicyVersion), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(rows[0].ServiceLevelOffered, Is.EqualTo(0.0), "v1 as published: 30 s is late against 20 s");
        Assert.That(rows[0].Offered, Is.EqualTo(1), "v1 was not recomputed under the new policy");
        Assert.That(rows[1].ServiceLevelOffered, Is.EqualTo(1.0));
        Assert.That(rows[1].Definition, Does.StartWith("v2: answered within 40 s"));
    }

    [Test]
    public async Task Supervisors_read_the_report_as_json_or_csv_and_agents_may_not()
    {
        var server = AssemblySetUp.Server;
        var queue = "q-" + Guid.NewGuid().ToString("N")[..8];
        await CallAsync(server.Services, queue, Nine.AddMinutes(20), "acd.answered", 8);
        await server.Services.GetRequiredService<MetricsWorker>().RunOnceAsync(CancellationToken.None);
        var supervisor = await server.Services.CreateStaffAsync(StaffRole.Supervisor);
        var agent = await server.Services.CreateStaffAsync(StaffRole.Agent);
        using var supervisorClient = server.CreateClient();
        using var _ = await StaffBuilder.LoginAsync(supervisorClient, supervisor);
        using var agentClient = server.CreateClient();
        using var __ = await StaffBuilder.LoginAsync(agentClient, agent);
        var range = $"from={Uri.EscapeDataString(Nine.ToString("o"))}&to={Uri.EscapeDataString(Nine.AddHours(1).ToString("o"))}&queue={queue}";

        var json = await supervisorClient.GetFromJsonAsync<List<QueueIntervalRollup>>($"/api/metrics/queues?{range}");
        var csv = await supervisorClient.GetStringAsync($"/api/metrics/queues?{range}&format=csv");
        using var forbidden = await agentClient.GetAsync($"/api/metrics/queues?{range}");
        using var badRange = await supervisorClient.GetAsync($"/api/metrics/queues?from={Uri.EscapeDataString(Nine.ToString("o"))}&to={Uri.EscapeDataString(Nine.ToString("o"))}");

        Assert.That(json!.Single().IntervalStart, Is.EqualTo(Nine.AddMinutes(15)));
        Assert.That(csv.Split('\n')[1], Does.Contain($"\"{queue}\",1,1,1,1,0,0,1,1,1,8,"));
        Assert.That(forbidden.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(badRange.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task The_staffing_calculator_answers_the_textbook_case_and_refuses_nonsense()
    {
        var supervisor = await AssemblySetUp.Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var client = AssemblySetUp.Server.CreateClient();
        using var _ = await StaffBuilder.LoginAsync(client, supervisor);

        var answer = await client.GetFromJsonAsync<MetricsApi.StaffingAnswer>("/api/metrics/staffing?callsPerHour=200&ahtSeconds=180&thresholdSeconds=20&target=0.8&agents=14");
        using var nonsense = await client.GetAsync("/api/metrics/staffing?callsPerHour=-1&ahtSeconds=180&thresholdSeconds=20&target=80");

        Assert.That(answer!.Erlangs, Is.EqualTo(10).Within(1e-9));
        Assert.That(answer.ServiceLevel, Is.EqualTo(0.888).Within(0.001));
        Assert.That(answer.AverageSpeedOfAnswerSeconds, Is.EqualTo(7.8).Within(0.05));
        Assert.That(answer.AgentsNeeded, Is.EqualTo(14));
        Assert.That(nonsense.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await nonsense.Content.ReadAsStringAsync(), Does.Contain("callsPerHour").And.Contain("target"));
    }

    [Test]
    public async Task An_agents_interval_shows_calls_answered_talk_time_and_resolved_wrap_ups()
    {
        var server = AssemblySetUp.Server;
        var agent = "A" + Guid.NewGuid().ToString("N")[..8];
        var first = TwilioForms.NewCallSid();
        var second = TwilioForms.NewCallSid();
        await AppendAsync(server.Services, first, "acd.answered", Nine.AddMinutes(31), new { queue = "general", agent });
        await AppendAsync(server.Services, first, "acd.completed", Nine.AddMinutes(35), new { queue = "general", agent });
        await AppendAsync(server.Services, first, "agent.wrap_up", Nine.AddMinutes(36), new { disposition = "answered", resolved = true });
        await AppendAsync(server.Services, second, "acd.answered", Nine.AddMinutes(40), new { queue = "general", agent });

        await server.Services.GetRequiredService<MetricsWorker>().RunOnceAsync(CancellationToken.None);
        await using var scope = server.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().AgentIntervalRollups.AsNoTracking().SingleAsync(r => r.Agent == agent);

        Assert.That(row.IntervalStart, Is.EqualTo(Nine.AddMinutes(30)));
        Assert.That((row.Answered, row.Completed, row.TalkSeconds, row.WrappedUp, row.MarkedResolved), Is.EqualTo((2, 1, 240.0, 1, 1)));
    }

    [Test]
    public async Task First_call_resolution_counts_a_repeat_call_about_the_same_reason_against_the_first()
    {
        var server = AssemblySetUp.Server;
        var twilio = server.CreateTwilioClient();
        var june = new DateTimeOffset(2026, 6, 1, 2, 0, 0, TimeSpan.Zero);
        var repeatCaller = "+86138" + Random.Shared.Next(10_000_000, 99_999_999);
        var otherCaller = "+86139" + Random.Shared.Next(10_000_000, 99_999_999);
        var first = await IvrCall.DialAsync(twilio, from: repeatCaller);
        var again = await IvrCall.DialAsync(twilio, from: repeatCaller);
        var other = await IvrCall.DialAsync(twilio, from: otherCaller);
        await HandledAsync(server.Services, first.CallSid, june.AddHours(1), "cards");
        await HandledAsync(server.Services, again.CallSid, june.AddDays(2), "cards");
        await HandledAsync(server.Services, other.CallSid, june.AddHours(3), "cards");
        await server.Services.GetRequiredService<MetricsWorker>().RunOnceAsync(CancellationToken.None);
        var supervisor = await server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var client = server.CreateClient();
        using var _ = await StaffBuilder.LoginAsync(client, supervisor);
        var period = $"from={Uri.EscapeDataString(june.ToString("o"))}&to={Uri.EscapeDataString(june.AddDays(1).ToString("o"))}";

        var fcr = await client.GetFromJsonAsync<CallCenter.Core.Metrics.FcrFigure>($"/api/metrics/fcr?{period}");

        Assert.That(fcr!.Needs, Is.EqualTo(2));
        Assert.That(fcr.ResolvedFirstTime, Is.EqualTo(1));
        Assert.That(fcr.Rate, Is.EqualTo(0.5));
        Assert.That(fcr.Provisional, Is.False, "the server's clock (27 Nov) is past 1 June + 7 days");
        Assert.That(fcr.Definition, Does.Contain("7 days"));
    }
}
