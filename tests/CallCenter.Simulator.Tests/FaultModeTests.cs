using System.Diagnostics;
using System.Globalization;
using CallCenter.Core.Security;
using CallCenter.Core.Simulation;
using CallCenter.Server.Backup;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Simulator.Day;
using CallCenter.Simulator.Fault;
using CallCenter.Testing;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Simulator.Tests;

/// <summary>
/// Fault mode end to end: two real server processes (the built server, as in production) behind the simulator's load
/// balancer, sharing a private PostgreSQL and a private Redis (append-only file, so a restart keeps the shared ACD state).
/// During an accelerated half hour one instance is killed (SIGKILL) and started again, Redis is killed and restarted, and
/// PostgreSQL is stopped for minutes; then every call the simulator placed is reconciled with the call log.
/// </summary>
public sealed class FaultModeTests
{
    private const double ClockRate = 20;
    private static readonly DateTimeOffset MondayMorning = new(2026, 11, 30, 1, 0, 0, TimeSpan.Zero); // 09:00 in Shanghai: open

    [Test]
    [CancelAfter(300_000)]
    public async Task A_run_with_a_killed_instance_a_restarted_redis_and_a_stopped_postgresql_loses_and_duplicates_no_call(CancellationToken ct)
    {
        await using var postgres = await PrivatePostgres.StartAsync();
        await using var redis = await PrivateRedis.StartAsync(persistent: true);
        var connection = new DayConnection
        {
            ServerUrl = LoadBalancer.VirtualAddress,
            PublicUrl = new Uri("https://hotline.bank.test"),
            AuthToken = "fault-run-auth-token-0123456789ab",
            AccountSid = "AC0123456789abcdef0123456789abcdef",
            StandInPort = 0,
            AdminWorkNumber = "",
            AdminPassword = StaffBuilder.Password,
            AgentPassword = "Simulated-agent-42",
        };
        await using var standIn = await DayRun.StartStandInAsync(connection, ct);
        await using var servers = new ServerProcesses(postgres, redis, standIn, connection, instances: 2);
        await servers.StartAllAsync(ct);
        var admin = await servers.CreateAdminAsync();
        using var balancer = new LoadBalancer(servers.Urls);
        connection = connection with
        {
            AdminWorkNumber = admin, AdminTotpSecret = Base32.Encode(StaffBuilder.TotpSecret), Balancer = balancer, Instances = servers.Urls,
        };
        var scenario = new DayScenario
        {
            Duration = TimeSpan.FromMinutes(30), ClockRate = ClockRate, CallsPerHour = 150, MeanHandleTime = TimeSpan.FromSeconds(90), Agents = 6,
            MeanPatience = TimeSpan.FromMinutes(4), MeanWrapUp = TimeSpan.FromSeconds(10),
            Menu = [new MenuPath("agent", ["0"], 3), new MenuPath("cards", ["1", "1", "3", "1"], 1)],
            AgentPrefix = "F" + StaffBuilder.NewWorkNumber()[1..5], Seed = 5,
        };
        ScheduledFault[] faults =
        [
            ScheduledFault.Parse("kill-server#1@6m:1m"),
            ScheduledFault.Parse("restart-redis@13m"),
            ScheduledFault.Parse("stop-postgres@19m:3m"),
        ];

        var result = await new FaultRun(connection, scenario, faults, servers, postgres.ConnectionString, TextWriter.Null)
        {
            ReconcileWithin = TimeSpan.FromSeconds(60),
        }.RunAsync(standIn, ct);

        var report = result.Faults!;
        var reconciliation = report.Reconciliation;
        DayReport.WriteTable(result, TestContext.Out);
        DayReport.WriteFaults(report, TestContext.Out);
        Assert.Multiple(() =>
        {
            Assert.That(report.Faults.Select(f => f.Fault), Is.EqualTo(faults.Select(f => f.ToString())), "every fault was carried out");
            Assert.That(reconciliation.Lost, Is.Empty, "calls or events lost");
            Assert.That(reconciliation.Duplicated, Is.Empty, "events duplicated");
            Assert.That(reconciliation.Mismatched, Is.Empty, "end states that are not what the simulator saw");
            Assert.That(reconciliation.ChainViolation, Is.Null, "the call log's hash chain");
            Assert.That(reconciliation.CallsChecked - reconciliation.CallsAtFallback, Is.GreaterThan(40), "calls the server took, all reconciled");
            Assert.That(result.Simulator.Answered, Is.GreaterThan(25), "calls answered by agents");
            // The faults did happen and the system rode them out: requests went to the other instance while one was dead,
            // the killed instance did not answer readiness for a while, and PostgreSQL's writes waited in the spools.
            Assert.That(report.Failovers, Is.GreaterThan(0), "requests failed over to the other instance");
            Assert.That(report.Readiness[0].Down, Is.GreaterThan(0), "the killed instance was down");
            Assert.That(report.Readiness.Sum(r => r.Degraded), Is.GreaterThan(0), "instances ran degraded while PostgreSQL was away");
            Assert.That(servers.SpooledWrites(), Is.GreaterThan(0), "call-log writes spooled while PostgreSQL was away");
        });
    }

