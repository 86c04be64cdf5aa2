using CallCenter.Simulator.Load;
using CallCenter.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Simulator.Tests;

/// <summary>`callcenter-sim load` against the real server on Kestrel: what it sends is what Twilio sends.</summary>
public sealed class LoadRunTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task Load_callers_sign_as_Twilio_does_follow_each_replys_gather_action_and_hang_up_with_a_final_status_after_their_steps(
        CancellationToken ct)
    {
        await TestInfrastructure.EnsureReachableAsync();
        await using var database = await TestDatabase.CreateAsync("load");
        await using var root = new CallCenterServerFactory(database);
        await using var server = root.WithWebHostBuilder(web => web.UseSetting("Logging:LogLevel:Default", "Warning"));
        server.UseKestrel(0);
        server.StartServer();
        var address = new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        const int callers = 4, stepsPerCall = 3, scheduled = 40 * 3;

        using var run = new LoadRun(address, CallCenterServerFactory.PublicBaseUrl, CallCenterServerFactory.AuthToken, "+862100000000",
            rate: 40, TimeSpan.FromSeconds(2), callers, warmup: TimeSpan.FromSeconds(1), stepsPerCall);
        var summary = await run.RunAsync(ct);

        Assert.Multiple(() =>
        {
            // A bad signature is refused (403), a step not taken from the last reply is stale (409) or unknown (404).
            Assert.That(summary.Outcomes, Is.EquivalentTo(new Dictionary<string, int> { ["200"] = 80 }));
            Assert.That(summary.Incoming.Requests + summary.Steps.Requests, Is.EqualTo(80));
            // Each call is the incoming webhook and its steps (a lost gather action would dial again sooner), then its status
            // callback, which the server takes only for a call it knows (400 otherwise).
            Assert.That(summary.Calls, Is.InRange(scheduled / (1 + stepsPerCall), scheduled / (1 + stepsPerCall) + callers));
            Assert.That(summary.StatusCallbacks.Outcomes.Keys, Is.EquivalentTo(new[] { "204" }));
            Assert.That(summary.StatusCallbacks.Requests, Is.GreaterThanOrEqualTo(summary.Steps.Requests / stepsPerCall - callers));
            Assert.That(summary.Steps.P50, Is.GreaterThan(0));
        });
    }
}
