using CallCenter.Testing;
using Microsoft.AspNetCore.Hosting;

namespace CallCenter.Simulator.Tests;

/// <summary>The server's accelerated clock is for simulation runs only.</summary>
public sealed class SimulationClockTests
{
    [Test]
    public async Task A_production_server_refuses_to_start_on_an_accelerated_clock()
    {
        await TestInfrastructure.EnsureReachableAsync();
        await using var database = await TestDatabase.CreateAsync("simclock");
        await using var baseServer = new CallCenterServerFactory(database);
        await using var server = baseServer.WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Production");
            web.UseSetting("Simulation:ClockRate", "30");
        });

        Assert.That(() => server.CreateClient(), Throws.InstanceOf<InvalidOperationException>().With.Message.Contains("Simulation:ClockRate"));
    }
}
