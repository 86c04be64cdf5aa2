using System.Net;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Hosting;

public sealed class ReadinessTests
{
    [Test]
    public async Task Readiness_fails_while_redis_is_unreachable_but_liveness_holds()
    {
        await using var server = new CallCenterServerFactory(AssemblySetUp.Server.Database)
            .WithWebHostBuilder(b => b.UseSetting("ConnectionStrings:Redis", "127.0.0.1:1,connectTimeout=200"));
        using var client = server.CreateClient();

        using var ready = await client.GetAsync("/health/ready");
        using var live = await client.GetAsync("/health/live");

        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
