using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CallCenter.Server.Knowledge;
using CallCenter.Server.Staff;
using CallCenter.Server.Tests.Agents;
using CallCenter.Testing;
using Microsoft.AspNetCore.SignalR.Client;

namespace CallCenter.Server.Tests.Knowledge;

/// <summary>Incident scripts a supervisor pins: on every agent console within two seconds, and optionally on the IVR.</summary>
public sealed class IncidentScriptTests
{
    private static CallCenterServerFactory Server => AssemblySetUp.Server;

    [Test]
    public async Task A_pinned_incident_script_reaches_every_connected_agent_within_two_seconds()
    {
        const int agents = 4;
        var title = "核心系统故障 " + KnowledgeDesk.UniqueProduct("incident");
        var heard = new List<TaskCompletionSource<TimeSpan>>();
        var connections = new List<HubConnection>();
        var clock = new Stopwatch();
        try
        {
            for (var i = 0; i < agents; i++)
            {
                var received = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
                heard.Add(received);
                connections.Add(await HubClient.ConnectAsync(Server, await Server.Services.CreateStaffAsync(StaffRole.Agent), c =>
                    c.On<List<IncidentScriptApi.ScriptView>>("pinnedScripts", pinned =>
                    {
                        if (pinned.Any(s => s.Title == title)) received.TrySetResult(clock.Elapsed);
                    })));
            }
            using var supervisor = await KnowledgeDesk.SignInAsync(Server, StaffRole.Supervisor);

            clock.Start();
            using var pin = await supervisor.PostAsJsonAsync("/api/kb/scripts", new
            {
                title,
                body = "核心系统故障，转账暂停。请告知客户：**预计14:00恢复**，可稍后再试或使用网点服务。",
            });
            var delays = await Task.WhenAll(heard.Select(h => h.Task.WaitAsync(TimeSpan.FromSeconds(10))));

            Assert.That(pin.StatusCode, Is.EqualTo(HttpStatusCode.Created), await pin.Content.ReadAsStringAsync());
            Assert.That(delays, Has.All.LessThan(TimeSpan.FromSeconds(2)), string.Join(", ", delays.Select(d => $"{d.TotalMilliseconds:F0} ms")));
            using var agent = await KnowledgeDesk.SignInAsync(Server, StaffRole.Agent);
            var pinned = await agent.GetFromJsonAsync<JsonElement>("/api/kb/scripts/pinned", TestJson.Options);
            Assert.That(pinned.EnumerateArray().Select(s => s.GetProperty("title").GetString()), Does.Contain(title), "a console that connects later reads it");
        }
        finally
        {
            foreach (var connection in connections) await connection.DisposeAsync();
        }
    }

    [Test]
    public async Task A_script_pinned_with_lines_becomes_their_emergency_announcement_until_it_is_unpinned()
    {
        // A database of its own: the shared line's announcement would be heard by every other test's calls.
        await using var database = await TestDatabase.CreateAsync("kb_ivr");
        await using var server = new CallCenterServerFactory(database);
        using var supervisor = await KnowledgeDesk.SignInAsync(server, StaffRole.Supervisor);

        using var pin = await supervisor.PostAsJsonAsync("/api/kb/scripts", new
        {
            title = "Core banking outage",
            body = "Transfers are paused. Tell customers service should be back by 14:00.",
            lines = new[] { "bank-hotline" },
            announcement = new Dictionary<string, string> { ["zh-CN"] = "核心系统故障，转账暂停，预计14点恢复。", ["en-US"] = "Transfers are paused until about 2 pm." },
        });
        var script = await pin.Content.ReadFromJsonAsync<JsonElement>(TestJson.Options);
        var during = await IvrCall.DialAsync(server.CreateTwilioClient());
        await during.PressAsync("1");
        using var unpin = await supervisor.DeleteAsync($"/api/kb/scripts/{script.GetProperty("id").GetInt64()}/pin");
        using var unpinAgain = await supervisor.DeleteAsync($"/api/kb/scripts/{script.GetProperty("id").GetInt64()}/pin");
        var line = await supervisor.GetFromJsonAsync<JsonElement>("/api/lines/bank-hotline/emergency-announcement", TestJson.Options);
        var pinned = await supervisor.GetFromJsonAsync<JsonElement>("/api/kb/scripts/pinned", TestJson.Options);

        Assert.Multiple(() =>
        {
            Assert.That(pin.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(during.SpokenText, Does.Contain("核心系统故障，转账暂停，预计14点恢复。"));
            Assert.That(unpin.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(unpinAgain.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(line.GetProperty("active").GetBoolean(), Is.False);
            Assert.That(pinned.GetArrayLength(), Is.Zero);
        });
    }

    [Test]
    public async Task A_bad_script_is_refused_and_nothing_is_pinned_or_announced()
    {
        await using var database = await TestDatabase.CreateAsync("kb_bad_script");
        await using var server = new CallCenterServerFactory(database);
        using var supervisor = await KnowledgeDesk.SignInAsync(server, StaffRole.Supervisor);

        using var noBody = await supervisor.PostAsJsonAsync("/api/kb/scripts", new { title = "Outage", body = "" });
        using var oneLanguage = await supervisor.PostAsJsonAsync("/api/kb/scripts", new
        {
            title = "Outage", body = "Say sorry.", lines = new[] { "bank-hotline" },
            announcement = new Dictionary<string, string> { ["zh-CN"] = "系统故障。" },
        });
        using var unknownLine = await supervisor.PostAsJsonAsync("/api/kb/scripts", new
        {
            title = "Outage", body = "Say sorry.", lines = new[] { "no-such-line" },
            announcement = new Dictionary<string, string> { ["zh-CN"] = "系统故障。", ["en-US"] = "Outage." },
        });
        var pinned = await supervisor.GetFromJsonAsync<JsonElement>("/api/kb/scripts", TestJson.Options);
        var line = await supervisor.GetFromJsonAsync<JsonElement>("/api/lines/bank-hotline/emergency-announcement", TestJson.Options);

        Assert.Multiple(() =>
        {
            Assert.That(noBody.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(oneLanguage.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(unknownLine.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(oneLanguage.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(pinned.GetArrayLength(), Is.Zero);
            Assert.That(line.GetProperty("active").GetBoolean(), Is.False);
        });
    }

}
