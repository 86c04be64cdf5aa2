using CallCenter.Core.Simulation;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using CallCenter.Simulator.Day;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Simulator.Tests;

/// <summary>
/// An M/M/N hour (10 Erlangs, AHT 180 s, 14 agents) through the real server on an accelerated clock, judged twice:
/// loosely against Erlang C, within the spread that one-hour runs of the model itself show (measured, not assumed:
/// waits are strongly correlated, so standard errors of independent calls are far too tight), and sharply against
/// an ideal first-come-first-served queue fed this run's own calls. That the ideal queue meets Erlang C is proved
/// over 2,000 hours in the Core tests (IdealQueueingTests).
/// </summary>
public sealed class SimulatedDayTests
{
    // 30× keeps a real scheduling delay of 10 ms at 0.3 simulated seconds; faster runs drift on a busy machine.
    private const double ClockRate = 30;
    private static readonly DateTimeOffset MondayMorning = new(2026, 11, 30, 0, 30, 0, TimeSpan.Zero); // 08:30 in Shanghai: open

    [Test]
    [CancelAfter(240_000)]
    public async Task A_simulated_MMN_hour_queues_like_an_ideal_FIFO_queue_and_within_the_spread_of_Erlang_C_runs(CancellationToken ct)
    {
        await TestInfrastructure.EnsureReachableAsync();
        await using var database = await TestDatabase.CreateAsync("simday");
        var connection = new DayConnection
        {
            ServerUrl = new Uri("http://127.0.0.1"), // replaced once Kestrel has a port
            PublicUrl = CallCenterServerFactory.PublicBaseUrl,
            AuthToken = CallCenterServerFactory.AuthToken,
            AccountSid = "AC0123456789abcdef0123456789abcdef",
            StandInPort = 0,
            AdminWorkNumber = "",
            AdminPassword = StaffBuilder.Password,
            AgentPassword = "Simulated-agent-42",
        };
        await using var standIn = await DayRun.StartStandInAsync(connection, ct);
        await using var baseServer = new CallCenterServerFactory(database);
        await using var server = baseServer.WithWebHostBuilder(web =>
        {
            web.UseSetting("Twilio:ApiBaseUrl", standIn.BaseUrl.ToString());
            web.UseSetting("Twilio:AccountSid", connection.AccountSid);
            // Information logs of every request cost more CPU than the calls themselves; an accelerated day needs it.
            web.UseSetting("Logging:LogLevel:Default", "Warning");
            web.UseSetting("Simulation:ClockRate", ClockRate.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // The shared factory fixes the clock for step-by-step tests; this one runs the real clock, faster.
            web.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(new ScaledTimeProvider(TimeProvider.System, ClockRate, MondayMorning)));
        });
        server.UseKestrel(0);
        server.StartServer();
        var address = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var admin = await server.Services.CreateStaffAsync(StaffRole.Admin);
        var scenario = new DayScenario
        {
            Duration = TimeSpan.FromHours(1), ClockRate = ClockRate, CallsPerHour = 200, MeanHandleTime = TimeSpan.FromSeconds(180), Agents = 14,
            AgentPrefix = "S" + StaffBuilder.NewWorkNumber()[1..5], Seed = 7,
        };

        var result = await new DayRun(connection with { ServerUrl = new Uri(address), AdminWorkNumber = admin }, scenario, TextWriter.Null).RunAsync(standIn, ct);

        var answered = result.Simulator.Answered;
        var ideal = result.Ideal!;
        // The tolerance against Erlang C derived from the run's length: the band holding all but 1 in 10,000 of
        // 10,000 seeded one-hour M/M/N runs that start empty, as this one does. It is wide (one hour of correlated
        // waits says little); the ideal-queue comparison below is the sharp check.
        var spread = IdealQueueing.MmnRuns(scenario.Agents, scenario.CallsPerHour, scenario.MeanHandleTime, scenario.Duration,
            scenario.ServiceLevelThreshold, runs: 10_000, seed: 1);
        var (slLow, slHigh) = spread.ServiceLevel(0.9998);
        var (asaLow, asaHigh) = spread.AverageSpeedOfAnswer(0.9998);
        TestContext.Out.WriteLine(DayReport.Json(result with { Samples = [] }));
        Assert.Multiple(() =>
        {
            Assert.That(result.Failed, Is.Zero, "calls the server failed");
            Assert.That(result.WebhookErrors, Is.Zero, "webhook or agent API errors");
            Assert.That(answered, Is.GreaterThan(140), "calls answered in a simulated hour at 200 an hour");
            Assert.That(result.Server.Totals.Offered, Is.EqualTo(result.Simulator.Offered), "the server counts every queued call the simulator placed");
            Assert.That(result.Server.Totals.Answered, Is.EqualTo(answered));
            Assert.That(ideal.Calls, Is.EqualTo(answered), "every answered call is in the ideal replay");
            // The ACD against an ideal FIFO queue fed the same calls: beyond the system's own latency (what a call
            // that finds a free agent waits: a few hundred ms of real time, stretched 30× and more on a busy machine),
            // a queue that let agents idle or served out of order adds whole seconds per waiting call.
            Assert.That(result.Simulator.AverageSpeedOfAnswer, Is.EqualTo(ideal.AverageSpeedOfAnswer).Within(1 + ideal.ImmediateLatency),
                "ASA vs the ideal queue (s)");
            Assert.That(result.Simulator.ServiceLevel, Is.EqualTo(ideal.ServiceLevel).Within(0.05), "service level vs the ideal queue");
            Assert.That(result.Server.Totals.ServiceLevel, Is.InRange(slLow, slHigh), "server's service level within the spread of one-hour M/M/N runs");
            Assert.That(result.Server.Totals.AverageSpeedOfAnswer, Is.InRange(asaLow, asaHigh), "server's ASA within the spread of one-hour M/M/N runs");
            // The server's rollups say what the callers lived through; the two clocks of a wait differ by the same latency.
            Assert.That(result.Server.Totals.ServiceLevel, Is.EqualTo(result.Simulator.ServiceLevel).Within(0.03), "server's service level vs the simulator's");
            Assert.That(result.Server.Totals.AverageSpeedOfAnswer, Is.EqualTo(result.Simulator.AverageSpeedOfAnswer).Within(1 + ideal.ImmediateLatency),
                "server's ASA vs the simulator's (s)");
        });

        // Every answered call was wrapped up with a disposition and the resolved flag.
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var wrapUps = await db.CallEvents.AsNoTracking().Where(e => e.Type == "agent.wrap_up").Select(e => e.Payload).ToListAsync(ct);
        Assert.That(wrapUps, Has.Count.EqualTo(answered));
        Assert.That(wrapUps, Has.Some.Contains("\"resolved\":true").And.Some.Contains("\"resolved\":false"));
    }
}
