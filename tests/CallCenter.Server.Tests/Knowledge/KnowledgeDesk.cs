using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.AspNetCore.Mvc.Testing;

namespace CallCenter.Server.Tests.Knowledge;

/// <summary>Staff sessions and change notices with valid defaults, for the knowledge-base tests.</summary>
internal static class KnowledgeDesk
{
    /// <summary>A label no other test uses, so searches filtered by it see only this test's articles.</summary>
    public static string UniqueProduct(string stem = "product") =>
        stem + Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture);

    public static async Task<HttpClient> SignInAsync(WebApplicationFactory<Program> server, StaffRole role) =>
        await SignInAsync(server, await server.Services.CreateStaffAsync(role));

    public static async Task<HttpClient> SignInAsync(WebApplicationFactory<Program> server, string workNumber)
    {
        var client = server.CreateClient();
        using var login = await StaffBuilder.LoginAsync(client, workNumber);
        login.EnsureSuccessStatusCode();
        return client;
    }

    /// <summary>A valid notice; override what the test is about.</summary>
    public static Dictionary<string, object?> Notice(string product, string title = "信用卡年费调整", string body = "自12月1日起，信用卡年费调整为200元。",
        string language = "zh-CN", DateTimeOffset? effectiveFrom = null, long? articleId = null) => new()
    {
        ["department"] = "Card Department",
        ["kind"] = "FeeChange",
        ["articleId"] = articleId,
        ["title"] = title,
        ["body"] = body,
        ["language"] = language,
        ["products"] = new[] { product },
        ["tags"] = new[] { "fees" },
        ["reasonFamily"] = "cards",
        ["effectiveFrom"] = effectiveFrom,
    };

    public static async Task<JsonElement> SubmitAsync(HttpClient client, Dictionary<string, object?> notice)
    {
        using var response = await client.PostAsJsonAsync("/api/kb/notices", notice);
        Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
    }

    /// <summary>Submitted, approved and published; returns the published notice.</summary>
    public static async Task<JsonElement> PublishAsync(HttpClient supervisor, Dictionary<string, object?> notice)
    {
        var id = (await SubmitAsync(supervisor, notice)).GetProperty("id").GetInt64();
        using var approve = await supervisor.PostAsJsonAsync($"/api/kb/notices/{id}/approve", new { note = "checked with the department" });
        Assert.That((int)approve.StatusCode, Is.EqualTo(200), await approve.Content.ReadAsStringAsync());
        using var publish = await supervisor.PostAsync($"/api/kb/notices/{id}/publish", null);
        Assert.That((int)publish.StatusCode, Is.EqualTo(200), await publish.Content.ReadAsStringAsync());
        return await publish.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
    }

    public static async Task<JsonElement> SearchAsync(HttpClient client, string q, string? product = null, string? language = null)
    {
        var url = $"/api/kb/search?q={Uri.EscapeDataString(q)}"
            + (product is null ? "" : $"&product={Uri.EscapeDataString(product)}")
            + (language is null ? "" : $"&language={Uri.EscapeDataString(language)}");
        using var response = await client.GetAsync(url);
        Assert.That((int)response.StatusCode, Is.EqualTo(200), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
    }

    public static List<string?> Titles(JsonElement search) =>
        [.. search.GetProperty("results").EnumerateArray().Select(r => (r.GetProperty("article").GetProperty("current").ValueKind == JsonValueKind.Object
            ? r.GetProperty("article").GetProperty("current") : r.GetProperty("article").GetProperty("upcoming")).GetProperty("title").GetString())];
}
