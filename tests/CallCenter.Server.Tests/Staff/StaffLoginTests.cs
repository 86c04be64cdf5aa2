using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Staff;

public sealed class StaffLoginTests
{
    private static CallCenterServerFactory Server => AssemblySetUp.Server;

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string workNumber, string password) =>
        StaffBuilder.LoginAsync(client, workNumber, password);

    [Test]
    public async Task Anonymous_requests_to_staff_apis_get_a_401_problem()
    {
        using var client = Server.CreateClient();

        using var response = await client.GetAsync("/api/staff");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
    }

    [Test]
    public async Task First_login_must_change_the_password_before_anything_else()
    {
        var admin = await Server.Services.CreateStaffAsync(StaffRole.Admin, passwordChosen: false);
        using var client = Server.CreateClient();

        using var login = await LoginAsync(client, admin, StaffBuilder.Password);
        var session = await login.Content.ReadFromJsonAsync<StaffApi.SessionInfo>(TestJson.Options);
        using var before = await client.GetAsync("/api/staff");
        using var change = await client.PostAsJsonAsync("/api/auth/password", new { currentPassword = StaffBuilder.Password, newPassword = "Brand-new-pass-7" });
        using var after = await client.GetAsync("/api/staff");

        Assert.That(session?.MustChangePassword, Is.True);
        Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(change.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_weak_new_password_is_refused_with_every_reason()
    {
        var agent = await Server.Services.CreateStaffAsync(StaffRole.Agent);
        using var client = Server.CreateClient();
        using var _ = await LoginAsync(client, agent, StaffBuilder.Password);

        using var change = await client.PostAsJsonAsync("/api/auth/password", new { currentPassword = StaffBuilder.Password, newPassword = "short" });
        var body = await change.Content.ReadAsStringAsync();

        Assert.That(change.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body, Does.Contain("at least 10 characters").And.Contain("must contain a digit"));
    }

    [Test]
    public async Task Five_wrong_passwords_lock_the_account_even_against_the_right_one()
    {
        var agent = await Server.Services.CreateStaffAsync(StaffRole.Agent);
        using var client = Server.CreateClient();

        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await LoginAsync(client, agent, "Wrong-password-1");
            codes.Add(wrong.StatusCode);
        }
        using var right = await LoginAsync(client, agent, StaffBuilder.Password);

        Assert.That(codes.Take(4), Is.All.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(codes[4], Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await right.Content.ReadAsStringAsync(), Does.Contain("Account locked"));

        await using var scope = Server.Services.CreateAsyncScope();
        var log = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().OperationLog
            .Where(e => e.Target == agent && e.Action == "staff.login").OrderBy(e => e.Id).Select(e => e.Result).ToListAsync();
        Assert.That(log, Is.EqualTo(Enumerable.Repeat("refused", 6)));
    }

    [Test]
    public async Task A_password_older_than_ninety_days_must_be_changed()
    {
        await using var server = new CallCenterServerFactory(Server.Database);
        var agent = await server.Services.CreateStaffAsync(StaffRole.Agent);
        server.Clock.Advance(TimeSpan.FromDays(90));
        using var client = server.CreateClient();

        using var login = await LoginAsync(client, agent, StaffBuilder.Password);
        var session = await login.Content.ReadFromJsonAsync<StaffApi.SessionInfo>(TestJson.Options);

        Assert.That(session?.MustChangePassword, Is.True);
    }

    [Test]
    public async Task An_agent_may_not_manage_staff()
    {
        var agent = await Server.Services.CreateStaffAsync(StaffRole.Agent);
        using var client = Server.CreateClient();
        using var _ = await LoginAsync(client, agent, StaffBuilder.Password);

        using var response = await client.PostAsJsonAsync("/api/staff", new { workNumber = "X1", displayName = "x", role = "Admin", permissionLevel = 3, initialPassword = "Whatever-123" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task An_admin_creates_an_account_whose_holder_must_change_the_password_and_it_is_logged()
    {
        var admin = await Server.Services.CreateStaffAsync(StaffRole.Admin);
        var newcomer = StaffBuilder.NewWorkNumber();
        using var adminClient = Server.CreateClient();
        using var _ = await LoginAsync(adminClient, admin, StaffBuilder.Password);

        using var created = await adminClient.PostAsJsonAsync("/api/staff",
            new { workNumber = newcomer, displayName = "李娜", role = "Quality", permissionLevel = 2, initialPassword = "Initial-pass-99" });
        using var newcomerClient = Server.CreateClient();
        using var login = await LoginAsync(newcomerClient, newcomer, "Initial-pass-99");

        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That((await login.Content.ReadFromJsonAsync<StaffApi.SessionInfo>(TestJson.Options))?.MustChangePassword, Is.True);
        await using var scope = Server.Services.CreateAsyncScope();
        var entry = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().OperationLog
            .SingleAsync(e => e.Action == "staff.create" && e.Target == newcomer);
        Assert.That(entry.Operator, Is.EqualTo(admin));
    }
}
