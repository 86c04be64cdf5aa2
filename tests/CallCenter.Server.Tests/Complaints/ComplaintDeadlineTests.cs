using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Staff;

namespace CallCenter.Server.Tests.Complaints;

/// <summary>Time limits raise overdue flags at the right moment, for the supervisor view and the daily report.</summary>
public sealed class ComplaintDeadlineTests
{
    // Friday 27 November 2026, 10:00 in Shanghai.
    private static readonly DateTimeOffset Received = new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime();

    [Test]
    public async Task A_major_complaint_is_nearly_overdue_in_its_last_hours_and_flagged_overdue_exactly_when_its_24_hours_pass()
    {
        await using var h = await ComplaintDeskHarness.StartAsync(Received);
        long id;
        using (var desk = await h.SignInAsync(StaffRole.Agent))
        {
            id = (await ComplaintDeskHarness.OpenAsync(desk, ComplaintDeskHarness.Letter("Major"))).GetProperty("id").GetInt64();
            h.Clock.Advance(TimeSpan.FromMinutes(30));
            Assert.That((await ComplaintDeskHarness.StepAsync(desk, id, "accept")).Status, Is.EqualTo(200));
            Assert.That((await ComplaintDeskHarness.StepAsync(desk, id, "handle")).Status, Is.EqualTo(200));
        }

        h.Clock.SetUtcNow(Received.AddHours(19));
        var early = await h.RunWorkerAsync();
        var onTimeView = await AttentionAsync(h);
        h.Clock.SetUtcNow(Received.AddHours(20));
        var nearlyView = await AttentionAsync(h);
        h.Clock.SetUtcNow(Received.AddHours(24).AddTicks(-10));
        var lastMoment = await h.RunWorkerAsync();
        h.Clock.SetUtcNow(Received.AddHours(24));
        var atDeadline = await h.RunWorkerAsync();
        var again = await h.RunWorkerAsync();
        var overdueView = await AttentionAsync(h);
        JsonElement ticket, report;
        using (var supervisor = await h.SignInAsync(StaffRole.Supervisor))
        {
            ticket = await ComplaintDeskHarness.GetJsonAsync(supervisor, $"/api/complaints/{id}");
            report = await ComplaintDeskHarness.GetJsonAsync(supervisor, "/api/complaints/reports/daily?date=2026-11-28");
        }

        Assert.Multiple(() =>
        {
            Assert.That(early.OverdueFlags, Is.Zero);
            Assert.That(Ids(onTimeView, "nearlyOverdue"), Is.Empty, "19 h in: still on time");
            Assert.That(Ids(nearlyView, "nearlyOverdue"), Is.EqualTo(new[] { id }), "the last 4 hours of a major complaint's 24");
            Assert.That(lastMoment.OverdueFlags, Is.Zero, "not a tick before the deadline");
            Assert.That(atDeadline.OverdueFlags, Is.EqualTo(1), "exactly at the deadline");
            Assert.That(again.OverdueFlags, Is.Zero, "flagged once");
            Assert.That(Ids(overdueView, "overdue"), Is.EqualTo(new[] { id }));
            Assert.That(ticket.GetProperty("standing").GetProperty("answer").GetString(), Is.EqualTo("Overdue"));
            Assert.That(ticket.GetProperty("standing").GetProperty("accept").GetString(), Is.EqualTo("Met"));
            var flag = ticket.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("action").GetString() == "Overdue");
            Assert.That(flag.GetProperty("at").GetDateTimeOffset(), Is.EqualTo(Received.AddHours(24)));
            Assert.That(flag.GetProperty("note").GetString(), Does.StartWith("answer deadline"));
            Assert.That(Ids(report, "overdue"), Is.EqualTo(new[] { id }), "the day's report lists it");
        });
        Assert.That(await h.AuditAsync(id), Does.Contain("complaint.overdue succeeded"));
    }

    [Test]
    public async Task An_overdue_work_order_is_escalated_once_per_day_until_the_department_answers()
    {
        await using var h = await ComplaintDeskHarness.StartAsync(Received);
        using var desk = await h.SignInAsync(StaffRole.Supervisor);
        var id = (await ComplaintDeskHarness.OpenAsync(desk, ComplaintDeskHarness.Letter())).GetProperty("id").GetInt64();
        await ComplaintDeskHarness.StepAsync(desk, id, "accept");
        using var sent = await desk.PostAsJsonAsync($"/api/complaints/{id}/work-orders",
            new { department = "Card Department", instructions = "Find the card swallowed by ATM 0412", dueAt = Received.AddHours(2) });
        var order = await sent.Content.ReadFromJsonAsync<JsonElement>(CallCenter.Testing.TestJson.Options);
        var orderId = order.GetProperty("id").GetInt64();

        h.Clock.SetUtcNow(Received.AddHours(2).AddSeconds(-1));
        var before = await h.RunWorkerAsync();
        h.Clock.SetUtcNow(Received.AddHours(2));
        var due = await h.RunWorkerAsync();
        h.Clock.SetUtcNow(Received.AddHours(12));
        var sameDay = await h.RunWorkerAsync();
        h.Clock.SetUtcNow(Received.AddHours(26));
        var nextDay = await h.RunWorkerAsync();
        using var supervisor = await h.SignInAsync(StaffRole.Supervisor);
        var attention = await AttentionAsync(h);
        using var done = await supervisor.PostAsJsonAsync($"/api/complaints/work-orders/{orderId}/complete", new { result = "Card found and returned to branch" });
        h.Clock.SetUtcNow(Received.AddHours(60));
        var afterDone = await h.RunWorkerAsync();
        using var nextSession = await h.SignInAsync(StaffRole.Supervisor);
        var ticket = await ComplaintDeskHarness.GetJsonAsync(nextSession, $"/api/complaints/{id}");

        Assert.Multiple(() =>
        {
            Assert.That(sent.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.Created));
            Assert.That(ticket.GetProperty("status").GetString(), Is.EqualTo("Tracking"), "the desk tracks while a department works");
            Assert.That((before.Escalations, due.Escalations, sameDay.Escalations, nextDay.Escalations, afterDone.Escalations), Is.EqualTo((0, 1, 0, 1, 0)));
            Assert.That(attention.GetProperty("overdueWorkOrders")[0].GetProperty("escalationLevel").GetInt32(), Is.EqualTo(2));
            Assert.That(done.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK));
            Assert.That(ticket.GetProperty("workOrders")[0].GetProperty("status").GetString(), Is.EqualTo("Done"));
            Assert.That(ticket.GetProperty("events").EnumerateArray().Count(e => e.GetProperty("action").GetString() == "WorkOrderEscalated"), Is.EqualTo(2));
        });
    }

    private static async Task<JsonElement> AttentionAsync(ComplaintDeskHarness h)
    {
        using var supervisor = await h.SignInAsync(StaffRole.Supervisor);
        return await ComplaintDeskHarness.GetJsonAsync(supervisor, "/api/complaints/attention");
    }

    private static long[] Ids(JsonElement view, string list) => [.. view.GetProperty(list).EnumerateArray().Select(e => e.GetProperty("id").GetInt64())];
}
