using System.CommandLine;
using System.Globalization;

namespace CallCenter.Simulator.Day;

/// <summary>
/// `callcenter-sim day`: a simulated day of callers and agents against a running server, Twilio played by the
/// simulator (webhooks out, REST stand-in in). The server must run with Twilio:ApiBaseUrl at the stand-in,
/// the same Twilio:AccountSid, and Simulation:ClockRate equal to --clock-rate.
/// </summary>
internal static class DayCommand
{
    public static Command Create()
    {
        var baseUrl = UriOptions.BaseUrl();
        var publicUrl = UriOptions.PublicUrl();
        var token = new Option<string>("--auth-token")
        {
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Twilio__AuthToken") ?? "",
            Description = "Twilio auth token the server checks (default: environment Twilio__AuthToken).",
        };
        var account = new Option<string>("--account-sid")
        {
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Twilio__AccountSid") ?? "AC00000000000000000000000000000001",
            Description = "The server's Twilio:AccountSid (default: environment Twilio__AccountSid).",
        };
        var standInPort = new Option<int>("--twilio-port") { DefaultValueFactory = _ => 5099, Description = "Port of the Twilio REST stand-in (the server's Twilio:ApiBaseUrl)." };
        var admin = new Option<string>("--admin")
        {
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CALLCENTER_SIM_ADMIN") ?? "",
            Description = "Work number of an administrator who creates the simulated agents (default: environment CALLCENTER_SIM_ADMIN).",
        };
        var adminPassword = new Option<string>("--admin-password")
        {
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CALLCENTER_SIM_ADMIN_PASSWORD") ?? "",
            Description = "Their password (default: environment CALLCENTER_SIM_ADMIN_PASSWORD).",
        };
        var adminTotp = new Option<string?>("--admin-totp-secret")
        {
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CALLCENTER_SIM_ADMIN_TOTP_SECRET"),
            Description = "Base32 TOTP secret of the administrator's authenticator; the simulator computes the sign-in code from it (default: environment CALLCENTER_SIM_ADMIN_TOTP_SECRET).",
        };
        var adminInitial = new Option<string?>("--admin-initial-password") { Description = "Their initial password, if the first change is still due: the simulator makes it, to --admin-password." };
        var agentPassword = new Option<string>("--agent-password")
        {
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CALLCENTER_SIM_AGENT_PASSWORD") ?? "Simulated-agent-7",
            Description = "Password of the simulated agents (created on first use).",
        };
        var agentPrefix = new Option<string>("--agent-prefix") { DefaultValueFactory = _ => "SIM", Description = "Work numbers of the simulated agents: prefix + 001, 002, ..." };
        var hours = new Option<double>("--hours") { DefaultValueFactory = _ => 8, Description = "Simulated length of the day." };
        var clockRate = new Option<double>("--clock-rate") { DefaultValueFactory = _ => 1, Description = "Simulated seconds per real second; must equal the server's Simulation:ClockRate." };
        var callsPerHour = new Option<double>("--calls-per-hour") { DefaultValueFactory = _ => 200, Description = "Mean Poisson arrival rate." };
        var profile = new Option<string?>("--profile") { Description = "Time-of-day multipliers of --calls-per-hour, one per simulated hour, e.g. 0.6,1,1.4,1.2 (the last repeats)." };
        var aht = new Option<double>("--aht") { DefaultValueFactory = _ => 180, Description = "Mean handle time in seconds." };
        var ahtDistribution = new Option<HandleTimeDistribution>("--aht-distribution") { DefaultValueFactory = _ => HandleTimeDistribution.Exponential, Description = "Exponential or LogNormal." };
        var agents = new Option<int>("--agents") { DefaultValueFactory = _ => 14, Description = "Simulated agents." };
        var patience = new Option<double?>("--patience") { Description = "Mean patience in the queue in seconds (exponential); default: callers never hang up." };
        var callbacks = new Option<double>("--callback-acceptance") { DefaultValueFactory = _ => 0.7, Description = "Share of callers who leave a callback request when offered one." };
        var resolved = new Option<double>("--resolved") { DefaultValueFactory = _ => 0.85, Description = "Share of calls agents mark resolved." };
        var repeats = new Option<double>("--repeat-share") { DefaultValueFactory = _ => 0, Description = "Share of callers left unresolved who call again about it (same number and menu path)." };
        var repeatDelay = new Option<double>("--repeat-delay") { DefaultValueFactory = _ => 30, Description = "Mean minutes from an unresolved wrap-up to the repeat call (exponential)." };
        var breakEvery = new Option<double?>("--break-every") { Description = "Mean minutes agents work between breaks of their own (exponential); default: no breaks." };
        var breakLength = new Option<double>("--break-length") { DefaultValueFactory = _ => 10, Description = "Minutes a break lasts." };
        var wrapUp = new Option<double>("--wrap-up") { DefaultValueFactory = _ => 0, Description = "Mean wrap-up time in seconds (exponential)." };
        var menu = new Option<string[]>("--menu")
        {
            DefaultValueFactory = _ => ["agent=0:1"],
            Description = "IVR paths callers take, name=keys:weight, repeatable, e.g. --menu agent=0:3 --menu cards=1,1,3,1:1.",
            AllowMultipleArgumentsPerToken = true,
        };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "Seed of every random draw." };
        var json = new Option<FileInfo?>("--json") { Description = "Write the report as JSON here." };
        var html = new Option<FileInfo?>("--html") { Description = "Write the report as HTML with plots here." };
        var servers = new Option<string[]>("--server")
        {
            Description = "Fault mode: a server instance behind the simulator's load balancer, repeatable (replaces --base-url).",
            AllowMultipleArgumentsPerToken = true,
        };
        var faults = new Option<string[]>("--fault")
        {
            Description = "Fault mode: kill-server[#N]@TIME[:DOWN], restart-redis@TIME[:DOWN], stop-postgres@TIME:DOWN (simulated time, e.g. stop-postgres@30m:30s), repeatable.",
            AllowMultipleArgumentsPerToken = true,
        };
        var faultHook = new Option<string?>("--fault-hook") { Description = "Fault mode: executable run as HOOK ACTION [N] (kill-server N, start-server N, stop-redis, start-redis, stop-postgres, start-postgres)." };
        var postgres = new Option<string?>("--postgres")
        {
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ConnectionStrings__Postgres"),
            Description = "Fault mode: the call log's database, read by the reconciliation (default: environment ConnectionStrings__Postgres).",
        };
        var reconcileWithin = new Option<double>("--reconcile-within") { DefaultValueFactory = _ => 120, Description = "Fault mode: longest real seconds to wait for the spools to drain and the call log to reconcile." };
        var command = new Command("day", "A simulated day: Poisson callers through the IVR and queue, agents answering, Twilio played by the simulator; reports simulator, server and Erlang C figures side by side.")
        {
            baseUrl, publicUrl, token, account, standInPort, admin, adminPassword, adminTotp, adminInitial, agentPassword, agentPrefix,
            hours, clockRate, callsPerHour, profile, aht, ahtDistribution, agents, patience, callbacks, resolved, repeats, repeatDelay, breakEvery, breakLength, wrapUp, menu, seed, json, html,
            servers, faults, faultHook, postgres, reconcileWithin,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (string.IsNullOrEmpty(parse.GetValue(token)) || string.IsNullOrEmpty(parse.GetValue(admin)) || string.IsNullOrEmpty(parse.GetValue(adminPassword)))
            {
                Console.Error.WriteLine("error: the Twilio auth token (--auth-token / Twilio__AuthToken) and an administrator (--admin, --admin-password) are required.");
                return 2;
            }
            var connection = new DayConnection
            {
                ServerUrl = parse.GetValue(baseUrl)!,
                PublicUrl = parse.GetValue(publicUrl) ?? parse.GetValue(baseUrl)!,
                AuthToken = parse.GetValue(token)!,
                AccountSid = parse.GetValue(account)!,
                StandInPort = parse.GetValue(standInPort),
                AdminWorkNumber = parse.GetValue(admin)!,
                AdminPassword = parse.GetValue(adminPassword)!,
                AdminInitialPassword = parse.GetValue(adminInitial),
                AdminTotpSecret = parse.GetValue(adminTotp),
                AgentPassword = parse.GetValue(agentPassword)!,
            };
            var scenario = new DayScenario
            {
                Duration = TimeSpan.FromHours(parse.GetValue(hours)),
                ClockRate = parse.GetValue(clockRate),
                CallsPerHour = parse.GetValue(callsPerHour),
                HourlyProfile = parse.GetValue(profile) is { } p ? [.. p.Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture))] : [],
                MeanHandleTime = TimeSpan.FromSeconds(parse.GetValue(aht)),
                HandleTimes = parse.GetValue(ahtDistribution),
                Agents = parse.GetValue(agents),
                MeanPatience = parse.GetValue(patience) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                CallbackAcceptance = parse.GetValue(callbacks),
                ResolvedShare = parse.GetValue(resolved),
                RepeatShare = parse.GetValue(repeats),
                MeanRepeatDelay = TimeSpan.FromMinutes(parse.GetValue(repeatDelay)),
                MeanBreakInterval = parse.GetValue(breakEvery) is { } every ? TimeSpan.FromMinutes(every) : null,
                BreakLength = TimeSpan.FromMinutes(parse.GetValue(breakLength)),
                MeanWrapUp = TimeSpan.FromSeconds(parse.GetValue(wrapUp)),
                Menu = [.. parse.GetValue(menu)!.Select(MenuPath.Parse)],
                Seed = parse.GetValue(seed),
                AgentPrefix = parse.GetValue(agentPrefix)!,
            };
            await using var standIn = await DayRun.StartStandInAsync(connection, ct);
            Console.WriteLine($"Twilio REST stand-in on {standIn.BaseUrl} (the server's Twilio:ApiBaseUrl)");
            DayResult result;
            var plan = parse.GetValue(faults) ?? [];
            if (plan.Length == 0)
            {
                result = await new DayRun(connection, scenario, Console.Out).RunAsync(standIn, ct);
            }
            else
            {
                var instances = (parse.GetValue(servers) ?? []).Select(u => new Uri(u)).ToList();
                if (instances.Count == 0 || parse.GetValue(faultHook) is not { } hook || parse.GetValue(postgres) is not { } database)
                {
                    Console.Error.WriteLine("error: --fault needs --server (each instance), --fault-hook and --postgres (or ConnectionStrings__Postgres).");
                    return 2;
                }
                using var balancer = new Fault.LoadBalancer(instances);
                var run = new Fault.FaultRun(connection with { ServerUrl = Fault.LoadBalancer.VirtualAddress, Balancer = balancer, Instances = instances },
                    scenario, [.. plan.Select(Fault.ScheduledFault.Parse)], new Fault.CommandFaultHooks(hook), database, Console.Out)
                {
                    ReconcileWithin = TimeSpan.FromSeconds(parse.GetValue(reconcileWithin)),
                };
                result = await run.RunAsync(standIn, ct);
            }
            DayReport.WriteTable(result, Console.Out);
            if (result.Faults is { } faultReport) DayReport.WriteFaults(faultReport, Console.Out);
            if (parse.GetValue(json) is { } jsonFile) await File.WriteAllTextAsync(jsonFile.FullName, DayReport.Json(result), ct);
            if (parse.GetValue(html) is { } htmlFile) await File.WriteAllTextAsync(htmlFile.FullName, DayReport.Html(result), ct);
            return result.Failed == 0 && result.Faults?.Reconciliation.Clean != false ? 0 : 1;
        });
        return command;
    }
}
