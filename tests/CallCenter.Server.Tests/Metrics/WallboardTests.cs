using System.Net.Http.Json;
using CallCenter.Server.Metrics;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Metrics;

public sealed class WallboardTests
{
    [Test]
    public async Task The_wallboard_shows_live_waiting_calls_and_todays_abandons_after_the_rollup()
    {
        await using var h = new AcdHarness();
        var board = h.Server.Services.GetRequiredService<WallboardBroadcaster>();
        var call = await h.QueueCallAsync();
        h.Clock.Advance(TimeSpan.FromSeconds(30));

        var waiting = (await board.BuildAsync(CancellationToken.None)).Queues.Single(q => q.Queue == "general");
        using var hangUp = await h.CreateTwilioClient().PostSignedAsync("/twilio/voice/status", TwilioForms.Status(call.CallSid, "completed", 40));
        await h.Server.Services.GetRequiredService<MetricsWorker>().RunOnceAsync(CancellationToken.None);
        var after = (await board.BuildAsync(CancellationToken.None)).Queues.Single(q => q.Queue == "general");
        using var supervisor = await h.SupervisorAsync();
        var served = await supervisor.GetFromJsonAsync<WallboardSnapshot>("/api/metrics/wallboard", TestJson.Options);

        Assert.That(waiting.Waiting, Is.EqualTo(1));
        Assert.That(waiting.OldestWaitSeconds, Is.EqualTo(30).Within(1));
        Assert.That(after.Waiting, Is.Zero);
        // Other tests share the day's "general" rollups, so today's counts are at least this call's.
        Assert.That(after.AbandonedToday, Is.GreaterThanOrEqualTo(1));
        Assert.That(after.OfferedToday, Is.GreaterThanOrEqualTo(after.AbandonedToday));
        Assert.That(served!.Definition, Does.StartWith("v1:"));
    }
}
