using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Knowledge;

/// <summary>A department's change notice reaches agents only after the centre approved and published it; each step is recorded.</summary>
public sealed class ChangeNoticeTests
{
    private static CallCenterServerFactory Server => AssemblySetUp.Server;

    [Test]
    public async Task A_notice_needs_approval_before_it_is_published_and_who_did_what_when_is_recorded()
    {
        var product = KnowledgeDesk.UniqueProduct("信用卡");
        var submitterNumber = await Server.Services.CreateStaffAsync(StaffRole.Agent);
        using var submitter = await KnowledgeDesk.SignInAsync(Server, submitterNumber);
        var supervisorNumber = await Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var supervisor = await KnowledgeDesk.SignInAsync(Server, supervisorNumber);

        var id = (await KnowledgeDesk.SubmitAsync(submitter, KnowledgeDesk.Notice(product))).GetProperty("id").GetInt64();
        using var early = await supervisor.PostAsync($"/api/kb/notices/{id}/publish", null);
        var beforeApproval = await KnowledgeDesk.SearchAsync(submitter, "年费", product);
        using var approve = await supervisor.PostAsJsonAsync($"/api/kb/notices/{id}/approve", new { note = "fee schedule checked" });
        using var publish = await supervisor.PostAsync($"/api/kb/notices/{id}/publish", null);
        var notice = await publish.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
        var afterPublication = await KnowledgeDesk.SearchAsync(submitter, "年费", product);

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(early.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That((await early.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString(), Is.EqualTo("Notice not approved"));
            Assert.That(beforeApproval.GetProperty("results").GetArrayLength(), Is.Zero);
            Assert.That(approve.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(publish.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(notice.GetProperty("status").GetString(), Is.EqualTo("Published"));
            Assert.That(notice.GetProperty("submittedBy").GetString(), Is.EqualTo(submitterNumber));
            Assert.That(notice.GetProperty("reviewedBy").GetString(), Is.EqualTo(supervisorNumber));
            Assert.That(notice.GetProperty("reviewedAt").GetDateTimeOffset(), Is.EqualTo(Server.Clock.GetUtcNow()));
            Assert.That(notice.GetProperty("publishedBy").GetString(), Is.EqualTo(supervisorNumber));
            Assert.That(KnowledgeDesk.Titles(afterPublication), Is.EqualTo(new[] { "信用卡年费调整" }));
        });
        await using var scope = Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var audit = await db.OperationLog.Where(e => e.Target == $"notice {id}").OrderBy(e => e.Id).Select(e => e.Operator + " " + e.Action + " " + e.Result).ToListAsync();
        Assert.That(audit, Is.EqualTo(new[]
        {
            $"{submitterNumber} kb.notice.submit succeeded",
            $"{supervisorNumber} kb.notice.publish refused",
            $"{supervisorNumber} kb.notice.approve succeeded",
            $"{supervisorNumber} kb.notice.publish succeeded",
        }));
    }

    [Test]
    public async Task An_agent_without_the_role_cannot_approve_or_publish()
    {
        var product = KnowledgeDesk.UniqueProduct();
        using var agent = await KnowledgeDesk.SignInAsync(Server, StaffRole.Agent);
        using var qa = await KnowledgeDesk.SignInAsync(Server, StaffRole.Quality);
        using var supervisor = await KnowledgeDesk.SignInAsync(Server, StaffRole.Supervisor);
        var id = (await KnowledgeDesk.SubmitAsync(agent, KnowledgeDesk.Notice(product))).GetProperty("id").GetInt64();

        using var agentApproves = await agent.PostAsJsonAsync($"/api/kb/notices/{id}/approve", new { note = "self-approved" });
        using var qaApproves = await qa.PostAsJsonAsync($"/api/kb/notices/{id}/approve", new { note = "self-approved" });
        using var approve = await supervisor.PostAsJsonAsync($"/api/kb/notices/{id}/approve", new { });
        using var agentPublishes = await agent.PostAsync($"/api/kb/notices/{id}/publish", null);
        using var agentPins = await agent.PostAsJsonAsync("/api/kb/scripts", new { title = "Outage", body = "Say sorry." });

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(agentApproves.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(qaApproves.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(approve.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(agentPublishes.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(agentPublishes.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(agentPins.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That((await KnowledgeDesk.SearchAsync(agent, "年费", product)).GetProperty("results").GetArrayLength(), Is.Zero);
        });
    }

    [Test]
    public async Task A_rejected_notice_cannot_be_published_and_a_reviewed_one_cannot_be_reviewed_again()
    {
        var product = KnowledgeDesk.UniqueProduct();
        using var supervisor = await KnowledgeDesk.SignInAsync(Server, StaffRole.Supervisor);
        var id = (await KnowledgeDesk.SubmitAsync(supervisor, KnowledgeDesk.Notice(product))).GetProperty("id").GetInt64();

        using var noReason = await supervisor.PostAsJsonAsync($"/api/kb/notices/{id}/reject", new { note = " " });
        using var reject = await supervisor.PostAsJsonAsync($"/api/kb/notices/{id}/reject", new { note = "The fee is not final yet." });
        using var approveAfter = await supervisor.PostAsJsonAsync($"/api/kb/notices/{id}/approve", new { });
        using var publish = await supervisor.PostAsync($"/api/kb/notices/{id}/publish", null);
        using var missing = await supervisor.PostAsync("/api/kb/notices/999999999/publish", null);

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(noReason.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((await reject.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options)).GetProperty("status").GetString(), Is.EqualTo("Rejected"));
            Assert.That(approveAfter.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(publish.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task A_bad_notice_is_refused_with_problem_details_and_nothing_is_written()
    {
        using var agent = await KnowledgeDesk.SignInAsync(Server, StaffRole.Agent);
        var department = "Dept " + KnowledgeDesk.UniqueProduct();
        var noTitle = KnowledgeDesk.Notice("p");
        noTitle["department"] = department;
        noTitle["title"] = " ";
        noTitle["kind"] = "Gossip";
        noTitle["language"] = "fr-FR";
        noTitle["products"] = Array.Empty<string>();
        var tooLong = KnowledgeDesk.Notice("p");
        tooLong["department"] = department;
        tooLong["body"] = new string('x', 20_001);
        var unknownArticle = KnowledgeDesk.Notice("p", articleId: 999_999_999);
        unknownArticle["department"] = department;

        using var bad = await agent.PostAsJsonAsync("/api/kb/notices", noTitle);
        using var longBody = await agent.PostAsJsonAsync("/api/kb/notices", tooLong);
        using var noArticle = await agent.PostAsJsonAsync("/api/kb/notices", unknownArticle);
        using var notJson = await agent.PostAsync("/api/kb/notices", new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Multiple(() =>
        {
            Assert.That(bad.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(bad.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(problem.GetProperty("errors").EnumerateObject().Select(p => p.Name),
                Is.SupersetOf(new[] { "title", "kind", "language", "products" }));
            Assert.That(longBody.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(noArticle.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(notJson.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        });
        await using var scope = Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        Assert.That(await db.ChangeNotices.CountAsync(n => n.Department == department), Is.Zero);
    }
}
