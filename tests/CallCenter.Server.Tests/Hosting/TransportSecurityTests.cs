using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Hosting;

public sealed class TransportSecurityTests
{
    /// <summary>The server as it runs outside Development and Testing, the TLS proxy on loopback.</summary>
    private static WebApplicationFactory<Program> Strict() => AssemblySetUp.Server.WithWebHostBuilder(b =>
    {
        b.UseSetting("TransportSecurity:RequireHttpsForStaff", "true");
        b.ConfigureTestServices(s => s.AddSingleton<IStartupFilter, LoopbackPeer>());
    });

    [TestCase("/api/auth/me")]
    [TestCase("/console/")]
    [TestCase("/hubs/agent/negotiate")]
    public async Task Staff_surfaces_refuse_plain_http_with_a_403_problem(string path)
    {
        await using var server = Strict();
        using var client = server.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://hotline.bank.test") });

        using var response = await client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("HTTPS required"));
    }

    [Test]
    public async Task Https_requests_pass_and_carry_hsts()
    {
        await using var server = Strict();
        using var client = server.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://hotline.bank.test") });

        using var response = await client.GetAsync("/api/auth/me");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.GetValues("Strict-Transport-Security").Single(), Does.Contain("max-age=31536000"));
    }

    [Test]
    public async Task Tls_terminated_at_a_known_proxy_counts_as_https()
    {
        await using var server = Strict();
        using var client = server.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://hotline.bank.test") });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        request.Headers.Add("X-Forwarded-Proto", "https");

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Health_probes_and_signed_twilio_webhooks_are_not_staff_surfaces()
    {
        await using var server = Strict();
        using var client = server.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://hotline.bank.test") });

        using var live = await client.GetAsync("/health/live");

        Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    /// <summary>The in-memory test server has no peer address; a reverse proxy on the same host has loopback.</summary>
    private sealed class LoopbackPeer : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Loopback;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
