using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Staff;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Knowledge;

/// <summary>Search in PostgreSQL for Chinese and English, filtered by product and language, exact product matches first.</summary>
public sealed class KnowledgeSearchTests
{
    private static CallCenterServerFactory Server => AssemblySetUp.Server;

    [Test]
    public async Task Finds_Chinese_terms_inside_longer_words_and_English_terms_in_other_forms()
    {
        var product = KnowledgeDesk.UniqueProduct();
        using var supervisor = await KnowledgeDesk.SignInAsync(Server, StaffRole.Supervisor);
        await KnowledgeDesk.PublishAsync(supervisor, KnowledgeDesk.Notice(product, "信用卡年费调整", "自12月1日起，白金信用卡年费调整为每年200元。"));
        await KnowledgeDesk.PublishAsync(supervisor, KnowledgeDesk.Notice(product, "Annual fee change for credit cards",
            "From 1 December the **annual fee** of a platinum credit card is CNY 200 a year.", language: "en-US"));
        await KnowledgeDesk.PublishAsync(supervisor, KnowledgeDesk.Notice(product, "网点营业时间", "节假日期间网点营业时间为9:00至16:00。"));
        using var agent = await KnowledgeDesk.SignInAsync(Server, StaffRole.Agent);

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(KnowledgeDesk.Titles(await KnowledgeDesk.SearchAsync(agent, "年费", product)),
                Is.EquivalentTo(new[] { "信用卡年费调整" }), "a two-character word inside a longer run of Chinese");
            Assert.That(KnowledgeDesk.Titles(await KnowledgeDesk.SearchAsync(agent, "白金信用卡", product)), Is.EquivalentTo(new[] { "信用卡年费调整" }));
            Assert.That(KnowledgeDesk.Titles(await KnowledgeDesk.SearchAsync(agent, "营业时间", product)), Is.EquivalentTo(new[] { "网点营业时间" }));
            Assert.That(KnowledgeDesk.Titles(await KnowledgeDesk.SearchAsync(agent, "annual fees", product)),
                Is.EquivalentTo(new[] { "Annual fee change for credit cards" }), "stemmed: fees finds fee");
            Assert.That(KnowledgeDesk.Titles(await KnowledgeDesk.SearchAsync(agent, "credit card 年费", product)), Is.Empty,
                "every word must match, and no article has both");
            Assert.That(KnowledgeDesk.Titles(await KnowledgeDesk.SearchAsync(agent, "年费", product, language: "en-US")), Is.Empty);
            Assert.That(KnowledgeDesk.Titles(await KnowledgeDesk.SearchAsync(agent, "annual fee", product, language: "en-US")), Has.Count.EqualTo(1));
            Assert.That(KnowledgeDesk.Titles(await KnowledgeDesk.SearchAsync(agent, "年调", product)), Is.Empty, "characters that are not adjacent");
            Assert.That(KnowledgeDesk.Titles(await KnowledgeDesk.SearchAsync(agent, "年费", KnowledgeDesk.UniqueProduct())), Is.Empty, "another product");
        });
    }

    [Test]
    public async Task Exact_product_matches_rank_first_even_above_a_stronger_text_match()
    {
        var product = KnowledgeDesk.UniqueProduct("白金卡");
        var other = KnowledgeDesk.UniqueProduct("other");
        var tag = KnowledgeDesk.UniqueProduct("tag");
        using var supervisor = await KnowledgeDesk.SignInAsync(Server, StaffRole.Supervisor);
        var mentions = KnowledgeDesk.Notice(other, $"{product} 年费 {product} 年费", $"{product} 年费常见问题：{product} 年费可以减免吗？");
        mentions["tags"] = new[] { tag };
        var forProduct = KnowledgeDesk.Notice(product, "年费标准", $"本卡（{product}）年费按年收取。");
        forProduct["tags"] = new[] { tag };
        await KnowledgeDesk.PublishAsync(supervisor, mentions);
        await KnowledgeDesk.PublishAsync(supervisor, forProduct);
        using var agent = await KnowledgeDesk.SignInAsync(Server, StaffRole.Agent);

        var search = await KnowledgeDesk.SearchAsync(agent, $"{product} 年费 {tag}");
        var results = search.GetProperty("results").EnumerateArray().ToList();

        Assert.That(KnowledgeDesk.Titles(search), Is.EqualTo(new[] { "年费标准", $"{product} 年费 {product} 年费" }));
        Assert.Multiple(() =>
        {
            Assert.That(results[0].GetProperty("productMatch").GetBoolean(), Is.True);
            Assert.That(results[1].GetProperty("productMatch").GetBoolean(), Is.False);
            Assert.That(results[1].GetProperty("rank").GetDouble(), Is.GreaterThan(results[0].GetProperty("rank").GetDouble()),
                "the text alone would have ranked the other article first");
        });
    }

    [Test]
    public async Task Article_bodies_are_rendered_from_Markdown_with_raw_HTML_shown_as_text_and_script_links_dropped()
    {
        var product = KnowledgeDesk.UniqueProduct();
        using var supervisor = await KnowledgeDesk.SignInAsync(Server, StaffRole.Supervisor);
        await KnowledgeDesk.PublishAsync(supervisor, KnowledgeDesk.Notice(product, "Branch move", "The **Xuhui** branch moves. <script>alert(1)</script> [map](javascript:alert(2)) [site](https://bank.example/xuhui)", language: "en-US"));

        var current = (await KnowledgeDesk.SearchAsync(supervisor, "branch", product)).GetProperty("results")[0].GetProperty("article").GetProperty("current");

        Assert.That(current.GetProperty("bodyHtml").GetString(), Does.Contain("<strong>Xuhui</strong>").And.Contain("&lt;script&gt;").And.Not.Contain("<script>")
            .And.Not.Contain("javascript:").And.Contain("href=\"https://bank.example/xuhui\""));
    }

    [Test]
    public async Task Bad_searches_are_refused_with_problem_details()
    {
        using var agent = await KnowledgeDesk.SignInAsync(Server, StaffRole.Agent);
        using var anonymous = Server.CreateClient();

        using var empty = await agent.GetAsync("/api/kb/search?q=%20");
        using var tooLong = await agent.GetAsync("/api/kb/search?q=" + new string('a', 201));
        using var badLanguage = await agent.GetAsync("/api/kb/search?q=fee&language=xx");
        using var badLimit = await agent.GetAsync("/api/kb/search?q=fee&limit=0");
        using var stopWordsOnly = await agent.GetAsync("/api/kb/search?q=the");
        using var notLoggedIn = await anonymous.GetAsync("/api/kb/search?q=fee");

        await Assert.MultipleAsync(async () =>
        {
            foreach (var response in new[] { empty, tooLong, badLanguage, badLimit })
            {
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
                Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            }
            Assert.That(stopWordsOnly.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await stopWordsOnly.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("results").GetArrayLength(), Is.Zero);
            Assert.That(notLoggedIn.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }
}
