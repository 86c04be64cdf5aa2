using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Metrics;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Tests.Metrics;

/// <summary>
/// The worker moves interval rows by each batch's changed calls instead of recounting them; after batches full of
/// late events and calls folded again, every row must equal what a full rebuild from the call facts writes.
/// </summary>
public sealed class IncrementalRollupTests
{
    [Test]
    public async Task Rows_moved_by_late_events_and_refolded_calls_equal_a_full_rebuild()
    {
        await using var database = await TestDatabase.CreateAsync("delta");
        await using var server = new CallCenterServerFactory(database);
        var options = server.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        var day = RollupCalculator.LocalDay(server.Clock.GetUtcNow(), options.Zone).AddDays(-2);
        var (dayFrom, dayTo) = RollupCalculator.DayBounds(day, options.Zone);
        var nine = dayFrom.AddHours(9);
        var log = server.Services.GetRequiredService<ICallEventLog>();
        var worker = server.Services.GetRequiredService<MetricsWorker>();
        var random = new Random(11);
        var calls = Enumerable.Range(0, 80).Select(i => new Call(TwilioForms.NewCallSid(), nine.AddSeconds(random.Next(2 * 3600)),
            random.Next(2) == 0 ? "delta-a" : "delta-b", "A-delta-" + random.Next(3), random.Next(100), random.Next(25, 700))).ToList();

        async Task Append(Call c, string type, string key, DateTimeOffset at, object payload) =>
            await log.AppendAsync(new NewCallEvent(c.Sid, type, key, at, CallEventPayload.Serialize(payload)), CancellationToken.None);

        // First batch: every call comes in and queues; most are answered, none has finished yet.
        foreach (var c in calls)
        {
            await Append(c, "call.incoming", "incoming", c.Queued.AddSeconds(-40), new { to = "+862100000777" });
            await Append(c, "acd.queued", "acd.queued#1", c.Queued, new { queue = c.Queue });
            if (c.Fate < 70) await Append(c, "acd.answered", "acd.answered#1", c.Queued.AddSeconds(c.Wait), new { queue = c.Queue, agent = c.Agent });
        }
        await worker.RunOnceAsync(CancellationToken.None);

        // Second batch: the answered calls end and are wrapped up (folded again), waiting callers abandon or get a
        // callback minutes later, some answers turn out to have come earlier (the interval's longest wait shrinks), and a
        // few calls turn out to have queued earlier elsewhere (they move to another queue and interval).
        foreach (var c in calls)
        {
            if (c.Fate < 70)
            {
                var answered = c.Queued.AddSeconds(c.Wait);
                await Append(c, "acd.completed", "acd.completed#1", answered.AddSeconds(90 + c.Fate), new { queue = c.Queue, agent = c.Agent });
                await Append(c, "agent.wrap_up", "agent.wrap_up", answered.AddSeconds(130 + c.Fate),
                    new { reasonFamily = "cards", resolved = c.Fate % 3 != 0 });
                if (c.Fate % 4 == 0) await Append(c, "ivr.survey_answer", "survey", answered.AddSeconds(200), new { score = 1 + c.Fate % 5 });
                if (c.Fate % 5 == 0) await Append(c, "acd.answered", "acd.answered#0", c.Queued.AddSeconds(c.Wait / 3), new { queue = c.Queue, agent = c.Agent });
            }
            else if (c.Fate < 85) await Append(c, "acd.abandoned", "acd.abandoned", c.Queued.AddSeconds(c.Wait), new { queue = c.Queue });
            else if (c.Fate < 92) await Append(c, "acd.callback_requested", "acd.callback_requested", c.Queued.AddSeconds(c.Wait), new { queue = c.Queue });
            if (c.Fate % 7 == 0) await Append(c, "acd.queued", "acd.queued#0", c.Queued.AddMinutes(-20), new { queue = "delta-c" });
            await Append(c, "call.status", "status:completed", c.Queued.AddSeconds(c.Wait + 400), new { status = "completed" });
        }
        await worker.RunOnceAsync(CancellationToken.None);

        // Third batch: the last waiting callers give up; a re-run with nothing new changes nothing.
        foreach (var c in calls.Where(c => c.Fate >= 92)) await Append(c, "acd.abandoned", "acd.abandoned", c.Queued.AddSeconds(c.Wait), new { queue = c.Queue });
        await worker.RunOnceAsync(CancellationToken.None);
        await worker.RunOnceAsync(CancellationToken.None);
        var incremental = await SnapshotAsync(server.Services);

        await using (var scope = server.Services.CreateAsyncScope())
            await scope.ServiceProvider.GetRequiredService<RollupCalculator>().RebuildAsync(dayFrom, dayTo, options, CancellationToken.None);
        var rebuilt = await SnapshotAsync(server.Services);

        Assert.That(incremental.Rows, Has.Count.GreaterThanOrEqualTo(12), "two hours of two queues, and the calls moved to a third");
        Assert.That(incremental.Rows.Sum(r => r.Offered), Is.EqualTo(calls.Count));
        Assert.That(incremental.Rows.Sum(r => r.Abandoned), Is.GreaterThan(0));
        Assert.That(incremental.AgentRows.Sum(r => r.Answered), Is.EqualTo(calls.Count(c => c.Fate < 70)));
        Assert.That(incremental.Queues, Is.EqualTo(rebuilt.Queues));
        Assert.That(incremental.Agents, Is.EqualTo(rebuilt.Agents));
        Assert.That(incremental.Lines, Is.EqualTo(rebuilt.Lines));
    }

