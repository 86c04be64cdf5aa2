using System.CommandLine;

var root = new RootCommand("CallCenter operations: flows, database, call log.");
return await root.Parse(args).InvokeAsync();
