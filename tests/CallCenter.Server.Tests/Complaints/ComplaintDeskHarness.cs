using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Complaints;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Complaints;

/// <summary>
/// A server and database of its own with the complaint worker stopped (tests run it), so moving the clock by days
/// flags only this test's tickets; lists and reports see only them.
/// </summary>
internal sealed class ComplaintDeskHarness : IAsyncDisposable
{
    private readonly CallCenterServerFactory _root;

    private ComplaintDeskHarness(CallCenterServerFactory root)
    {
        _root = root;
        Server = root.WithWebHostBuilder(b => b.UseSetting("Complaints:RunWorkers", "false"));
    }

    public WebApplicationFactory<Program> Server { get; }

    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock => _root.Clock;

    public static async Task<ComplaintDeskHarness> StartAsync(DateTimeOffset now) =>
        new(new CallCenterServerFactory(await TestDatabase.CreateAsync("complaints"), now));

    /// <summary>A freshly signed-in member (sessions expire when a test moves the clock by a day).</summary>
    public async Task<HttpClient> SignInAsync(StaffRole role)
    {
        var client = Server.CreateClient();
        using var login = await StaffBuilder.LoginAsync(client, await Server.Services.CreateStaffAsync(role));
        login.EnsureSuccessStatusCode();
        return client;
    }

    public Task<ComplaintRun> RunWorkerAsync() => Server.Services.GetRequiredService<ComplaintWorker>().RunOnceAsync(CancellationToken.None);

    /// <summary>A letter-borne complaint with valid defaults.</summary>
    public static object Letter(string grade = "Ordinary") => new
    {
        channel = "letter", callerName = "张三", contact = "+8613812345678", eventAt = new DateTimeOffset(2026, 11, 20, 10, 0, 0, TimeSpan.FromHours(8)),
        @event = "ATM 吞卡后三天未退回", request = "退回银行卡并说明原因", category = "Service", grade,
    };

    public static async Task<JsonElement> OpenAsync(HttpClient client, object complaint)
    {
        using var response = await client.PostAsJsonAsync("/api/complaints", complaint);
        Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
    }

    public static async Task<(int Status, JsonElement Body)> StepAsync(HttpClient client, long id, string step, object? body = null)
    {
        using var response = await client.PostAsJsonAsync($"/api/complaints/{id}/{step}", body ?? new { });
        return ((int)response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options));
    }

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
    }

    public async Task<List<string>> AuditAsync(long complaintId)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        return await db.OperationLog.Where(e => e.Target == $"complaint {complaintId}").OrderBy(e => e.Id).Select(e => e.Action + " " + e.Result).ToListAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await _root.DisposeAsync();
        await _root.Database.DisposeAsync();
    }
}
