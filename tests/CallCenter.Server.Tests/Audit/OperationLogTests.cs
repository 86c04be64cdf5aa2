using System.Net;
using System.Net.Http.Json;
using System.Text;
using CallCenter.Server.Audit;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CallCenter.Server.Tests.Audit;

public sealed class OperationLogTests
{
    private static CallCenterServerFactory Server => AssemblySetUp.Server;

    private static async Task<List<OperationLogEntry>> SnapshotAsync(IServiceProvider services, long upToId)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().OperationLog.AsNoTracking()
            .Where(e => e.Id <= upToId).OrderBy(e => e.Id).ToListAsync();
    }

    private static async Task<long> LatestIdAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().OperationLog.MaxAsync(e => e.Id);
    }

    [TestCase("UPDATE operation_log SET result = 'succeeded'")]
    [TestCase("UPDATE operation_log SET details = NULL WHERE id = (SELECT max(id) FROM operation_log)")]
    [TestCase("DELETE FROM operation_log WHERE id = (SELECT max(id) FROM operation_log)")]
    [TestCase("DELETE FROM operation_log")]
    [TestCase("TRUNCATE operation_log")]
    public async Task Database_refuses_to_change_or_remove_operation_log_rows(string sql)
    {
        var admin = await Server.Services.CreateStaffAsync(StaffRole.Admin);
        using var _ = await StaffBuilder.LoginAsync(Server.CreateClient(), admin);
        var before = await SnapshotAsync(Server.Services, await LatestIdAsync(Server.Services));
        await using var scope = Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();

        var error = Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync(sql));

        Assert.That(error!.MessageText, Does.Contain("operation_log is append-only"));
        Assert.That(await SnapshotAsync(Server.Services, before[^1].Id), Is.EqualTo(before).Using<OperationLogEntry>(SameEntry));
    }

    [Test]
    public async Task Changing_an_entry_through_the_application_model_is_refused()
    {
        await using var scope = Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = Server.Clock.GetUtcNow(), Operator = "T0", Action = "test.entry", Target = "x", Result = "succeeded" });
        await db.SaveChangesAsync();

        Assert.ThrowsAsync<PostgresException>(() => db.OperationLog.Where(e => e.Action == "test.entry").ExecuteUpdateAsync(s => s.SetProperty(e => e.Result, "refused")));
        Assert.ThrowsAsync<PostgresException>(() => db.OperationLog.Where(e => e.Action == "test.entry").ExecuteDeleteAsync());
        var entry = await db.OperationLog.FirstAsync(e => e.Action == "test.entry");
        db.OperationLog.Remove(entry);
        Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
    }

    [TestCase("PUT")]
    [TestCase("PATCH")]
    [TestCase("DELETE")]
    [TestCase("POST")]
    public async Task Operation_log_api_only_reads(string method)
    {
        var admin = await Server.Services.CreateStaffAsync(StaffRole.Admin);
        using var client = Server.CreateClient();
        using var _ = await StaffBuilder.LoginAsync(client, admin);

        using var read = await client.GetAsync($"/api/audit/operations?operator={admin}");
        var rows = await read.Content.ReadFromJsonAsync<List<OperationLogApi.EntryView>>(TestJson.Options);
        using var write = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), "/api/audit/operations")
        {
            Content = JsonContent.Create(new { id = rows![0].Id, result = "refused" }),
        });
        using var writeOne = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/api/audit/operations/{rows[0].Id}"));

        Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(rows.Select(r => r.Action), Does.Contain("staff.login"));
        Assert.That(write.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That(writeOne.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Agents_and_supervisors_cannot_read_the_operation_log()
    {
        var agent = await Server.Services.CreateStaffAsync(StaffRole.Agent);
        var supervisor = await Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var agentClient = Server.CreateClient();
        using var supervisorClient = Server.CreateClient();
        using var a = await StaffBuilder.LoginAsync(agentClient, agent);
        using var s = await StaffBuilder.LoginAsync(supervisorClient, supervisor);

        using var byAgent = await agentClient.GetAsync("/api/audit/operations");
        using var bySupervisor = await supervisorClient.GetAsync("/api/audit/operations");

        Assert.That(byAgent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(bySupervisor.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    /// <summary>
    /// Calls every write endpoint the server maps (any method but GET/HEAD, route values filled in, an empty JSON
    /// body) as an administrator and as a supervisor, then checks every operation-log row that existed before is
    /// still there, unchanged. Runs on a server of its own so the calls touch no other test's in-memory state.
    /// </summary>
    [Test]
    public async Task No_endpoint_changes_or_removes_an_existing_operation_log_entry()
    {
        await using var server = new CallCenterServerFactory(Server.Database);
        var admin = await server.Services.CreateStaffAsync(StaffRole.Admin);
        var supervisor = await server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var adminClient = server.CreateClient();
        using var supervisorClient = server.CreateClient();
        using var a = await StaffBuilder.LoginAsync(adminClient, admin);
        using var s = await StaffBuilder.LoginAsync(supervisorClient, supervisor);
        var latest = await LatestIdAsync(server.Services);
        var before = await SnapshotAsync(server.Services, latest);

        var writes = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["POST", "PUT", "PATCH", "DELETE"])
                .Where(m => m is not ("GET" or "HEAD" or "OPTIONS")).Select(m => (Method: m, Route: Fill(e.RoutePattern.RawText!, latest))))
            .Distinct()
            // Signing out ends the session the rest of the calls use; it is tried last.
            .OrderBy(w => w.Route.EndsWith("/logout", StringComparison.Ordinal)).ToList();
        var answered = new List<string>();
        foreach (var client in new[] { adminClient, supervisorClient })
        {
            foreach (var (method, route) in writes)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), route) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
                using var response = await client.SendAsync(request);
                answered.Add($"{method} {route} -> {(int)response.StatusCode}");
            }
        }

        TestContext.Out.WriteLine(string.Join(Environment.NewLine, answered));
        Assert.That(writes, Has.Count.GreaterThan(20), "the endpoint walk found the write endpoints");
        Assert.That(await SnapshotAsync(server.Services, latest), Is.EqualTo(before).Using<OperationLogEntry>(SameEntry));
    }

    private static string Fill(string pattern, long id) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{[^}]+\}", m => m.Value.Contains("long", StringComparison.Ordinal) || m.Value.Contains("int", StringComparison.Ordinal)
            ? id.ToString(System.Globalization.CultureInfo.InvariantCulture) : "T1");

    private static bool SameEntry(OperationLogEntry x, OperationLogEntry y) =>
        x.Id == y.Id && x.OccurredAt == y.OccurredAt && x.Operator == y.Operator && x.Action == y.Action && x.Target == y.Target
        && x.Result == y.Result && x.Details == y.Details;
}
