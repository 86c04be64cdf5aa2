using System.CommandLine;
using CallCenter.Simulator.Day;
using CallCenter.Simulator.Load;

var root = new RootCommand("Plays Twilio, callers and agents against a running CallCenter server.");
root.Subcommands.Add(LoadCommand.Create());
root.Subcommands.Add(DayCommand.Create());
return await root.Parse(args).InvokeAsync();
