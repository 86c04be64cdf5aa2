using System.Diagnostics;
using System.Net.Http.Json;
using CallCenter.Core.Metrics;
using CallCenter.Server.Metrics;
using CallCenter.Server.Simulation;

namespace CallCenter.Simulator.Day;

/// <summary>Where the server is and how the simulator gets in: Twilio's secrets and an administrator for seeding agents.</summary>
public sealed record DayConnection
{
    public required Uri ServerUrl { get; init; }

    /// <summary>The URL the server signs against (Twilio:PublicBaseUrl).</summary>
    public required Uri PublicUrl { get; init; }

    public required string AuthToken { get; init; }

    /// <summary>The server's Twilio:AccountSid: the stand-in accepts REST calls for this account only.</summary>
    public required string AccountSid { get; init; }

    /// <summary>Port of the Twilio REST stand-in (the server's Twilio:ApiBaseUrl); 0 = any free port (tests).</summary>
    public int StandInPort { get; init; } = 5099;

    public required string AdminWorkNumber { get; init; }
    public required string AdminPassword { get; init; }

    /// <summary>The administrator's initial password, when the simulator must make their first change.</summary>
    public string? AdminInitialPassword { get; init; }

    /// <summary>Base32 TOTP secret of the administrator's authenticator (supervisors and administrators sign in with a code).</summary>
    public string? AdminTotpSecret { get; init; }

    public required string AgentPassword { get; init; }

    /// <summary>
    /// Several server instances behind a load balancer (fault mode): every request goes through it and <see cref="ServerUrl"/>
    /// is <see cref="Fault.LoadBalancer.VirtualAddress"/>; null = one server at <see cref="ServerUrl"/>.
    /// </summary>
    public Fault.LoadBalancer? Balancer { get; init; }

    /// <summary>The instances behind <see cref="Balancer"/>: each agent's console holds its hub connection to one of them.</summary>
    public IReadOnlyList<Uri> Instances { get; init; } = [];

    /// <summary>Signs a staff member in, through the balancer when there is one.</summary>
    public Task<StaffSession> SignInAsync(string workNumber, string password, string? initialPassword, CancellationToken ct, string? totpSecret = null) =>
        StaffSession.SignInAsync(ServerUrl, workNumber, password, initialPassword, ct, totpSecret, Balancer);

    /// <summary>An HTTP client to the server (through the balancer when there is one, which it does not own).</summary>
    public HttpClient CreateClient()
    {
        var client = Balancer is null ? new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) : new HttpClient(Balancer, disposeHandler: false);
        client.BaseAddress = ServerUrl;
        client.Timeout = TimeSpan.FromSeconds(30);
        return client;
    }
}

/// <summary>
/// A simulated day against a running server: seeds and logs in the agents, places Poisson calls for the
/// scenario's duration, lets every call finish, then reads the server's own figures for the same period.
/// </summary>
public sealed class DayRun(DayConnection connection, DayScenario scenario, TextWriter progress)
{
    /// <summary>The stand-in, once started; tests start it first to point the server at it.</summary>
    public static Task<TwilioStandIn> StartStandInAsync(DayConnection connection, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return TwilioStandIn.StartAsync(connection.StandInPort, connection.AccountSid, connection.AuthToken, ct);
    }

    /// <summary>Every call and live counter of the run, as the simulator saw them (fault mode reconciles the calls afterwards).</summary>
    public DayObservations Observations { get; } = new();

    /// <summary>Runs beside the day from its first simulated second (fault mode's schedule); the day ends only after it.</summary>
    public Func<SimulationClock, CancellationToken, Task>? AlongsideDay { get; init; }

