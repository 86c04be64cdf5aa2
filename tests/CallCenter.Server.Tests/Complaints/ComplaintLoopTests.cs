using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Complaints;

/// <summary>The closed loop over the API, every step audited, and tickets from the IVR's complaint option and an agent's wrap-up.</summary>
public sealed class ComplaintLoopTests
{
    [Test]
    public async Task A_closed_complaint_cannot_be_closed_twice_nor_reopened_without_a_reason_and_every_step_is_audited()
    {
        await using var h = await ComplaintDeskHarness.StartAsync(CallCenterServerFactory.DefaultNow);
        using var desk = await h.SignInAsync(StaffRole.Supervisor);
        var id = (await ComplaintDeskHarness.OpenAsync(desk, ComplaintDeskHarness.Letter())).GetProperty("id").GetInt64();

        var early = await ComplaintDeskHarness.StepAsync(desk, id, "close");
        foreach (var step in new[] { "accept", "handle", "answer" })
            Assert.That((await ComplaintDeskHarness.StepAsync(desk, id, step)).Status, Is.EqualTo(200), step);
        var followUpWithoutResult = await ComplaintDeskHarness.StepAsync(desk, id, "follow-up");
        var followUp = await ComplaintDeskHarness.StepAsync(desk, id, "follow-up", new { satisfied = true });
        var close = await ComplaintDeskHarness.StepAsync(desk, id, "close");
        var closeAgain = await ComplaintDeskHarness.StepAsync(desk, id, "close");
        var reopenWithoutReason = await ComplaintDeskHarness.StepAsync(desk, id, "reopen");
        var reopen = await ComplaintDeskHarness.StepAsync(desk, id, "reopen", new { note = "Customer called again: the card is still not back" });

        Assert.Multiple(() =>
        {
            Assert.That(early.Status, Is.EqualTo(409));
            Assert.That(followUpWithoutResult.Status, Is.EqualTo(400));
            Assert.That(followUp.Body.GetProperty("satisfied").GetBoolean(), Is.True);
            Assert.That(close.Status, Is.EqualTo(200));
            Assert.That(close.Body.GetProperty("status").GetString(), Is.EqualTo("Closed"));
            Assert.That(closeAgain.Status, Is.EqualTo(409));
            Assert.That(closeAgain.Body.GetProperty("detail").GetString(), Does.Contain("already closed"));
            Assert.That(reopenWithoutReason.Status, Is.EqualTo(400));
            Assert.That(reopen.Status, Is.EqualTo(200));
            Assert.That(reopen.Body.GetProperty("status").GetString(), Is.EqualTo("Handling"));
            Assert.That(reopen.Body.GetProperty("reopenCount").GetInt32(), Is.EqualTo(1));
            Assert.That(reopen.Body.GetProperty("answerBy").GetDateTimeOffset(), Is.EqualTo(h.Clock.GetUtcNow().AddDays(10)), "reopened: answered within 10 days");
            Assert.That(reopen.Body.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("action").GetString()),
                Is.EqualTo(new[] { "Receive", "Accept", "Handle", "Answer", "FollowUp", "Close", "Reopen" }));
        });
        Assert.That(await h.AuditAsync(id), Is.EqualTo(new[]
        {
            "complaint.close refused", "complaint.accept succeeded", "complaint.handle succeeded", "complaint.answer succeeded",
            "complaint.followup succeeded", "complaint.close succeeded", "complaint.close refused", "complaint.reopen succeeded",
        }));
    }

    [Test]
    public async Task Bad_input_is_refused_with_problem_details_and_nothing_written()
    {
        await using var h = await ComplaintDeskHarness.StartAsync(CallCenterServerFactory.DefaultNow);
        using var desk = await h.SignInAsync(StaffRole.Agent);
        using var noRequest = await desk.PostAsJsonAsync("/api/complaints", new { channel = "pigeon", callerName = "李四", contact = "+8613900000000", grade = "Apocalyptic" });
        using var unknownCall = await desk.PostAsJsonAsync("/api/complaints", new
        {
            channel = "phone", callerName = "李四", contact = "+8613900000000", @event = "x", request = "y", callSid = "CA" + Guid.NewGuid().ToString("N"),
        });
        using var agentAttention = await desk.GetAsync("/api/complaints/attention");
        var problem = await noRequest.Content.ReadFromJsonAsync<JsonElement>();
        var list = await ComplaintDeskHarness.GetJsonAsync(desk, "/api/complaints");

        Assert.Multiple(() =>
        {
            Assert.That(noRequest.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(problem.GetProperty("errors").EnumerateObject().Select(p => p.Name), Is.SupersetOf(new[] { "channel", "grade", "event", "request" }));
            Assert.That(unknownCall.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(agentAttention.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "the overdue board is the supervisors'");
            Assert.That(list.GetArrayLength(), Is.Zero);
        });
    }

    [Test]
    public async Task A_caller_choosing_the_complaint_option_gets_one_ticket_that_the_agents_wrap_up_completes_with_the_call_linked()
    {
        await using var h = new AcdHarness(settings: new Dictionary<string, string> { ["Complaints:RunWorkers"] = "false" });
        using var agent = await h.AvailableAgentAsync(("complaints", 3));
        var from = "+86139" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var call = await IvrCall.DialAsync(h.CreateTwilioClient(), from: from);
        await call.PressAsync("1");
        await call.PressAsync("4");
        var worker = h.Server.Services.GetRequiredService<CallCenter.Server.Complaints.ComplaintWorker>();
        await worker.RunOnceAsync(CancellationToken.None);
        var offer = await agent.OfferAsync();
        using var accepted = await agent.AcceptAsync(call.CallSid);
        using var ended = await agent.EndCallAsync(call.CallSid);
        using var wrapped = await agent.Http.PostAsJsonAsync($"/api/agent/calls/{call.CallSid}/wrap-up", new
        {
            disposition = "complaint", reasonFamily = "cards", resolved = false,
            complaint = new { grade = "Serious", category = "Product", callerName = "王五", @event = "年费未经同意扣收", request = "退还年费" },
        });
        await worker.RunOnceAsync(CancellationToken.None);
        await worker.RunOnceAsync(CancellationToken.None);

        await using var scope = h.Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var tickets = await db.Complaints.AsNoTracking().Include(c => c.Calls).Where(c => c.OriginCallSid == call.CallSid).ToListAsync();
        var types = (await h.EventsOfAsync(call.CallSid)).Select(e => e.Type).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(call.QueueName, Is.EqualTo("complaints"));
            Assert.That(offer?.GetProperty("callSid").GetString(), Is.EqualTo(call.CallSid));
            Assert.That(wrapped.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(tickets, Has.Count.EqualTo(1), "one ticket per call, however often intake runs");
            var t = tickets.Single();
            Assert.That(t.Source, Is.EqualTo(CallCenter.Server.Complaints.ComplaintSource.Ivr));
            Assert.That(t.Contact, Is.EqualTo(from));
            Assert.That((t.CallerName, t.Event, t.Request), Is.EqualTo(("王五", "年费未经同意扣收", "退还年费")));
            Assert.That(t.Grade, Is.EqualTo(Core.Complaints.ComplaintGrade.Serious), "graded by the agent before the desk accepted it");
            Assert.That(t.Calls.Select(c => c.CallSid), Is.EqualTo(new[] { call.CallSid }));
            Assert.That(types, Does.Contain("complaint.linked"), "the recording is kept under the complaint rule");
        });
    }

    [Test]
    public async Task A_wrap_up_with_a_complaint_lacking_the_customers_request_is_refused()
    {
        await using var h = new AcdHarness(settings: new Dictionary<string, string> { ["Complaints:RunWorkers"] = "false" });
        using var agent = await h.AvailableAgentAsync(("general", 1));
        var call = await h.QueueCallAsync();
        await agent.AcceptAsync(call.CallSid);
        await agent.EndCallAsync(call.CallSid);
        using var wrapped = await agent.Http.PostAsJsonAsync($"/api/agent/calls/{call.CallSid}/wrap-up",
            new { disposition = "complaint", complaint = new { grade = "Huge" } });
        var problem = await wrapped.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(wrapped.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(problem.GetProperty("errors").EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "complaint.grade", "complaint.request" }));
    }
}
