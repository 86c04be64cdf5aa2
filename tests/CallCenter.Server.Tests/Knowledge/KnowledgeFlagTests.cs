using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Knowledge;
using CallCenter.Server.Staff;
using CallCenter.Server.Tests.Agents;
using CallCenter.Testing;
using Microsoft.AspNetCore.SignalR.Client;

namespace CallCenter.Server.Tests.Knowledge;

/// <summary>Agents flag wrong or missing articles from a call; the owners see and close them; screen pops suggest articles.</summary>
public sealed class KnowledgeFlagTests
{
    private static CallCenterServerFactory Server => AssemblySetUp.Server;

    [Test]
    public async Task A_flag_from_a_call_goes_to_the_articles_owner_who_hears_of_it_and_resolves_it()
    {
        var product = KnowledgeDesk.UniqueProduct();
        var owner = "Cards " + product;
        using var supervisor = await KnowledgeDesk.SignInAsync(Server, StaffRole.Supervisor);
        var supervisorNumber = await Server.Services.CreateStaffAsync(StaffRole.Supervisor);
        var notice = KnowledgeDesk.Notice(product);
        notice["department"] = owner;
        var articleId = (await KnowledgeDesk.PublishAsync(supervisor, notice)).GetProperty("articleId").GetInt64();
        var told = new TaskCompletionSource<KnowledgeApi.FlagView>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var desk = await HubClient.ConnectAsync(Server, supervisorNumber,
            c => c.On<KnowledgeApi.FlagView>("knowledgeFlagged", f => { if (f.Owner == owner) told.TrySetResult(f); }));
        var agentNumber = await Server.Services.CreateStaffAsync(StaffRole.Agent);
        using var agent = await KnowledgeDesk.SignInAsync(Server, agentNumber);

        using var flag = await agent.PostAsJsonAsync("/api/kb/flags", new { articleId, kind = "Wrong", comment = "The fee is 300, not 200.", callSid = "CA" + product });
        var pushed = await told.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var inbox = await supervisor.GetFromJsonAsync<JsonElement>($"/api/kb/flags?owner={Uri.EscapeDataString(owner)}", TestJson.Options);
        var flagId = inbox[0].GetProperty("id").GetInt64();
        using var resolve = await supervisor.PostAsJsonAsync($"/api/kb/flags/{flagId}/resolve", new { resolution = "Notice sent to the card department." });
        using var again = await supervisor.PostAsJsonAsync($"/api/kb/flags/{flagId}/resolve", new { resolution = "again" });
        var open = await supervisor.GetFromJsonAsync<JsonElement>($"/api/kb/flags?owner={Uri.EscapeDataString(owner)}", TestJson.Options);
        using var byAgent = await agent.GetAsync("/api/kb/flags");

        Assert.Multiple(() =>
        {
            Assert.That(flag.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(pushed.RaisedBy, Is.EqualTo(agentNumber));
            Assert.That(inbox.GetArrayLength(), Is.EqualTo(1));
            Assert.That(inbox[0].GetProperty("callSid").GetString(), Is.EqualTo("CA" + product));
            Assert.That(inbox[0].GetProperty("versionId").ValueKind, Is.EqualTo(JsonValueKind.Number), "the flag names the version the agent read");
            Assert.That(resolve.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(open.GetArrayLength(), Is.Zero);
            Assert.That(byAgent.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        });
    }

    [Test]
    public async Task A_missing_article_goes_to_the_knowledge_team_and_bad_flags_are_refused()
    {
        using var agent = await KnowledgeDesk.SignInAsync(Server, StaffRole.Agent);
        var comment = "No article on the new ETC card " + KnowledgeDesk.UniqueProduct();

        using var missing = await agent.PostAsJsonAsync("/api/kb/flags", new { kind = "missing", comment });
        using var noKind = await agent.PostAsJsonAsync("/api/kb/flags", new { comment = "?" });
        using var wrongWithoutArticle = await agent.PostAsJsonAsync("/api/kb/flags", new { kind = "Wrong", comment = "?" });
        using var noComment = await agent.PostAsJsonAsync("/api/kb/flags", new { kind = "Missing", comment = "  " });
        using var unknownArticle = await agent.PostAsJsonAsync("/api/kb/flags", new { articleId = 999_999_999, kind = "Wrong", comment = "?" });
        var flag = await missing.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);

        Assert.Multiple(() =>
        {
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(flag.GetProperty("owner").GetString(), Is.EqualTo(KnowledgeApi.KnowledgeTeam));
            Assert.That(noKind.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(wrongWithoutArticle.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(noComment.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(unknownArticle.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task The_screen_pop_suggests_articles_from_the_options_the_caller_chose_in_their_language()
    {
        var marker = KnowledgeDesk.UniqueProduct("激活");
        using var supervisor = await KnowledgeDesk.SignInAsync(Server, StaffRole.Supervisor);
        await KnowledgeDesk.PublishAsync(supervisor, KnowledgeDesk.Notice("银行卡", "新卡激活 " + marker, "新卡可通过手机银行或网点激活。"));
        var call = await IvrCall.DialAsync(Server.CreateTwilioClient());
        await call.PressAsync("1"); // 中文
        await call.PressAsync("1"); // 账户和银行卡
        await call.PressAsync("3"); // 银行卡业务

        JsonElement suggestions = default;
        // The call log is written in batches: wait until the choices are in it.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            suggestions = await supervisor.GetFromJsonAsync<JsonElement>($"/api/kb/suggestions?callSid={call.CallSid}", TestJson.Options);
            if (suggestions.GetProperty("query").GetString()!.Contains("激活", StringComparison.Ordinal)) break;
            await Task.Delay(100);
        }
        using var noCall = await supervisor.GetAsync("/api/kb/suggestions?callSid=CA-no-such-call");
        using var noSid = await supervisor.GetAsync("/api/kb/suggestions");

        Assert.Multiple(() =>
        {
            Assert.That(suggestions.GetProperty("language").GetString(), Is.EqualTo("zh-CN"));
            Assert.That(suggestions.GetProperty("query").GetString(), Does.Contain("银行卡").And.Contain("激活"));
            Assert.That(KnowledgeDesk.Titles(suggestions), Does.Contain("新卡激活 " + marker));
            Assert.That(noCall.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(noSid.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }
}