    private sealed record Call(string Sid, DateTimeOffset Queued, string Queue, string Agent, int Fate, int Wait);

    private sealed record Snapshot(List<QueueIntervalRollup> Rows, List<AgentIntervalRollup> AgentRows, List<object> Lines)
    {
        /// <summary>The agent rows' call columns; their time split comes from state changes, which a rebuild leaves alone.</summary>
        public List<object> Agents => [.. AgentRows.Select(r => (object)new
        {
            r.IntervalStart, r.Agent, r.Answered, r.Completed, r.TalkSeconds, r.WrappedUp, r.WrapUpSeconds, r.MarkedResolved,
        })];

        /// <summary>The queue rows' every column but when they were computed.</summary>
        public List<object> Queues => [.. Rows.Select(r => (object)new
        {
            r.IntervalStart, r.Queue, r.PolicyVersion, r.Offered, r.Answered, r.AnsweredWithinThreshold, r.Abandoned, r.ShortAbandoned,
            r.CallbacksRequested, r.AnswerWaitSeconds, r.LongestWaitSeconds, r.Talked, r.TalkSeconds, r.WrappedUp, r.WrapUpSeconds,
            r.Transfers, r.Surveyed, r.Satisfied, r.ConnectRate, r.ServiceLevelOffered, r.ServiceLevelAnswered, r.AverageSpeedOfAnswer,
            r.AverageTalkTime, r.AverageHandleTime, r.AbandonRate, r.SatisfactionRate, r.Definition,
        })];
    }

    /// <summary>Every row of this test's queues, agents and line.</summary>
    private static async Task<Snapshot> SnapshotAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var queues = await db.QueueIntervalRollups.AsNoTracking().Where(r => r.Queue.StartsWith("delta-"))
            .OrderBy(r => r.Queue).ThenBy(r => r.IntervalStart).ToListAsync();
        var agents = await db.AgentIntervalRollups.AsNoTracking().Where(r => r.Agent.StartsWith("A-delta-"))
            .OrderBy(r => r.Agent).ThenBy(r => r.IntervalStart).ToListAsync();
        var lines = await db.LineIntervalRollups.AsNoTracking().Where(r => r.Line == "+862100000777").OrderBy(r => r.IntervalStart)
            .Select(r => (object)new { r.IntervalStart, r.Calls, r.SelfServiceOnly, r.TransferredToAgent, r.AnsweredByAgent, r.ConnectRate })
            .ToListAsync();
        return new Snapshot(queues, agents, lines);
    }
}