    /// <summary>The built server as child processes on fixed ports, each with its own spool folder; killed and started by the fault hooks.</summary>
    private sealed class ServerProcesses : IFaultHooks, IAsyncDisposable
    {
        private readonly PrivatePostgres _postgres;
        private readonly PrivateRedis _redis;
        private readonly Dictionary<string, string> _environment;
        private readonly Process?[] _processes;
        private readonly string _work = Directory.CreateTempSubdirectory("cc-fault-run-").FullName;
        private readonly DateTimeOffset _clockStartedAt = DateTimeOffset.UtcNow;
        private readonly Lock _logLock = new();

        public ServerProcesses(PrivatePostgres postgres, PrivateRedis redis, TwilioStandIn standIn, DayConnection connection, int instances)
        {
            (_postgres, _redis) = (postgres, redis);
            _processes = new Process?[instances];
            Urls = [.. Enumerable.Range(0, instances).Select(_ => new Uri($"http://127.0.0.1:{PostgresTools.FreePort().ToString(CultureInfo.InvariantCulture)}"))];
            _environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Testing",
                ["ConnectionStrings__Postgres"] = postgres.ConnectionString,
                ["ConnectionStrings__Redis"] = redis.ConnectionString,
                ["Twilio__AuthToken"] = connection.AuthToken,
                ["Twilio__PublicBaseUrl"] = connection.PublicUrl.ToString(),
                ["Twilio__ApiBaseUrl"] = standIn.BaseUrl.ToString(),
                ["Twilio__AccountSid"] = connection.AccountSid,
                ["Twilio__FallbackNumber"] = "+861095588",
                ["Acd__Store"] = "Redis",
                ["Acd__RedisKeyPrefix"] = "acd-" + Guid.NewGuid().ToString("N"),
                ["Ivr__StateKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                ["Degraded__DrainEvery"] = "00:00:00.5",
                // One simulated clock for every instance and every restart: the same start, anchored to the same real instant.
                ["Simulation__ClockRate"] = ClockRate.ToString(CultureInfo.InvariantCulture),
                ["Simulation__StartAt"] = MondayMorning.ToString("o"),
                ["Simulation__StartedAt"] = _clockStartedAt.ToString("o"),
                ["Database__MigrateOnStartup"] = "false",
                ["Prompts__Engine"] = "none",
                ["Archive__RunWorkers"] = "false",
                ["Complaints__RunWorkers"] = "false",
                ["Callbacks__RunWorkers"] = "false",
                ["RateLimits__LoginPermits"] = "100000",
                ["RateLimits__WebhookRefusals"] = "100000",
                ["Logging__LogLevel__Default"] = "Warning",
            };
        }

        public IReadOnlyList<Uri> Urls { get; }

        public async Task StartAllAsync(CancellationToken ct) => await Task.WhenAll(Enumerable.Range(1, _processes.Length).Select(i => StartServerAsync(i, ct)));

