using Npgsql;
using StackExchange.Redis;

namespace CallCenter.Testing;

/// <summary>
/// Where the real PostgreSQL and Redis for tests are. ./test.sh starts them (infra/local) and
/// exports these variables; the defaults match infra/local so a developer can run tests from an IDE.
/// </summary>
public static class TestInfrastructure
{
    public static string PostgresAdmin =>
        Environment.GetEnvironmentVariable("CALLCENTER_TEST_POSTGRES")
        ?? "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres";

    public static string Redis =>
        Environment.GetEnvironmentVariable("CALLCENTER_TEST_REDIS") ?? "127.0.0.1:56379";

    /// <summary>The checkout the tests run from: the folder holding CallCenter.sln above the test binaries.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CallCenter.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("CallCenter.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Fails loudly, with the fix, when PostgreSQL or Redis is not running.</summary>
    public static async Task EnsureReachableAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(PostgresAdmin);
            await connection.OpenAsync();
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable at '{PostgresAdmin}'. Run ./test.sh, or infra/local/up.sh first.", ex);
        }

        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(Redis);
            await redis.GetDatabase().PingAsync();
        }
        catch (RedisConnectionException ex)
        {
            throw new InvalidOperationException(
                $"Redis is not reachable at '{Redis}'. Run ./test.sh, or infra/local/up.sh first.", ex);
        }
    }
}
