using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Metrics;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Tests.Metrics;

/// <summary>
/// <c>Metrics:RunWorkers</c> lets webhook instances leave the call-log fold to another instance of the same binary; a
/// single instance with the default folds on its own.
/// </summary>
public sealed class MetricsWorkerSwitchTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Test]
    public async Task An_instance_with_the_worker_off_never_folds_and_one_with_the_default_folds_what_it_left()
    {
        await using var database = await TestDatabase.CreateAsync("mswitch");
        await using var root = new CallCenterServerFactory(database);
        await using var webhooks = root.WithWebHostBuilder(b => b.UseSetting("Metrics:RunWorkers", "false"));
        var last = await AppendCallAsync(webhooks.Services);
        // Ticks the worker's timer, were it running, a few times over.
        var period = webhooks.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.RunEvery;
        for (var i = 0; i < 3; i++)
        {
            root.Clock.Advance(period);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        Assert.That(await FoldedUpToAsync(webhooks.Services), Is.Null, "no fold ran on the instance with the worker off");

        await using var folder = new CallCenterServerFactory(database);
        Assert.That(await WaitForFoldAsync(folder.Services, last), Is.GreaterThanOrEqualTo(last),
            "a default instance on the same database folds the events on its own");
    }

    [Test]
    public async Task A_default_instance_folds_the_call_log_by_itself()
    {
        await using var database = await TestDatabase.CreateAsync("mdefault");
        await using var server = new CallCenterServerFactory(database);
        var last = await AppendCallAsync(server.Services);
        var period = server.Services.GetRequiredService<IOptions<MetricsOptions>>().Value.RunEvery;
        server.Clock.Advance(period);

        Assert.That(await WaitForFoldAsync(server.Services, last), Is.GreaterThanOrEqualTo(last));
    }

    /// <summary>Logs one queued call; returns the highest call-log sequence number afterwards.</summary>
    private static async Task<long> AppendCallAsync(IServiceProvider services)
    {
        var log = services.GetRequiredService<ICallEventLog>();
        var sid = TwilioForms.NewCallSid();
        var at = CallCenterServerFactory.DefaultNow.AddMinutes(-30);
        await log.AppendAsync(new NewCallEvent(sid, "call.incoming", "incoming", at, CallEventPayload.Serialize(new { to = "+862100000777" })),
            CancellationToken.None);
        await log.AppendAsync(new NewCallEvent(sid, "acd.queued", "acd.queued#1", at.AddSeconds(20), CallEventPayload.Serialize(new { queue = "switch" })),
            CancellationToken.None);
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        return await db.CallEvents.MaxAsync(e => e.GlobalSeq);
    }

    private static async Task<long?> WaitForFoldAsync(IServiceProvider services, long seq)
    {
        var until = DateTime.UtcNow + Patience;
        while (true)
        {
            var folded = await FoldedUpToAsync(services);
            if (folded >= seq || DateTime.UtcNow > until) return folded;
            await Task.Delay(100);
        }
    }

    private static async Task<long?> FoldedUpToAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        return await db.MetricsWatermarks.AsNoTracking().Where(w => w.Name == RollupCalculator.WatermarkName)
            .Select(w => (long?)w.LastGlobalSeq).SingleOrDefaultAsync();
    }
}
