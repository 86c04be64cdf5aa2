using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Complaints;
using CallCenter.Server.Data;
using CallCenter.Server.Outbound;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Complaints;

/// <summary>
/// The daily complaint report is kept once per finished day across instances, and served as it was kept; the complaint
/// and callback workers run once at a time across instances.
/// </summary>
public sealed class ComplaintReportScheduleTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    [Test]
    public async Task Two_instances_keep_one_report_of_the_finished_day_with_its_overdue_ticket_and_serve_it_as_kept()
    {
        // An ordinary letter on Monday 23 November 10:00 must be accepted within one working day: overdue by Tuesday's end.
        var monday = new DateTimeOffset(2026, 11, 23, 10, 0, 0, Shanghai).ToUniversalTime();
        await using var database = await TestDatabase.CreateAsync("complaint_report");
        await using var one = new CallCenterServerFactory(database, monday);
        await using var two = new CallCenterServerFactory(database, monday);
        var desk = await SignInAsync(one, StaffRole.Agent);
        var id = (await ComplaintDeskHarness.OpenAsync(desk, ComplaintDeskHarness.Letter())).GetProperty("id").GetInt64();

        var wednesday = new DateTimeOffset(2026, 11, 25, 1, 0, 0, Shanghai).ToUniversalTime();
        one.Clock.SetUtcNow(wednesday);
        two.Clock.SetUtcNow(wednesday);
        var ticks = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            (i % 2 == 0 ? one : two).Services.GetRequiredService<ComplaintReportWorker>().TickAsync(CancellationToken.None)));
        var supervisor = await SignInAsync(two, StaffRole.Supervisor);
        using (var accepted = await supervisor.PostAsJsonAsync($"/api/complaints/{id}/accept", new { }))
            accepted.EnsureSuccessStatusCode();
        var kept = await supervisor.GetFromJsonAsync<JsonElement>("/api/complaints/reports/daily?date=2026-11-24", TestJson.Options);
        var csv = await supervisor.GetStringAsync("/api/complaints/reports/daily?date=2026-11-24&format=csv");
        var today = await supervisor.GetFromJsonAsync<JsonElement>("/api/complaints/reports/daily?date=2026-11-25", TestJson.Options);
        var list = await supervisor.GetFromJsonAsync<JsonElement>("/api/complaints/reports", TestJson.Options);
        int rows;
        await using (var scope = one.Services.CreateAsyncScope())
            rows = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().ComplaintDailyReports.CountAsync();

        Assert.Multiple(() =>
        {
            Assert.That(ticks.Count(ran => ran), Is.EqualTo(1), "one instance runs the job");
            Assert.That(rows, Is.EqualTo(1));
            Assert.That(kept.GetProperty("storedAt").GetDateTimeOffset(), Is.EqualTo(wednesday));
            Assert.That(kept.GetProperty("evaluatedAt").GetDateTimeOffset(), Is.EqualTo(new DateTimeOffset(2026, 11, 25, 0, 0, 0, Shanghai)), "judged at the day's end");
            Assert.That(kept.GetProperty("overdue").EnumerateArray().Select(t => t.GetProperty("id").GetInt64()), Is.EqualTo(new[] { id }),
                "as kept: accepting the ticket afterwards does not rewrite the day");
            Assert.That(csv, Does.Contain($"{id},Overdue,Ordinary,Received"));
            Assert.That(today.GetProperty("storedAt").ValueKind, Is.EqualTo(JsonValueKind.Null), "today is worked out on request, not kept");
            Assert.That(list.EnumerateArray().Select(r => (r.GetProperty("date").GetString(), r.GetProperty("overdue").GetInt32())),
                Is.EqualTo(new[] { ("2026-11-24", 1) }));
        });
    }

    [Test]
    public async Task The_complaint_and_callback_workers_run_once_at_a_time_across_instances_and_again_after_their_period()
    {
        var now = new DateTimeOffset(2026, 11, 26, 10, 0, 0, Shanghai).ToUniversalTime();
        await using var database = await TestDatabase.CreateAsync("worker_leases");
        await using var one = new CallCenterServerFactory(database, now);
        await using var two = new CallCenterServerFactory(database, now);

        async Task<(int Complaints, int Callbacks)> TickBothAsync()
        {
            var complaints = await Task.WhenAll(new[] { one, two, one, two }.Select(s => s.Services.GetRequiredService<ComplaintWorker>().TickAsync(CancellationToken.None)));
            var callbacks = await Task.WhenAll(new[] { one, two, one, two }.Select(s => s.Services.GetRequiredService<CallbackWorker>().TickAsync(CancellationToken.None)));
            return (complaints.Count(ran => ran), callbacks.Count(ran => ran));
        }

        var first = await TickBothAsync();
        one.Clock.Advance(TimeSpan.FromSeconds(20));
        two.Clock.Advance(TimeSpan.FromSeconds(20));
        var withinTheMinute = await TickBothAsync();
        one.Clock.Advance(TimeSpan.FromSeconds(40));
        two.Clock.Advance(TimeSpan.FromSeconds(40));
        var nextMinute = await TickBothAsync();

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo((1, 1)));
            Assert.That(withinTheMinute, Is.EqualTo((0, 1)), "callbacks every 15 s, complaints every minute");
            Assert.That(nextMinute, Is.EqualTo((1, 1)));
        });
    }

    // The test factory stops the hosted workers, so only the tests' ticks run the jobs.
    private static async Task<HttpClient> SignInAsync(WebApplicationFactory<Program> server, StaffRole role)
    {
        var client = server.CreateClient();
        using var login = await StaffBuilder.LoginAsync(client, await server.Services.CreateStaffAsync(role));
        login.EnsureSuccessStatusCode();
        return client;
    }
}
