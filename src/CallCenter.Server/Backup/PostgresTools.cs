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

    /// <summary>A TCP port on loopback nobody listens on right now, below the range outgoing connections draw from.</summary>
    /// <remarks>
    /// A server stopped and started again on its port (a restore drill, a fault test) would otherwise find it taken by some
    /// client's outgoing connection in between, which the kernel is free to give that port while nothing listens on it.
    /// </remarks>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var port = System.Security.Cryptography.RandomNumberGenerator.GetInt32(20_000, EphemeralRangeStart());
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }
        using var any = new TcpListener(IPAddress.Loopback, 0);
        any.Start();
        return ((IPEndPoint)any.LocalEndpoint).Port;
    }

    private static int EphemeralRangeStart()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        return File.Exists(range) && int.TryParse(File.ReadAllText(range).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0],
            System.Globalization.CultureInfo.InvariantCulture, out var start) && start > 20_100 ? start : 32_768;
    }
}
