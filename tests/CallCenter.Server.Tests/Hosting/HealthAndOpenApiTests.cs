using System.Net;
using System.Text.Json;

namespace CallCenter.Server.Tests.Hosting;

public sealed class HealthAndOpenApiTests
{
    [TestCase("/health/live")]
    [TestCase("/health/ready")]
    public async Task Health_endpoint_reports_healthy_with_postgres_and_redis_up(string path)
    {
        using var client = AssemblySetUp.Server.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("Healthy"));
    }

    [Test]
    public async Task The_openapi_document_is_served_and_leaves_out_the_twilio_webhooks()
    {
        using var client = AssemblySetUp.Server.CreateClient();

        using var response = await client.GetAsync("/openapi/v1.json");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(doc.RootElement.GetProperty("openapi").GetString(), Does.StartWith("3."));
        var paths = doc.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(paths, Has.None.StartsWith("/twilio"));
    }
}
