using System.Diagnostics;
using System.Globalization;

namespace CallCenter.Simulator.Fault;

/// <summary>What a fault does to the system under test.</summary>
public enum FaultKind
{
    /// <summary>Kills one server instance (SIGKILL: no graceful stop) and starts it again after the down time.</summary>
    KillServer,
    /// <summary>Stops Redis and starts it again after the down time.</summary>
    RestartRedis,
    /// <summary>Stops PostgreSQL and starts it again after the down time.</summary>
    StopPostgres,
}

/// <summary>
/// One fault of a run: at simulated time <paramref name="At"/>, for <paramref name="Down"/> (simulated), on server instance
/// <paramref name="Instance"/> (1-based, kill-server only). Written <c>kill-server@10m</c>, <c>kill-server#2@10m:30s</c>,
/// <c>restart-redis@20m</c>, <c>stop-postgres@30m:30s</c> (durations: 90, 90s, 10m, 1h).
/// </summary>
public sealed record ScheduledFault(FaultKind Kind, TimeSpan At, TimeSpan Down, int Instance = 1)
{
    public static ScheduledFault Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at < 0) throw new FormatException($"'{text}' is not a fault (kind@time[:down], e.g. stop-postgres@30m:30s).");
        var name = text[..at];
        var instance = 1;
        if (name.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0)
        {
            instance = int.Parse(name[(hash + 1)..], CultureInfo.InvariantCulture);
            name = name[..hash];
        }
        var kind = name switch
        {
            "kill-server" => FaultKind.KillServer,
            "restart-redis" => FaultKind.RestartRedis,
            "stop-postgres" => FaultKind.StopPostgres,
            _ => throw new FormatException($"Unknown fault '{name}': kill-server, restart-redis or stop-postgres."),
        };
        var times = text[(at + 1)..].Split(':');
        var down = times.Length > 1 ? Duration(times[1]) : TimeSpan.Zero;
        return new ScheduledFault(kind, Duration(times[0]), down, instance);
    }

    private static TimeSpan Duration(string text)
    {
        var unit = text.Length > 0 && char.IsLetter(text[^1]) ? text[^1] : 's';
        var number = double.Parse(char.IsLetter(text[^1]) ? text[..^1] : text, CultureInfo.InvariantCulture);
        return unit switch
        {
            's' => TimeSpan.FromSeconds(number),
            'm' => TimeSpan.FromMinutes(number),
            'h' => TimeSpan.FromHours(number),
            _ => throw new FormatException($"'{text}' is not a duration (90, 90s, 10m, 1h)."),
        };
    }

    public override string ToString() => Kind switch
    {
        FaultKind.KillServer => FormattableString.Invariant($"kill-server#{Instance}@{At.TotalMinutes:0.##}m:{Down.TotalSeconds:0}s"),
        FaultKind.RestartRedis => FormattableString.Invariant($"restart-redis@{At.TotalMinutes:0.##}m:{Down.TotalSeconds:0}s"),
        _ => FormattableString.Invariant($"stop-postgres@{At.TotalMinutes:0.##}m:{Down.TotalSeconds:0}s"),
    };
}

/// <summary>What the run did to a dependency or an instance, and when (simulated minute, real seconds it was away).</summary>
public sealed record FaultExecuted(string Fault, double AtMinute, double RealSecondsDown);

/// <summary>
/// Carries out the faults: stops and starts server instances, Redis and PostgreSQL. The command-line tool runs a hook
/// executable (<see cref="CommandFaultHooks"/>); tests control their own processes.
/// </summary>
public interface IFaultHooks
{
    /// <summary>Kills instance <paramref name="instance"/> (1-based) at once, as a crash would.</summary>
    Task KillServerAsync(int instance, CancellationToken ct);

    /// <summary>Starts the instance again (same address, same spool folder) and returns once it listens.</summary>
    Task StartServerAsync(int instance, CancellationToken ct);

    Task StopRedisAsync(CancellationToken ct);

    Task StartRedisAsync(CancellationToken ct);

    Task StopPostgresAsync(CancellationToken ct);

    Task StartPostgresAsync(CancellationToken ct);
}

/// <summary>
/// Runs <c>HOOK ACTION [INSTANCE]</c> for each step (actions: kill-server, start-server, stop-redis, start-redis,
/// stop-postgres, start-postgres); a step fails the run unless the hook exits 0. infra/local/fault-run.sh is such a hook.
/// </summary>
public sealed class CommandFaultHooks(string hook) : IFaultHooks
{
    public Task KillServerAsync(int instance, CancellationToken ct) => RunAsync(ct, "kill-server", instance.ToString(CultureInfo.InvariantCulture));
    public Task StartServerAsync(int instance, CancellationToken ct) => RunAsync(ct, "start-server", instance.ToString(CultureInfo.InvariantCulture));
    public Task StopRedisAsync(CancellationToken ct) => RunAsync(ct, "stop-redis");
    public Task StartRedisAsync(CancellationToken ct) => RunAsync(ct, "start-redis");
    public Task StopPostgresAsync(CancellationToken ct) => RunAsync(ct, "stop-postgres");
    public Task StartPostgresAsync(CancellationToken ct) => RunAsync(ct, "start-postgres");

    private async Task RunAsync(CancellationToken ct, params string[] arguments)
    {
        var start = new ProcessStartInfo(hook) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{hook} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var errors = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"Fault hook '{hook} {string.Join(' ', arguments)}' exited {process.ExitCode}: {await output}{await errors}");
    }
}
