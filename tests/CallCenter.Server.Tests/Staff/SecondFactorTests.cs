using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Core.Security;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Staff;

public sealed class SecondFactorTests
{
    private static CallCenterServerFactory Server => AssemblySetUp.Server;

    private static Task<HttpResponseMessage> LoginAsync(HttpClient client, string workNumber, string? oneTimeCode) =>
        client.PostAsJsonAsync("/api/auth/login", new { workNumber, password = StaffBuilder.Password, oneTimeCode });

    private static string CodeNow(byte[] secret, int stepOffset = 0) =>
        Totp.Code(secret, Totp.StepAt(Server.Clock.GetUtcNow()) + stepOffset);

    private static async Task<List<string>> LoginLogAsync(string workNumber)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().OperationLog
            .Where(e => e.Target == workNumber && e.Action == "staff.login").OrderBy(e => e.Id).Select(e => e.Result + ": " + e.Details).ToListAsync();
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);

    [TestCase(StaffRole.Supervisor)]
    [TestCase(StaffRole.Quality)]
    [TestCase(StaffRole.Admin)]
    public async Task Password_alone_does_not_sign_in_a_privileged_member_with_an_authenticator(StaffRole role)
    {
        var member = await Server.Services.CreateStaffAsync(role);
        using var client = Server.CreateClient();

        using var login = await LoginAsync(client, member, oneTimeCode: null);
        using var me = await client.GetAsync("/api/auth/me");

        Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        var problem = await ProblemAsync(login);
        Assert.That(problem.GetProperty("title").GetString(), Is.EqualTo("One-time code required"));
        Assert.That(problem.GetProperty("secondFactor").GetString(), Is.EqualTo("totp"));
        Assert.That(me.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await LoginLogAsync(member), Is.EqualTo(new[] { "refused: one-time code required" }));
    }

    [Test]
    public async Task Right_code_signs_in_and_the_same_code_again_within_its_step_is_refused_and_logged()
    {
        var supervisor = await Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        var code = CodeNow(StaffBuilder.TotpSecret);
        using var first = Server.CreateClient();
        using var second = Server.CreateClient();

        using var accepted = await LoginAsync(first, supervisor, code);
        using var replayed = await LoginAsync(second, supervisor, code);
        using var wallboard = await first.GetAsync("/api/metrics/wallboard");

        Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var session = await accepted.Content.ReadFromJsonAsync<StaffApi.SessionInfo>(TestJson.Options);
        Assert.That(session?.SecondFactor, Is.EqualTo(SecondFactorState.Verified));
        Assert.That(wallboard.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(replayed.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((await ProblemAsync(replayed)).GetProperty("title").GetString(), Is.EqualTo("One-time code already used"));
        Assert.That(await LoginLogAsync(supervisor), Is.EqualTo(new[] { "succeeded: one-time code verified", "refused: replayed one-time code" }));
    }

    [Test]
    public async Task Code_of_an_earlier_step_after_a_later_one_was_used_is_refused_as_replayed()
    {
        var supervisor = await Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var client = Server.CreateClient();

        using var later = await LoginAsync(client, supervisor, CodeNow(StaffBuilder.TotpSecret, +1));
        using var earlier = await LoginAsync(Server.CreateClient(), supervisor, CodeNow(StaffBuilder.TotpSecret));

        Assert.That(later.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(earlier.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Two_sign_ins_racing_with_one_code_let_exactly_one_through()
    {
        var supervisor = await Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        var code = CodeNow(StaffBuilder.TotpSecret);

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            using var response = await LoginAsync(Server.CreateClient(), supervisor, code);
            return response.StatusCode;
        }));

        Assert.That(results.Count(s => s == HttpStatusCode.OK), Is.EqualTo(1), string.Join(", ", results));
    }

    [Test]
    public async Task Wrong_code_is_refused_logged_and_five_lock_the_account()
    {
        var supervisor = await Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        var wrong = ((int.Parse(CodeNow(StaffBuilder.TotpSecret), System.Globalization.CultureInfo.InvariantCulture) + 500_000) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        using var client = Server.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await LoginAsync(client, supervisor, wrong);
            statuses.Add(response.StatusCode);
        }
        using var right = await LoginAsync(client, supervisor, CodeNow(StaffBuilder.TotpSecret));

        Assert.That(statuses.Take(4), Is.All.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(statuses[4], Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        var log = await LoginLogAsync(supervisor);
        Assert.That(log.Take(4), Is.All.EqualTo("refused: wrong one-time code"));
        Assert.That(log[4], Is.EqualTo("refused: wrong one-time code; account locked"));
    }

    [Test]
    public async Task Recovery_code_signs_in_once_only()
    {
        var admin = await Server.Services.CreateStaffAsync(StaffRole.Admin);
        var recovery = StaffBuilder.RecoveryCodes(admin)[3];

        using var first = await LoginAsync(Server.CreateClient(), admin, recovery.ToUpperInvariant());
        using var again = await LoginAsync(Server.CreateClient(), admin, recovery);

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await LoginLogAsync(admin), Is.EqualTo(new[] { "succeeded: one-time code verified", "refused: replayed one-time code" }));
    }

    [Test]
    public async Task Supervisor_without_an_authenticator_enrols_before_anything_else_and_then_needs_codes()
    {
        var supervisor = await Server.Services.CreateStaffAsync(StaffRole.Supervisor, secondFactor: false);
        using var client = Server.CreateClient();

        using var login = await LoginAsync(client, supervisor, oneTimeCode: null);
        var session = await login.Content.ReadFromJsonAsync<StaffApi.SessionInfo>(TestJson.Options);
        using var before = await client.GetAsync("/api/metrics/wallboard");
        using var enrol = await client.PostAsync("/api/auth/totp/enrol", null);
        var enrolment = await enrol.Content.ReadFromJsonAsync<StaffApi.TotpEnrolmentView>(TestJson.Options);
        var secret = Base32.Decode(enrolment!.Secret);
        using var wrong = await client.PostAsJsonAsync("/api/auth/totp/confirm", new { code = "000000" == CodeNow(secret) ? "111111" : "000000" });
        using var confirm = await client.PostAsJsonAsync("/api/auth/totp/confirm", new { code = CodeNow(secret) });
        var recovery = await confirm.Content.ReadFromJsonAsync<StaffApi.RecoveryCodesView>(TestJson.Options);
        using var after = await client.GetAsync("/api/metrics/wallboard");
        using var again = await client.PostAsync("/api/auth/totp/enrol", null);
        using var withoutCode = await LoginAsync(Server.CreateClient(), supervisor, oneTimeCode: null);
        using var withRecovery = await LoginAsync(Server.CreateClient(), supervisor, recovery!.RecoveryCodes[0]);

        Assert.Multiple(() =>
        {
            Assert.That(session?.SecondFactor, Is.EqualTo(SecondFactorState.EnrolmentRequired));
            Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(enrolment.OtpauthUri, Does.StartWith($"otpauth://totp/Bank%20Hotline:{supervisor}?secret={enrolment.Secret}&"));
            Assert.That(enrolment.QrSvg, Does.StartWith("<svg").Or.StartWith("<?xml"));
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(confirm.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(recovery.RecoveryCodes, Has.Count.EqualTo(10).And.Unique);
            Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(withoutCode.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(withRecovery.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Agents_sign_in_with_a_password_unless_the_centre_requires_codes_for_them_too()
    {
        var agent = await Server.Services.CreateStaffAsync(StaffRole.Agent);
        await using var strict = Server.WithWebHostBuilder(b => b.UseSetting("Staff:RequireTotpForAgents", "true"));

        using var relaxed = await LoginAsync(Server.CreateClient(), agent, null);
        var relaxedSession = await relaxed.Content.ReadFromJsonAsync<StaffApi.SessionInfo>(TestJson.Options);
        using var strictClient = strict.CreateClient();
        using var strictLogin = await LoginAsync(strictClient, agent, null);
        var strictSession = await strictLogin.Content.ReadFromJsonAsync<StaffApi.SessionInfo>(TestJson.Options);
        using var offer = await strictClient.GetAsync("/api/agent/me");

        Assert.That(relaxedSession?.SecondFactor, Is.EqualTo(SecondFactorState.NotRequired));
        Assert.That(strictSession?.SecondFactor, Is.EqualTo(SecondFactorState.EnrolmentRequired));
        Assert.That(offer.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Admin_resets_a_lost_authenticator_and_the_reset_is_logged()
    {
        var admin = await Server.Services.CreateStaffAsync(StaffRole.Admin);
        var supervisor = await Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        using var adminClient = Server.CreateClient();
        using var _ = await StaffBuilder.LoginAsync(adminClient, admin);

        using var reset = await adminClient.PostAsync($"/api/staff/{supervisor}/totp/reset", null);
        using var unknown = await adminClient.PostAsync("/api/staff/NOBODY/totp/reset", null);
        using var login = await LoginAsync(Server.CreateClient(), supervisor, null);
        var session = await login.Content.ReadFromJsonAsync<StaffApi.SessionInfo>(TestJson.Options);

        Assert.That(reset.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(session?.SecondFactor, Is.EqualTo(SecondFactorState.EnrolmentRequired));
        await using var scope = Server.Services.CreateAsyncScope();
        var entry = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().OperationLog.SingleAsync(e => e.Action == "staff.totp_reset" && e.Target == supervisor);
        Assert.That(entry.Operator, Is.EqualTo(admin));
    }
}
