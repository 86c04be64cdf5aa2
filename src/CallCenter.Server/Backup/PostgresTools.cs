using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CallCenter.Server.Backup;

/// <summary>The output of a finished tool.</summary>
public sealed record ToolResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// Runs PostgreSQL's own programs (initdb, pg_ctl, pg_verifybackup...) and helpers. PostgreSQL refuses to run as
/// root, so as root every server-side program runs as the 'postgres' account, as infra/local/postgres.sh does.
/// </summary>
public static class PostgresTools
{
    public static bool IsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    /// <summary>The newest installed PostgreSQL's bin folder (Debian layout), or CALLCENTER_PG_BIN.</summary>
    public static string BinDirectory()
    {
        if (Environment.GetEnvironmentVariable("CALLCENTER_PG_BIN") is { Length: > 0 } configured) return configured;
        var found = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "pg_ctl"))).OrderBy(d => Version.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : new Version(0, 0)).LastOrDefault()
            : null;
        return found ?? throw new InvalidOperationException("PostgreSQL binaries not found under /usr/lib/postgresql/*/bin; set CALLCENTER_PG_BIN.");
    }

    /// <summary>Runs a program to its end; as root, <paramref name="asPostgres"/> runs it as the postgres account.</summary>
    public static async Task<ToolResult> RunAsync(string program, IEnumerable<string> arguments, CancellationToken ct,
        bool asPostgres = false, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        if (asPostgres && IsRoot)
        {
            start.FileName = "runuser";
            foreach (var a in new[] { "-u", "postgres", "--", "env" }) start.ArgumentList.Add(a);
            foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.ArgumentList.Add($"{key}={value}");
            start.ArgumentList.Add(program);
        }
        else
        {
            start.FileName = program;
            foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        }
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new ToolResult(process.ExitCode, (await stdout + await stderr).Trim());
    }

    /// <summary>Hands a folder (recursively) to the postgres account when running as root; no-op otherwise.</summary>
    public static async Task GiveToPostgresAsync(string path, CancellationToken ct)
    {
        if (!IsRoot) return;
        var result = await RunAsync("chown", ["-R", "postgres:postgres", path], ct);
        if (!result.Succeeded) throw new InvalidOperationException($"chown of {path} failed: {result.Output}");
    }

    /// <summary>Makes every parent folder of <paramref name="path"/> traversable by the postgres account (root only).</summary>
    public static void LetPostgresReach(string path)
    {
        if (!OperatingSystem.IsLinux() || !IsRoot) return;
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(dir) && dir != "/"; dir = Path.GetDirectoryName(dir))
        {
            var mode = File.GetUnixFileMode(dir);
            if (!mode.HasFlag(UnixFileMode.OtherExecute)) File.SetUnixFileMode(dir, mode | UnixFileMode.OtherExecute);
        }
    }

    /// <summary>A TCP port on loopback nobody listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
