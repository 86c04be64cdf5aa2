using System.CommandLine;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;

namespace CallCenter.Cli.CallLog;

/// <summary>`callcenter events verify`: recomputes the call log's hash chain and names the first broken row.</summary>
internal static class EventsCommands
{
    public static Command Create()
    {
        var connection = CliOptions.Connection();
        var verify = new Command("verify", "Check the call-event hash chain; exit 1 at the first broken row.") { connection };
        verify.SetAction(async (parse, ct) =>
        {
            if (CliOptions.RequireConnection(parse, connection) is not { } cs) return 2;
            await using var dataSource = DataExtensions.CreateDataSource(cs);
            var report = await CallEventChainAudit.VerifyAsync(dataSource, ct);
            if (report.FirstViolation is { } broken)
            {
                Console.Error.WriteLine($"BROKEN: {broken}");
                Console.Error.WriteLine($"{report.EventsChecked} events read up to the first broken row.");
                return 1;
            }
            Console.WriteLine($"OK: {report.EventsChecked} events, hash chain intact.");
            return 0;
        });
        return new Command("events", "The append-only call log.") { verify };
    }
}
