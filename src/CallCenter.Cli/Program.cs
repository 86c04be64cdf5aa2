using System.CommandLine;
using CallCenter.Cli.Archive;
using CallCenter.Cli.Backup;
using CallCenter.Cli.CallLog;
using CallCenter.Cli.Database;
using CallCenter.Cli.Flows;
using CallCenter.Cli.Staff;
using CallCenter.Cli.Telephony;

var root = new RootCommand("CallCenter operations: flows, database, call log, recording archive.");
root.Subcommands.Add(FlowsCommand.Create());
root.Subcommands.Add(DatabaseCommands.Create());
root.Subcommands.Add(EventsCommands.Create());
root.Subcommands.Add(StaffCommands.Create());
root.Subcommands.Add(TwilioCommands.Create());
root.Subcommands.Add(ArchiveCommands.Create());
root.Subcommands.Add(BackupCommands.Create());
return await root.Parse(args).InvokeAsync();
