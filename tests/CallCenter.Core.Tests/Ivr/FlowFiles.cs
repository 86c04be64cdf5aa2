using CallCenter.Core.Ivr;

namespace CallCenter.Core.Tests.Ivr;

/// <summary>Finds flow files in the checkout: the shipped <c>ivr-flows/</c> and the broken fixtures.</summary>
internal static class FlowFiles
{
    private static readonly Lazy<string> RepoRoot = new(() =>
    {
        // Walk up from the test binaries so the tests read the files in the checkout, not stale copies.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CallCenter.sln")) && Directory.Exists(Path.Combine(dir.FullName, "ivr-flows")))
                return dir.FullName;
        }

        throw new DirectoryNotFoundException("No CallCenter.sln with an ivr-flows/ folder above " + AppContext.BaseDirectory);
    });

    public static string Root => RepoRoot.Value;

    public static string InvalidFlowsDir => Path.Combine(Root, "tests", "CallCenter.Core.Tests", "Ivr", "InvalidFlows");

    /// <summary>Shipped flow files as repo-relative paths (the form messages use).</summary>
    public static IEnumerable<string> Shipped() =>
        Directory.EnumerateFiles(Path.Combine(Root, "ivr-flows"), "*.yaml")
            .Order(StringComparer.Ordinal)
            .Select(f => Path.GetRelativePath(Root, f).Replace('\\', '/'));

    public static string Read(string repoRelative) => File.ReadAllText(Path.Combine(Root, repoRelative));

    /// <summary>Loads and validates a shipped flow; fails the test when it is invalid.</summary>
    public static IvrFlow LoadValid(string repoRelative)
    {
        var check = new FlowValidator().Validate(Read(repoRelative), repoRelative);
        Assert.That(check.Errors.Select(e => e.ToString()), Is.Empty, $"{repoRelative} must be valid");
        return check.Flow!;
    }

    public static IvrFlow BankHotline => LoadValid("ivr-flows/bank-hotline.yaml");
}
