using System.Net;
using CallCenter.Server.Staff;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Staff;

/// <summary>Each test moves its own server's clock by hours, so none shares the assembly's server.</summary>
public sealed class SessionExpiryTests
{
    [Test]
    public async Task Session_ends_after_eight_idle_hours()
    {
        await using var server = new CallCenterServerFactory(AssemblySetUp.Server.Database);
        var agent = await server.Services.CreateStaffAsync(StaffRole.Agent);
        using var client = server.CreateClient();
        using var _ = await StaffBuilder.LoginAsync(client, agent);

        server.Clock.Advance(TimeSpan.FromHours(7));
        using var stillIn = await client.GetAsync("/api/auth/me");
        server.Clock.Advance(TimeSpan.FromHours(8) + TimeSpan.FromMinutes(1));
        using var idle = await client.GetAsync("/api/auth/me");

        Assert.That(stillIn.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(idle.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Busy_session_still_ends_twelve_hours_after_sign_in()
    {
        await using var server = new CallCenterServerFactory(AssemblySetUp.Server.Database);
        var supervisor = await server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var client = server.CreateClient();
        using var _ = await StaffBuilder.LoginAsync(client, supervisor);

        var statuses = new List<HttpStatusCode>();
        for (var hour = 1; hour <= 12; hour++)
        {
            server.Clock.Advance(TimeSpan.FromHours(1));
            using var me = await client.GetAsync("/api/auth/me");
            statuses.Add(me.StatusCode);
        }

        Assert.That(statuses.Take(11), Is.All.EqualTo(HttpStatusCode.OK));
        Assert.That(statuses[11], Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
