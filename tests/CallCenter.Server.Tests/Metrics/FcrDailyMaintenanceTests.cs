using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Metrics;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Metrics;

/// <summary>
/// The worker keeps provisional daily FCR rows by adding each batch's changes instead of recounting the days; after
/// any sequence of batches they must equal a recount from the call facts.
/// </summary>
public sealed class FcrDailyMaintenanceTests
{
    [Test]
    public async Task Provisional_days_kept_by_changes_equal_a_recount_after_repeats_within_and_across_batches()
    {
        await using var database = await TestDatabase.CreateAsync("fcr");
        await using var server = new CallCenterServerFactory(database);
        var now = server.Clock.GetUtcNow();
        var calls = new ContactStream(seed: 7, firstDay: now.AddDays(-4), count: 400).Calls;
        var worker = server.Services.GetRequiredService<MetricsWorker>();
        var log = server.Services.GetRequiredService<ICallEventLog>();

        // Six batches; each call's wrap-up arrives one batch after the rest of it, so batches also change calls already folded.
        var batches = calls.Chunk(calls.Count / 6 + 1).ToList();
        for (var b = 0; b <= batches.Count; b++)
        {
            if (b < batches.Count)
                foreach (var call in batches[b]) await AppendAsync(log, call, wrapUp: false);
            if (b > 0)
                foreach (var call in batches[b - 1]) await AppendAsync(log, call, wrapUp: true);
            await worker.RunOnceAsync(CancellationToken.None);
        }

        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var rows = await db.FcrDailyRollups.AsNoTracking().Where(r => r.WindowDays == 7).OrderBy(r => r.Day).ToListAsync();
        Assert.That(rows, Has.Count.GreaterThanOrEqualTo(4));
        Assert.That(rows.Sum(r => r.Needs), Is.EqualTo(calls.Count(c => c.Answered)));
        foreach (var row in rows)
        {
            var (from, to) = RollupCalculator.DayBounds(row.Day, new MetricsOptions().Zone);
            var recount = await QueueReport.FirstCallResolutionAsync(db, from, to, TimeSpan.FromDays(7), now, CancellationToken.None);
            Assert.That((row.Needs, row.ResolvedFirstTime, row.Provisional), Is.EqualTo((recount.Needs, recount.ResolvedFirstTime, true)), $"day {row.Day}");
        }
        Assert.That(rows.Sum(r => r.Needs - r.ResolvedFirstTime), Is.GreaterThan(rows.Sum(r => r.Needs) / 10),
            "the stream has repeats and unresolved needs, so the counts are not trivially equal");
    }

    private static async Task AppendAsync(ICallEventLog log, Contact call, bool wrapUp)
    {
        async Task Append(string type, DateTimeOffset at, object payload) =>
            await log.AppendAsync(new NewCallEvent(call.Sid, type, type, at, CallEventPayload.Serialize(payload)), CancellationToken.None);
        if (wrapUp)
        {
            if (call.Answered) await Append("agent.wrap_up", call.Queued.AddMinutes(5), new { reasonFamily = call.Reason, resolved = call.Resolved });
            return;
        }
        await Append("ivr.verified", call.Queued.AddSeconds(-30), new { customer = call.Customer });
        await Append("acd.queued", call.Queued, new { queue = "general" });
        if (!call.Answered)
        {
            await Append("acd.abandoned", call.Queued.AddSeconds(40), new { queue = "general" });
            return;
        }
        await Append("acd.answered", call.Queued.AddSeconds(15), new { queue = "general", agent = "A-fcr-delta" });
        await Append("acd.completed", call.Queued.AddMinutes(4), new { queue = "general", agent = "A-fcr-delta" });
    }

    private sealed record Contact(string Sid, string Customer, string Reason, DateTimeOffset Queued, bool Answered, bool Resolved);

    /// <summary>Calls from a small pool of customers over four days: many come back about the same thing, some the same hour.</summary>
    private sealed class ContactStream(int seed, DateTimeOffset firstDay, int count)
    {
        public List<Contact> Calls { get; } = Generate(new Random(seed), firstDay, count);

        private static List<Contact> Generate(Random random, DateTimeOffset firstDay, int count)
        {
            string[] reasons = ["cards", "payments", "loans"];
            var run = Guid.NewGuid().ToString("N")[..6];
            return [.. Enumerable.Range(0, count)
                .Select(i => new Contact(TwilioForms.NewCallSid(), $"C-{run}-{random.Next(40)}", reasons[random.Next(reasons.Length)],
                    firstDay.AddMinutes(random.Next(4 * 24 * 60)), random.NextDouble() < 0.9, random.NextDouble() < 0.7))
                .OrderBy(c => c.Queued)];
        }
    }
}
