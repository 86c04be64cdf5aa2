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
    public async Task Load_callers_sign_as_Twilio_does_and_keep_walking_the_menu_by_each_replys_gather_action(CancellationToken ct)
    {
        await TestInfrastructure.EnsureReachableAsync();
        await using var database = await TestDatabase.CreateAsync("load");
        await using var root = new CallCenterServerFactory(database);
        await using var server = root.WithWebHostBuilder(web => web.UseSetting("Logging:LogLevel:Default", "Warning"));
        server.UseKestrel(0);
        server.StartServer();
        var address = new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        const int callers = 4;

        using var run = new LoadRun(address, CallCenterServerFactory.PublicBaseUrl, CallCenterServerFactory.AuthToken, "+862100000000",
            rate: 40, TimeSpan.FromSeconds(2), callers, warmup: TimeSpan.FromSeconds(1));
        var summary = await run.RunAsync(ct);

        Assert.Multiple(() =>
        {
            // A bad signature is refused (403), a step not taken from the last reply is stale (409) or unknown (404).
            Assert.That(summary.Outcomes, Is.EquivalentTo(new Dictionary<string, int> { ["200"] = 80 }));
            // Each caller dialled once and followed the menu from then on; a lost gather action would dial again.
            Assert.That(summary.Calls, Is.LessThanOrEqualTo(callers));
            Assert.That(summary.P50, Is.GreaterThan(0));
        });
    }
}
