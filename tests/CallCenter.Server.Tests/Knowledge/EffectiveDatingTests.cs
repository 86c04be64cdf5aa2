using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Staff;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Knowledge;

/// <summary>
/// A fee change published today and effective on the 1st: the old text until then, both with the coming change in
/// the week before, the new one after, and the old version kept. A server of its own so its clock can move.
/// </summary>
public sealed class EffectiveDatingTests
{
    // 27 November 2026 17:00 in Shanghai; the change takes effect on 8 December 00:00 Shanghai time.
    private static readonly DateTimeOffset ChangeOn = new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.FromHours(8)).ToUniversalTime();

    [Test]
    public async Task Agents_see_the_old_text_until_the_change_both_in_the_week_before_and_the_new_one_after_with_history_kept()
    {
        await using var server = new CallCenterServerFactory(AssemblySetUp.Server.Database);
        var product = KnowledgeDesk.UniqueProduct("信用卡");
        var supervisorNumber = await server.Services.CreateStaffAsync(StaffRole.Supervisor);
        var agentNumber = await server.Services.CreateStaffAsync(StaffRole.Agent);
        long articleId;
        using (var supervisor = await KnowledgeDesk.SignInAsync(server, supervisorNumber))
        {
            var first = await KnowledgeDesk.PublishAsync(supervisor, KnowledgeDesk.Notice(product, "信用卡年费", "年费每年100元。",
                effectiveFrom: new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(8))));
            articleId = first.GetProperty("articleId").GetInt64();
            // Published today (27 November), effective on 8 December.
            await KnowledgeDesk.PublishAsync(supervisor, KnowledgeDesk.Notice(product, "信用卡年费", "自12月8日起年费每年200元。", effectiveFrom: ChangeOn, articleId: articleId));
        }

        var before = await ArticleAsync(server, agentNumber, articleId);
        server.Clock.SetUtcNow(ChangeOn.AddDays(-7));
        var bannerWeek = await ArticleAsync(server, agentNumber, articleId);
        var bannerSearch = await SearchAsync(server, agentNumber, "200元", product);
        server.Clock.SetUtcNow(ChangeOn.AddSeconds(-1));
        var lastSecond = await ArticleAsync(server, agentNumber, articleId);
        server.Clock.SetUtcNow(ChangeOn);
        var after = await ArticleAsync(server, agentNumber, articleId);
        var oldTextSearch = await SearchAsync(server, agentNumber, "100元", product);
        var history = await GetAsync(server, agentNumber, $"/api/kb/articles/{articleId}/versions");

        Assert.Multiple(() =>
        {
            Assert.That(Body(before, "current"), Is.EqualTo("年费每年100元。"), "ten days before: the old text");
            Assert.That(before.GetProperty("upcoming").ValueKind, Is.EqualTo(JsonValueKind.Null), "no banner yet");
            Assert.That(Body(bannerWeek, "current"), Is.EqualTo("年费每年100元。"), "banner week: the old text is still what applies");
            Assert.That(Body(bannerWeek, "upcoming"), Is.EqualTo("自12月8日起年费每年200元。"));
            Assert.That(bannerWeek.GetProperty("upcoming").GetProperty("effectiveFrom").GetDateTimeOffset(), Is.EqualTo(ChangeOn));
            Assert.That(bannerSearch.GetProperty("results").GetArrayLength(), Is.EqualTo(1), "the coming text is found in the banner week");
            Assert.That(Body(lastSecond, "current"), Is.EqualTo("年费每年100元。"));
            Assert.That(Body(after, "current"), Is.EqualTo("自12月8日起年费每年200元。"), "from the effective instant: the new text");
            Assert.That(after.GetProperty("upcoming").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(oldTextSearch.GetProperty("results").GetArrayLength(), Is.Zero, "expired text is not offered to agents");
            Assert.That(history.GetProperty("versions").EnumerateArray().Select(v => (v.GetProperty("number").GetInt32(), v.GetProperty("status").GetString())),
                Is.EqualTo(new[] { (1, "Expired"), (2, "Current") }), "the expired version is kept");
            Assert.That(history.GetProperty("versions")[0].GetProperty("effectiveUntil").GetDateTimeOffset(), Is.EqualTo(ChangeOn));
        });
    }

    private static string? Body(JsonElement article, string which) => article.GetProperty(which).GetProperty("body").GetString();

    private static Task<JsonElement> ArticleAsync(CallCenterServerFactory server, string workNumber, long articleId) =>
        GetAsync(server, workNumber, $"/api/kb/articles/{articleId}");

    private static Task<JsonElement> SearchAsync(CallCenterServerFactory server, string workNumber, string q, string product) =>
        GetAsync(server, workNumber, $"/api/kb/search?q={Uri.EscapeDataString(q)}&product={Uri.EscapeDataString(product)}");

    /// <summary>Signs in afresh: the clock moves by days, further than a session lasts.</summary>
    private static async Task<JsonElement> GetAsync(CallCenterServerFactory server, string workNumber, string url)
    {
        using var client = await KnowledgeDesk.SignInAsync(server, workNumber);
        using var response = await client.GetAsync(url);
        Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
    }
}
