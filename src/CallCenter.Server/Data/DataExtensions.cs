using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;

namespace CallCenter.Server.Data;

/// <summary>Registers the PostgreSQL data source and the EF Core context over it.</summary>
public static class DataExtensions
{
    public static IHostApplicationBuilder AddCallCenterData(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres is not configured (environment ConnectionStrings__Postgres).");
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName);
        // One pool for EF and for the hand-written SQL of the call log.
        builder.Services.AddSingleton(_ => CreateDataSource(connectionString));
        builder.Services.AddSingleton<Scheduling.ScheduledRuns>();
        builder.Services.AddDbContextPool<CallCenterDbContext>((sp, o) => Configure(o, sp.GetRequiredService<NpgsqlDataSource>()));
        return builder;
    }

    /// <summary>The one way this code base opens PostgreSQL: JSON columns map to and from .NET objects.</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString) =>
        new NpgsqlDataSourceBuilder(connectionString).EnableDynamicJson().Build();

    public static void Configure(DbContextOptionsBuilder o, NpgsqlDataSource dataSource) =>
        o.UseNpgsql(dataSource, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention();

    public static async Task MigrateDatabaseIfConfiguredAsync(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (!app.Configuration.GetValue<bool>($"{DatabaseOptions.SectionName}:{nameof(DatabaseOptions.MigrateOnStartup)}"))
            return;
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().Database.MigrateAsync();
    }

    /// <summary>Applies pending migrations to the database behind a connection string; used by the CLI.</summary>
    public static async Task MigrateAsync(string connectionString, CancellationToken cancellationToken)
    {
        await using var dataSource = CreateDataSource(connectionString);
        var options = new DbContextOptionsBuilder<CallCenterDbContext>();
        Configure(options, dataSource);
        await using var db = new CallCenterDbContext(options.Options);
        await db.Database.MigrateAsync(cancellationToken);
    }
}

/// <summary>Lets `dotnet ef` build the model without starting the host.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<CallCenterDbContext>
{
    public CallCenterDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<CallCenterDbContext>();
        Configure(options, NpgsqlDataSource.Create("Host=127.0.0.1;Username=postgres;Database=design_time"));
        return new CallCenterDbContext(options.Options);
    }

    private static void Configure(DbContextOptionsBuilder o, NpgsqlDataSource ds) => DataExtensions.Configure(o, ds);
}
