using System.Globalization;
using CallCenter.Server.Backup;
using CallCenter.Server.Data;
using Npgsql;

namespace CallCenter.Testing;

/// <summary>
/// A PostgreSQL cluster of one test's own (initdb into a temp folder, a free loopback port), migrated, which the test
/// may stop and start at will: the shared test cluster other fixtures use is never touched.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _work;
    private readonly string _data;
    private readonly string _bin = PostgresTools.BinDirectory();

    private PrivatePostgres(string work, int port)
    {
        _work = work;
        _data = Path.Combine(work, "data");
        Port = port;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = "postgres", Database = "callcenter", Timeout = 5,
        }.ConnectionString;
    }

    public int Port { get; }

    public string ConnectionString { get; }

    public static async Task<PrivatePostgres> StartAsync()
    {
        var work = Directory.CreateTempSubdirectory("cc-private-pg-").FullName;
        PostgresTools.LetPostgresReach(Path.Combine(work, "data"));
        await PostgresTools.GiveToPostgresAsync(work, CancellationToken.None);
        var cluster = new PrivatePostgres(work, PostgresTools.FreePort());
        var init = await PostgresTools.RunAsync(Path.Combine(cluster._bin, "initdb"),
            ["-D", cluster._data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"], CancellationToken.None, asPostgres: true);
        if (!init.Succeeded) throw new InvalidOperationException($"initdb failed: {init.Output}");
        // A throwaway cluster: durability settings off for speed, loopback only, its socket in its own folder.
        await File.AppendAllTextAsync(Path.Combine(cluster._data, "postgresql.conf"), string.Create(CultureInfo.InvariantCulture, $"""

            listen_addresses = '127.0.0.1'
            port = {cluster.Port}
            unix_socket_directories = '{work}'
            max_connections = 60
            shared_buffers = 32MB
            fsync = off
            synchronous_commit = off
            full_page_writes = off
            """));
        await cluster.StartServerAsync();
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE callcenter", admin);
            await create.ExecuteNonQueryAsync();
        }
        await DataExtensions.MigrateAsync(cluster.ConnectionString, CancellationToken.None);
        return cluster;
    }

    /// <summary>Starts the stopped cluster again on the same port.</summary>
    public async Task StartServerAsync()
    {
        var start = await PostgresTools.RunAsync(Path.Combine(_bin, "pg_ctl"),
            ["-D", _data, "-l", Path.Combine(_work, "postgres.log"), "-w", "-t", "60", "start"], CancellationToken.None, asPostgres: true);
        if (!start.Succeeded) throw new InvalidOperationException($"pg_ctl start failed: {start.Output}");
    }

    /// <summary>Stops the cluster the way an operator or a crash would leave clients: connections cut, nothing listening.</summary>
    public async Task StopServerAsync()
    {
        var stop = await PostgresTools.RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", _data, "-m", "fast", "-w", "stop"], CancellationToken.None, asPostgres: true);
        if (!stop.Succeeded) throw new InvalidOperationException($"pg_ctl stop failed: {stop.Output}");
    }

    public async ValueTask DisposeAsync()
    {
        await PostgresTools.RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", _data, "-m", "immediate", "-w", "stop"], CancellationToken.None, asPostgres: true);
        NpgsqlConnection.ClearAllPools();
        try { Directory.Delete(_work, recursive: true); }
        catch (IOException) { }
    }
}
