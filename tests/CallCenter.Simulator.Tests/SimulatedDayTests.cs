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

    /// <summary>The real server on Kestrel with a 30× clock, pointed at the simulator's Twilio stand-in; an administrator to seed agents.</summary>
    private sealed class SimulatedServer : IAsyncDisposable
    {
        private readonly TestDatabase _database;
        private readonly CallCenterServerFactory _base;
        private readonly IAsyncDisposable _server;

        private SimulatedServer(TestDatabase database, TwilioStandIn standIn, CallCenterServerFactory root, IAsyncDisposable server,
            IServiceProvider services, DayConnection connection)
        {
            (_database, StandIn, _base, _server, Services, Connection) = (database, standIn, root, server, services, connection);
        }

        public TwilioStandIn StandIn { get; }
        public IServiceProvider Services { get; }
        public DayConnection Connection { get; }

        public static async Task<SimulatedServer> StartAsync(CancellationToken ct)
        {
            await TestInfrastructure.EnsureReachableAsync();
            var database = await TestDatabase.CreateAsync("simday");
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
            var standIn = await DayRun.StartStandInAsync(connection, ct);
            var root = new CallCenterServerFactory(database);
            var server = root.WithWebHostBuilder(web =>
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
            return new SimulatedServer(database, standIn, root, server, server.Services, connection with
            {
                ServerUrl = new Uri(address), AdminWorkNumber = admin, AdminTotpSecret = CallCenter.Core.Security.Base32.Encode(StaffBuilder.TotpSecret),
            });
        }

        public Task<DayResult> RunAsync(DayScenario scenario, CancellationToken ct) =>
            new DayRun(Connection, scenario, TextWriter.Null).RunAsync(StandIn, ct);

        public async ValueTask DisposeAsync()
        {
            await _server.DisposeAsync();
            await _base.DisposeAsync();
            await StandIn.DisposeAsync();
            await _database.DisposeAsync();
        }
    }

    [Test]
    [CancelAfter(240_000)]
    public async Task A_simulated_MMN_hour_queues_like_an_ideal_FIFO_queue_and_within_the_spread_of_Erlang_C_runs(CancellationToken ct)
    {
        await using var sim = await SimulatedServer.StartAsync(ct);
        var scenario = new DayScenario
        {
            Duration = TimeSpan.FromHours(1), ClockRate = ClockRate, CallsPerHour = 200, MeanHandleTime = TimeSpan.FromSeconds(180), Agents = 14,
            AgentPrefix = "S" + StaffBuilder.NewWorkNumber()[1..5], Seed = 7,
        };

        var result = await sim.RunAsync(scenario, ct);

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
        await using var scope = sim.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        var wrapUps = await db.CallEvents.AsNoTracking().Where(e => e.Type == "agent.wrap_up").Select(e => e.Payload).ToListAsync(ct);
        Assert.That(wrapUps, Has.Count.EqualTo(answered));
        Assert.That(wrapUps, Has.Some.Contains("\"resolved\":true").And.Some.Contains("\"resolved\":false"));
    }

    [Test]
    [CancelAfter(240_000)]
    public async Task Unresolved_callers_call_again_agents_take_breaks_and_the_servers_FCR_matches_the_simulators(CancellationToken ct)
    {
        await using var sim = await SimulatedServer.StartAsync(ct);
        var scenario = new DayScenario
        {
            Duration = TimeSpan.FromMinutes(40), ClockRate = ClockRate, CallsPerHour = 120, MeanHandleTime = TimeSpan.FromSeconds(90), Agents = 6,
            ResolvedShare = 0.5, RepeatShare = 1, MeanRepeatDelay = TimeSpan.FromMinutes(3),
            MeanBreakInterval = TimeSpan.FromMinutes(10), BreakLength = TimeSpan.FromMinutes(2),
            AgentPrefix = "R" + StaffBuilder.NewWorkNumber()[1..5], Seed = 11,
        };

        var result = await sim.RunAsync(scenario, ct);

        TestContext.Out.WriteLine(DayReport.Json(result with { Samples = [] }));
        var fcr = result.FirstCallResolution;
        Assert.Multiple(() =>
        {
            Assert.That(result.Failed, Is.Zero, "calls the server failed");
            Assert.That(result.WebhookErrors, Is.Zero, "webhook or agent API errors");
            Assert.That(fcr.RepeatCalls, Is.GreaterThan(0), "unresolved callers called again");
            Assert.That(fcr.Needs, Is.GreaterThan(20));
            Assert.That(result.Server.FirstCallResolution?.Needs, Is.EqualTo(fcr.Needs), "the server counts every wrapped-up call as a need");
            Assert.That(result.Server.FirstCallResolution?.ResolvedFirstTime, Is.EqualTo(fcr.Resolved), "resolved needs: only unresolved ones were repeated");
            Assert.That(result.Breaks, Is.GreaterThan(0), "agents took breaks of their own");
        });

        await using var scope = sim.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        // Each repeat came from the number of an earlier call its agent left unresolved.
        var calls = await db.Calls.AsNoTracking().Select(c => new { c.CallSid, c.FromNumber, c.StartedAt }).ToListAsync(ct);
        var wrapUps = await db.CallEvents.AsNoTracking().Where(e => e.Type == "agent.wrap_up").ToDictionaryAsync(e => e.CallSid, e => e.Payload, ct);
        var callers = calls.GroupBy(c => c.FromNumber).Select(g => g.OrderBy(c => c.StartedAt).ToList()).ToList();
        Assert.That(callers.Sum(c => c.Count - 1), Is.EqualTo(fcr.RepeatCalls), "calls from a number already heard today");
        foreach (var earlier in callers.SelectMany(c => c.SkipLast(1)))
            Assert.That(wrapUps.GetValueOrDefault(earlier.CallSid), Does.Contain("\"resolved\":false"), "only unresolved calls are repeated");
        var agentChanges = await db.CallEvents.AsNoTracking()
            .Where(e => e.Type == "agent.state_changed" && e.CallSid.StartsWith("agent:" + scenario.AgentPrefix))
            .OrderBy(e => e.CallSid).ThenBy(e => e.CallSeq).Select(e => new { e.CallSid, e.Payload }).ToListAsync(ct);
        var ownBreaks = agentChanges.Where(e => e.Payload.Contains("\"breakReason\":\"rest\"", StringComparison.Ordinal)).ToList();
        Assert.That(ownBreaks, Has.Count.EqualTo(result.Breaks), "every break the agents took is in the call log with its reason");
        foreach (var brk in ownBreaks)
        {
            var stream = agentChanges.Where(e => e.CallSid == brk.CallSid).ToList();
            var next = stream.SkipWhile(e => !ReferenceEquals(e, brk)).Skip(1).FirstOrDefault();
            // Nothing was offered during the break: it ended with the agent available again, or signed out at the end of the day.
            Assert.That(next?.Payload, Does.Contain("\"from\":\"Break\",\"to\":\"Available\"").Or.Contain("\"from\":\"Break\",\"to\":\"Offline\""));
        }
    }
}