        /// <summary>An administrator with the test authenticator, written straight to the database before the run.</summary>
        public async Task<string> CreateAdminAsync()
        {
            var services = new ServiceCollection();
            services.AddSingleton(DataExtensions.CreateDataSource(_postgres.ConnectionString));
            services.AddDbContext<CallCenterDbContext>((sp, o) => DataExtensions.Configure(o, sp.GetRequiredService<Npgsql.NpgsqlDataSource>()));
            services.AddSingleton<IPasswordHasher<StaffMember>, PasswordHasher<StaffMember>>();
            services.AddSingleton<TimeProvider>(new ScaledTimeProvider(TimeProvider.System, ClockRate, MondayMorning + (DateTimeOffset.UtcNow - _clockStartedAt) * ClockRate));
            await using var provider = services.BuildServiceProvider();
            return await provider.CreateStaffAsync(StaffRole.Admin);
        }

        /// <summary>Call-log writes the instances put in their spools ("… they are spooled until it answers again" in their logs).</summary>
        public int SpooledWrites()
        {
            lock (_logLock)
            {
                return Directory.GetFiles(_work, "server-*.log")
                    .Sum(f => File.ReadLines(f).Count(l => l.Contains("they are spooled until it answers again", StringComparison.Ordinal)));
            }
        }

        public async Task StartServerAsync(int instance, CancellationToken ct)
        {
            var root = TestInfrastructure.RepositoryRoot;
            var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!); // bin/<configuration>/net10.0
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = Path.Combine(root, "src", "CallCenter.Server"),
                UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            start.ArgumentList.Add(Path.Combine(root, "src", "CallCenter.Server", "bin", configuration, "net10.0", "CallCenter.Server.dll"));
            foreach (var (key, value) in _environment) start.Environment[key] = value;
            start.Environment["Urls"] = Urls[instance - 1].ToString();
            // The same folder after a restart: the new process drains what the killed one left.
            start.Environment["Degraded__SpoolDirectory"] = Path.Combine(_work, $"spool-{instance}");
            var log = Path.Combine(_work, $"server-{instance}.log");
            var process = Process.Start(start) ?? throw new InvalidOperationException("The server did not start.");
            // Warnings and errors only: a few lines, appended as they come (a killed process's last ones included).
            void Write(object? sender, DataReceivedEventArgs e)
            {
                if (e.Data is { } line) lock (_logLock) File.AppendAllText(log, line + Environment.NewLine);
            }
            process.OutputDataReceived += Write;
            process.ErrorDataReceived += Write;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _processes[instance - 1] = process;
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (true)
            {
                if (process.HasExited)
                {
                    // Without a timeout this also waits for the redirected output to be read, so the log holds why it ended.
                    await process.WaitForExitAsync(CancellationToken.None);
                    throw new InvalidOperationException($"Server {instance} exited with code {process.ExitCode}: see {_work}/server-{instance}.log");
                }
                try
                {
                    using var live = await probe.GetAsync(new Uri(Urls[instance - 1], "/health/live"), ct);
                    if (live.IsSuccessStatusCode) return;
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException) when (!ct.IsCancellationRequested)
                {
                }
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"Server {instance} did not come up within 90 s.");
                await Task.Delay(200, ct);
            }
        }

        public async Task KillServerAsync(int instance, CancellationToken ct)
        {
            var process = _processes[instance - 1] ?? throw new InvalidOperationException($"Server {instance} is not running.");
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(ct);
            process.Dispose();
            _processes[instance - 1] = null;
        }

        public Task StopRedisAsync(CancellationToken ct) => _redis.StopServerAsync();
        public Task StartRedisAsync(CancellationToken ct) => _redis.StartServerAsync();
        public Task StopPostgresAsync(CancellationToken ct) => _postgres.StopServerAsync();
        public Task StartPostgresAsync(CancellationToken ct) => _postgres.StartServerAsync();

        public async ValueTask DisposeAsync()
        {
            for (var i = 0; i < _processes.Length; i++)
            {
                if (_processes[i] is { } process)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                    process.Dispose();
                }
            }
            TestContext.Out.WriteLine($"Server logs: {_work}");
        }
    }
}
