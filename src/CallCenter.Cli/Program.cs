using System.CommandLine;
using CallCenter.Cli.Flows;

var root = new RootCommand("CallCenter operations: flows, database, call log.");
root.Subcommands.Add(FlowsCommand.Create());
return await root.Parse(args).InvokeAsync();
