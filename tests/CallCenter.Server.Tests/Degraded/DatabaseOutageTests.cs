using System.Net;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CallCenter.Server.Tests.Degraded;

/// <summary>PostgreSQL stops mid-call (a private cluster of the test's own): calls go on, the call log catches up afterwards.</summary>
public sealed class DatabaseOutageTests
{
    private static Dictionary<string, string> Settings(PrivatePostgres postgres, string spool) => new()
    {
        ["ConnectionStrings:Postgres"] = postgres.ConnectionString,
        ["Degraded:SpoolDirectory"] = spool,
        ["Degraded:DrainEvery"] = "00:00:00.2",
        ["Degraded:DatabaseWriteTimeout"] = "00:00:01",
        // Right after PostgreSQL stops every worker's query fails and retries at once: on a loaded machine the Twilio stand-in's
        // answer to the accept's redirect took over the 4 s default. These tests are about PostgreSQL, not about a slow Twilio.
        ["Twilio:RestTimeout"] = "00:00:10",
    };

    [Test]
    [NonParallelizable] // The retry storm after the kill and the accept's wall-clock REST timeout should not compete with other tests.
    public async Task A_call_carries_on_while_postgresql_is_down_and_its_events_reach_the_call_log_once_in_order_after_a_restart()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        var spool = Directory.CreateTempSubdirectory("cc-spool-test-").FullName;
        string callSid;
        await using (var before = new AcdHarness(settings: Settings(postgres, spool)))
        {
            using var agent = await before.AvailableAgentAsync(("general", 1));
            var call = await IvrCall.DialAsync(before.CreateTwilioClient());
            callSid = call.CallSid;
            Assert.That(call.Gather, Is.Not.Null, call.RawTwiml);

            await postgres.StopServerAsync();

            // The caller still hears the IVR and reaches the queue; Twilio's requests are answered with TwiML, not errors.
            before.Clock.Advance(TimeSpan.FromSeconds(3));
            await call.PressAsync("1");
            Assert.That(call.Gather, Is.Not.Null, call.RawTwiml);
            before.Clock.Advance(TimeSpan.FromSeconds(4));
            await call.PressAsync("0");
            Assert.That(call.QueueName, Is.EqualTo("general"), call.RawTwiml);

            // The agent still gets the offer (with the screen pop the IVR state allows), takes it and ends it.
            before.Clock.Advance(TimeSpan.FromSeconds(5));
            var offer = await agent.OfferAsync();
            Assert.That(offer?.GetProperty("callSid").GetString(), Is.EqualTo(callSid));
            using (var accepted = await agent.AcceptAsync(callSid)) Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(before.Redirects().Single().Twiml, Does.Contain($">call-{callSid}</Conference></Dial>"), "the caller enters the call's conference");
            Assert.That(before.DialledInto(callSid), Is.EqualTo(new[] { $"client:agent-{agent.WorkNumber}" }), "and the agent's softphone is dialled into it");
            before.Clock.Advance(TimeSpan.FromSeconds(60));
            using (var ended = await agent.EndCallAsync(callSid)) Assert.That(ended.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            before.Clock.Advance(TimeSpan.FromSeconds(1));
            using (var completed = await before.CreateTwilioClient().PostSignedAsync("/twilio/voice/status", TwilioForms.Status(callSid, "completed", 73)))
                Assert.That(completed.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));

            using var health = await before.Server.CreateClient().GetAsync("/health/ready");
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await health.Content.ReadAsStringAsync(), Is.EqualTo("Degraded"));
            Assert.That(File.ReadAllLines(Path.Combine(spool, "call-log.spool")), Has.Length.GreaterThanOrEqualTo(8),
                "the call's writes wait in the spool on disk");
        }

        // A new process over the same spool folder, then the database comes back: the spool is written first.
        (await SpoolFolder.OpenWhenReleasedAsync(spool)).Dispose();
        await using var after = new AcdHarness(settings: Settings(postgres, spool));
        after.Server.CreateClient().Dispose();
        await postgres.StartServerAsync();

        var log = after.Server.Services.GetRequiredService<ICallEventLog>();
        await WaitUntilAsync(() => !log.IsSpooling, TimeSpan.FromSeconds(30));
        var events = await after.EventsOfAsync(callSid);
        Assert.Multiple(() =>
        {
            Assert.That(string.Join(", ", events.Select(e => e.Type)), Is.EqualTo(
                "call.incoming, ivr.entered, ivr.language_chosen, ivr.menu_choice, ivr.agent_requested, ivr.queued, acd.queued, acd.offered, acd.answered, call.conference, acd.completed, call.status"));
            Assert.That(events.Select(e => e.CallSeq), Is.EqualTo(Enumerable.Range(1, events.Count)));
            Assert.That(events.Select(e => e.GlobalSeq), Is.Ordered.Ascending);
            Assert.That(events.Select(e => e.OccurredAt), Is.Ordered.Ascending);
            Assert.That(events.Select(e => e.StepKey), Is.Unique);
        });
        await using var scope = after.Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var row = await db.Calls.AsNoTracking().SingleAsync(c => c.CallSid == callSid);
        Assert.That((row.Status, row.DurationSeconds), Is.EqualTo(("completed", (int?)73)));
        var chain = await CallEventChainAudit.VerifyAsync(scope.ServiceProvider.GetRequiredService<NpgsqlDataSource>(), CancellationToken.None);
        Assert.That(chain.FirstViolation, Is.Null);
        Assert.That(File.ReadAllBytes(Path.Combine(spool, "call-log.spool")), Is.Empty, "a drained spool starts over empty");
        using var healthy = await after.Server.CreateClient().GetAsync("/health/ready");
        Assert.That(await healthy.Content.ReadAsStringAsync(), Is.EqualTo("Healthy"));
        Directory.Delete(spool, recursive: true);
    }

    [Test]
    public async Task A_staff_api_that_reads_the_database_answers_503_problem_details_with_Retry_After_while_postgresql_is_down()
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        var spool = Directory.CreateTempSubdirectory("cc-spool-test-").FullName;
        await using var h = new AcdHarness(settings: Settings(postgres, spool));
        using var supervisor = await AgentConsole.SignInAsync(h.Server.CreateClient(), await h.Server.Services.CreateStaffAsync(StaffRole.Supervisor));
        using (var before = await supervisor.Http.GetAsync("/api/callbacks")) Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        await postgres.StopServerAsync();
        using var during = await supervisor.Http.GetAsync("/api/callbacks");
        var body = await during.Content.ReadAsStringAsync();
        using var health = await h.Server.CreateClient().GetAsync("/health/ready");
        var readiness = await health.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That(during.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), body);
            Assert.That(during.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(during.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(body, Does.Contain("Temporarily unavailable").And.Contain("PostgreSQL did not answer in time"));
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(readiness, Is.EqualTo("Degraded"));
        });
        Directory.Delete(spool, recursive: true);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Not reached within {limit.TotalSeconds} s.");
            await Task.Delay(100);
        }
    }
}
