using CallCenter.Server.Data;
using Npgsql;

namespace CallCenter.Testing;

/// <summary>A freshly migrated database with a unique name, dropped on dispose, so tests never share rows by accident.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        DataSource = DataExtensions.CreateDataSource(connectionString);
    }

    public string Name { get; }
    public string ConnectionString { get; }
    public NpgsqlDataSource DataSource { get; }

    public static async Task<TestDatabase> CreateAsync(string purpose)
    {
        var name = $"cc_test_{purpose}_{Guid.NewGuid():N}";
        if (name.Length > 63) name = name[..63]; // PostgreSQL's identifier limit
        await using (var admin = new NpgsqlConnection(TestInfrastructure.PostgresAdmin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }
        var connectionString = new NpgsqlConnectionStringBuilder(TestInfrastructure.PostgresAdmin) { Database = name }.ConnectionString;
        await DataExtensions.MigrateAsync(connectionString, CancellationToken.None);
        return new TestDatabase(name, connectionString);
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(TestInfrastructure.PostgresAdmin);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
