using System.Net;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Hosting;

public sealed class ReadinessTests
{
    private const string UnreachableRedis = "127.0.0.1:1,connectTimeout=200,syncTimeout=500,asyncTimeout=500";

    // Several instances share the ACD in Redis: without it they cannot serve calls, so they leave the rotation.
    // (One instance carries on with in-process state: see Degraded/RedisOutageTests.)
    [Test]
    public async Task Readiness_of_instances_sharing_redis_fails_while_it_is_unreachable_but_liveness_holds()
    {
        await using var server = new CallCenterServerFactory(AssemblySetUp.Server.Database)
            .WithWebHostBuilder(b => b.UseSetting("ConnectionStrings:Redis", UnreachableRedis).UseSetting("Acd:Store", "Redis"));
        using var client = server.CreateClient();

        using var ready = await client.GetAsync("/health/ready");
        using var live = await client.GetAsync("/health/live");

        Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_webhook_of_instances_sharing_redis_gets_503_with_retry_after_while_it_is_unreachable_so_twilio_falls_back()
    {
        await using var server = new CallCenterServerFactory(AssemblySetUp.Server.Database)
            .WithWebHostBuilder(b => b.UseSetting("ConnectionStrings:Redis", UnreachableRedis).UseSetting("Acd:Store", "Redis"));
        var twilio = new TwilioWebhookClient(server.CreateClient(), CallCenterServerFactory.AuthToken, CallCenterServerFactory.PublicBaseUrl);

        using var response = await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming("CA" + Guid.NewGuid().ToString("N")));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(response.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Redis did not answer in time"));
    }
}
