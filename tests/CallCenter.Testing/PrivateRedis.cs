using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using CallCenter.Server.Backup;

namespace CallCenter.Testing;

/// <summary>A redis-server of one test's own on a free loopback port, which the test may stop and start; never the shared one.</summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private Process? _process;

    private readonly string? _dataDirectory;

    private PrivateRedis(int port, string? dataDirectory) => (Port, _dataDirectory) = (port, dataDirectory);

    public int Port { get; }

    /// <summary>Short timeouts, so a client notices the outage at once instead of after the default 5 s.</summary>
    public string ConnectionString => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)},connectTimeout=500,syncTimeout=1000,asyncTimeout=1000";

    /// <summary>
    /// With <paramref name="persistent"/>, every write is in an append-only file (fsync always) in a folder of its own, so a
    /// killed and restarted server comes back with all its data, as a production Redis holding shared state must.
    /// </summary>
    public static async Task<PrivateRedis> StartAsync(bool persistent = false)
    {
        var redis = new PrivateRedis(PostgresTools.FreePort(), persistent ? Directory.CreateTempSubdirectory("cc-private-redis-").FullName : null);
        await redis.StartServerAsync();
        return redis;
    }

    public async Task StartServerAsync()
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] persistence = _dataDirectory is null ? ["--appendonly", "no"] : ["--appendonly", "yes", "--appendfsync", "always", "--dir", _dataDirectory];
        foreach (var a in new[] { "--bind", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--save", "" }.Concat(persistence))
            start.ArgumentList.Add(a);
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new InvalidOperationException($"redis-server did not listen on {Port}.");
    }

    /// <summary>Kills the process (its connections drop at once, as in a crash).</summary>
    public async Task StopServerAsync()
    {
        if (_process is null) return;
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopServerAsync();
        if (_dataDirectory is null) return;
        try { Directory.Delete(_dataDirectory, recursive: true); }
        catch (IOException) { }
    }
}
