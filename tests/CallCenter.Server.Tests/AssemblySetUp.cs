using CallCenter.Testing;

[assembly: Parallelizable(ParallelScope.Children)]

namespace CallCenter.Server.Tests;

/// <summary>Brings up one migrated database and one in-process server for the whole assembly.</summary>
[SetUpFixture]
public sealed class AssemblySetUp
{
    public static CallCenterServerFactory Server { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await TestInfrastructure.EnsureReachableAsync();
        Server = new CallCenterServerFactory(await TestDatabase.CreateAsync("shared"));
        // Touch the host so start-up failures surface here, once, with their own message.
        Server.CreateClient().Dispose();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (Server is null) return;
        await Server.DisposeAsync();
        await Server.Database.DisposeAsync();
    }
}
