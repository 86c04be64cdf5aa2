using System.CommandLine;
using CallCenter.Simulator.Load;

var root = new RootCommand("Plays Twilio, callers and agents against a running CallCenter server.");
root.Subcommands.Add(LoadCommand.Create());
return await root.Parse(args).InvokeAsync();
