using System.CommandLine;
using CallCenter.Server.Data;

namespace CallCenter.Cli.Database;

/// <summary>`callcenter db migrate`: applies the schema in production, where the server does not.</summary>
internal static class DatabaseCommands
{
    public static Command Create()
    {
        var connection = CliOptions.Connection();
        var migrate = new Command("migrate", "Apply pending database migrations.") { connection };
        migrate.SetAction(async (parse, ct) =>
        {
            if (CliOptions.RequireConnection(parse, connection) is not { } cs) return 2;
            await DataExtensions.MigrateAsync(cs, ct);
            Console.WriteLine("Database is up to date.");
            return 0;
        });
        return new Command("db", "Database administration.") { migrate };
    }
}