    public async Task<DayResult> RunAsync(TwilioStandIn standIn, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(standIn);
        var random = new Distributions(scenario.Seed);
        var observations = Observations;
        using var admin = await connection.SignInAsync(connection.AdminWorkNumber, connection.AdminPassword, connection.AdminInitialPassword, ct,
            connection.AdminTotpSecret);
        var serverClock = await admin.Http.GetFromJsonAsync<SimulationClockInfo>("/api/simulation/clock", DayJson.Options, ct)
            ?? throw new InvalidOperationException("The server did not tell its clock.");
        if (Math.Abs(serverClock.Rate - scenario.ClockRate) > 1e-9)
            throw new InvalidOperationException($"The server's clock runs at {serverClock.Rate}× but the scenario at {scenario.ClockRate}×: start the server with Simulation__ClockRate={scenario.ClockRate}.");

        // One clock for callers and agents, so every time on a call record counts from the same start.
        var clock = new SimulationClock(scenario.ClockRate);
        var agents = await Staffing.SeedAsync(admin, connection, scenario, standIn, clock, observations, random, ct);
        using var http = connection.CreateClient();
        var twilio = new TwilioWebhooks(http, connection.PublicUrl, connection.AuthToken, connection.AccountSid);
        // The day starts now that every agent is logged in: the server's time marks the start of its report period.
        clock.Restart();
        var serverStart = await ServerNowAsync(admin, ct);
        var alongside = AlongsideDay?.Invoke(clock, ct) ?? Task.CompletedTask;

        using var stopAgents = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var agentLoops = agents.Select(a => a.RunAsync(stopAgents.Token)).ToList();
        var callers = new List<Task>();
        var callersLock = new Lock();
        void Add(Task caller)
        {
            lock (callersLock) callers.Add(caller);
        }
        // Agents tell of unresolved wrap-ups while the day runs; some of those callers call again later about the same need.
        observations.UnresolvedWrappedUp = first =>
        {
            if (!random.Chance(scenario.RepeatShare)) return;
            var delay = random.Exponential(scenario.MeanRepeatDelay);
            if (clock.Elapsed + delay >= scenario.Duration) return;
            Add(RepeatAsync(first, delay));
        };
        async Task RepeatAsync(SimulatedCallRecord first, TimeSpan delay)
        {
            await clock.Delay(delay, ct);
            await new SimulatedCaller(twilio, standIn, clock, observations, random, scenario).RunAsync(ct, first);
        }
        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampling = SampleAsync(clock, observations, stopSampling.Token);
        var reporting = ProgressAsync(clock, observations, stopSampling.Token);
        try
        {
            // Poisson arrivals: exponential gaps at the rate of the current simulated hour.
            var next = random.Exponential(TimeSpan.FromHours(1 / scenario.RateAt(TimeSpan.Zero)));
            while (next < scenario.Duration)
            {
                await clock.Delay(next - clock.Elapsed, ct);
                // How late the arrival is against its schedule: a busy machine bunches arrivals, which a valid run must not.
                observations.ArrivalLate(clock.Elapsed - next);
                Add(new SimulatedCaller(twilio, standIn, clock, observations, random, scenario).RunAsync(ct));
                next += random.Exponential(TimeSpan.FromHours(1 / scenario.RateAt(next)));
            }
            await alongside;
            // Every placed call runs to its end: the day closes when the last caller hangs up and the last wrap-up is in.
            // A wrap-up may place a repeat call, so wait again until a round adds no caller.
            while (true)
            {
                Task[] placed;
                lock (callersLock) placed = [.. callers];
                await Task.WhenAll(placed);
                // A caller's part ends at the hang-up; the agent's ends with the wrap-up, which the day's figures include.
                var grace = Stopwatch.StartNew();
                while (agents.Any(a => a.Busy) && grace.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50, ct);
                lock (callersLock)
                {
                    if (callers.Count == placed.Length) break;
                }
            }
        }
        finally
        {
            await stopAgents.CancelAsync();
            await Task.WhenAll(agentLoops);
            foreach (var agent in agents) await agent.DisposeAsync();
            await stopSampling.CancelAsync();
            await Task.WhenAll(sampling, reporting);
            progress.WriteLine();
        }

        // A fresh session: the administrator's may have expired during a long simulated day (staff sessions follow the server's clock).
        using var reader = await connection.SignInAsync(connection.AdminWorkNumber, connection.AdminPassword, null, ct, connection.AdminTotpSecret);
        var server = await ServerFiguresAsync(reader, serverStart, clock, ct);
        server = server with { FirstCallResolution = await reader.Http.GetFromJsonAsync<FcrFigure>(FormattableString.Invariant(
            $"/api/metrics/fcr?from={Uri.EscapeDataString(serverStart.ToString("o"))}&to={Uri.EscapeDataString((await ServerNowAsync(reader, ct)).ToString("o"))}"), DayJson.Options, ct) };
        return DayResult.From(scenario, observations, server, standIn.Counts, clock.Elapsed);
    }

    private static async Task<DateTimeOffset> ServerNowAsync(StaffSession session, CancellationToken ct) =>
        (await session.Http.GetFromJsonAsync<SimulationClockInfo>("/api/simulation/clock", DayJson.Options, ct))!.Now;

    private static async Task SampleAsync(SimulationClock clock, DayObservations observations, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                observations.Sample(clock.Elapsed);
                await clock.Delay(TimeSpan.FromMinutes(1), ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ProgressAsync(SimulationClock clock, DayObservations observations, CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                progress.Write("\r" + DayReport.ProgressLine(scenario, observations, clock.Elapsed));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // The server's rollups for the run's period, once its metrics worker has folded in the last call's events.
    private static async Task<ServerFigures> ServerFiguresAsync(StaffSession admin, DateTimeOffset serverStart, SimulationClock clock, CancellationToken ct)
    {
        var from = Floor(serverStart);
        var to = Floor(await ServerNowAsync(admin, ct)) + TimeSpan.FromMinutes(15);
        List<QueueIntervalRollup> rows = [];
        // The worker runs every 15 simulated seconds by default; give it a few runs to catch up.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            await clock.Delay(TimeSpan.FromSeconds(20), ct);
            var url = FormattableString.Invariant($"/api/metrics/queues?from={Uri.EscapeDataString(from.ToString("o"))}&to={Uri.EscapeDataString(to.ToString("o"))}");
            var fresh = await admin.Http.GetFromJsonAsync<List<QueueIntervalRollup>>(url, DayJson.Options, ct) ?? [];
            if (attempt > 0 && fresh.Sum(r => r.Offered) == rows.Sum(r => r.Offered) && fresh.Sum(r => r.Answered) == rows.Sum(r => r.Answered))
            {
                rows = fresh;
                break;
            }
            rows = fresh;
        }
        return ServerFigures.Sum(rows, from, to);
    }

    private static DateTimeOffset Floor(DateTimeOffset at) => new(at.UtcTicks - at.UtcTicks % TimeSpan.FromMinutes(15).Ticks, TimeSpan.Zero);
}
