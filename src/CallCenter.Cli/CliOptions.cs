using System.CommandLine;

namespace CallCenter.Cli;

/// <summary>Options shared by several commands, read from the same environment the server uses.</summary>
internal static class CliOptions
{
    public static Option<string> Connection() => new("--connection")
    {
        Description = "PostgreSQL connection string (default: environment ConnectionStrings__Postgres).",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") ?? "",
    };

    /// <summary>Returns the connection string, or writes why there is none and returns null.</summary>
    public static string? RequireConnection(ParseResult parse, Option<string> option)
    {
        var value = parse.GetValue(option);
        if (!string.IsNullOrWhiteSpace(value)) return value;
        Console.Error.WriteLine("error: no database: pass --connection or set ConnectionStrings__Postgres.");
        return null;
    }
}
