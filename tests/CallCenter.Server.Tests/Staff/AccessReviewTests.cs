using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.Staff;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Staff;

public sealed class AccessReviewTests
{
    private static CallCenterServerFactory Server => AssemblySetUp.Server;

    [Test]
    public async Task Review_lists_role_level_last_sign_in_and_second_factor_with_findings()
    {
        var admin = await Server.Services.CreateStaffAsync(StaffRole.Admin);
        var unenrolled = await Server.Services.CreateStaffAsync(StaffRole.Quality, permissionLevel: 2, secondFactor: false);
        var agent = await Server.Services.CreateStaffAsync(StaffRole.Agent, permissionLevel: 3);
        using var client = Server.CreateClient();
        using var _ = await StaffBuilder.LoginAsync(client, admin);

        var report = await client.GetFromJsonAsync<AccessReview.Report>("/api/staff/access-review", TestJson.Options);
        using var csv = await client.GetAsync("/api/staff/access-review?format=csv");
        var text = await csv.Content.ReadAsStringAsync();

        var byNumber = report!.Staff.ToDictionary(r => r.WorkNumber);
        Assert.Multiple(() =>
        {
            Assert.That(byNumber[admin].Role, Is.EqualTo(StaffRole.Admin));
            Assert.That(byNumber[admin].LastLoginAt, Is.EqualTo(Server.Clock.GetUtcNow()));
            Assert.That(byNumber[admin].SecondFactor, Is.EqualTo("enrolled"));
            Assert.That(byNumber[admin].RecoveryCodesLeft, Is.EqualTo(10));
            Assert.That(byNumber[admin].Findings, Is.Empty);
            Assert.That(byNumber[unenrolled].PermissionLevel, Is.EqualTo(2));
            Assert.That(byNumber[unenrolled].SecondFactor, Is.EqualTo("missing"));
            Assert.That(byNumber[unenrolled].Findings, Is.EqualTo(new[] { "never signed in", "second factor required but not enrolled" }));
            Assert.That(byNumber[agent].SecondFactor, Is.EqualTo("not required"));
            Assert.That(byNumber[agent].PermissionLevel, Is.EqualTo(3));
            Assert.That(csv.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/csv"));
            Assert.That(text, Does.StartWith("work_number,display_name,role,permission_level,"));
            Assert.That(text, Does.Contain($"\"{unenrolled}\",\"Test Quality\",Quality,2,"));
        });
    }

    [Test]
    public async Task Only_administrators_see_the_review()
    {
        var supervisor = await Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var client = Server.CreateClient();
        using var _ = await StaffBuilder.LoginAsync(client, supervisor);

        using var response = await client.GetAsync("/api/staff/access-review");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }
}
