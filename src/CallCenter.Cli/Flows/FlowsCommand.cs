using System.CommandLine;
using CallCenter.Core.Ivr;

namespace CallCenter.Cli.Flows;

/// <summary>The <c>flows</c> command group: <c>flows validate &lt;path&gt;</c>.</summary>
public static class FlowsCommand
{
    /// <summary>Builds the command group for the root command.</summary>
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A flow file, or a folder whose *.yaml files are all validated." };
        var validate = new Command("validate", "Check IVR flow files against the service-channel rules.") { path };
        validate.SetAction(parse =>
            Validate(parse.GetValue(path)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        return new Command("flows", "IVR flow files.") { validate };
    }

    /// <summary>Validates every flow under <paramref name="path"/>; 0 when all pass, 1 with messages on <paramref name="error"/> otherwise.</summary>
    public static int Validate(string path, TextWriter output, TextWriter error)
    {
        string[] files;
        if (Directory.Exists(path))
        {
            files = [.. Directory.EnumerateFiles(path, "*.yaml").Concat(Directory.EnumerateFiles(path, "*.yml")).Order(StringComparer.Ordinal)];
        }
        else if (File.Exists(path))
        {
            files = [path];
        }
        else
        {
            error.WriteLine($"{path}: no such file or folder");
            return 2;
        }

        if (files.Length == 0)
        {
            error.WriteLine($"{path}: no *.yaml flow files");
            return 1;
        }

        var catalog = FlowCatalog.Build(files.Select(f => (f, File.ReadAllText(f))));
        foreach (var message in catalog.Errors)
            error.WriteLine(message);

        if (!catalog.IsValid)
        {
            error.WriteLine($"{catalog.Files.Count(f => !f.IsValid)} of {files.Length} flow file(s) invalid, {catalog.Errors.Count} error(s)");
            return 1;
        }

        var nodes = catalog.Flows.Sum(f => f.Nodes.Count);
        output.WriteLine($"OK: {files.Length} flow file(s), {nodes} nodes valid");
        return 0;
    }
}
