using CallCenter.Server.Tests.Routing;

namespace CallCenter.Server.Tests.Degraded;

/// <summary>One spool folder belongs to one process: a second one over the same folder fails at start, naming it.</summary>
public sealed class SpoolFolderLockTests
{
    [Test]
    public async Task A_second_server_over_the_same_spool_folder_fails_at_start_naming_the_folder()
    {
        var spool = Directory.CreateTempSubdirectory("cc-spool-lock-").FullName;
        var settings = new Dictionary<string, string> { ["Degraded:SpoolDirectory"] = spool };
        await using (var first = new AcdHarness(settings: settings))
        {
            first.Server.CreateClient().Dispose();
            await using var second = new AcdHarness(settings: settings);

            var failure = Assert.Catch(() => second.Server.CreateClient().Dispose());

            Assert.That(Messages(failure), Does.Contain($"The call-log spool folder {spool} is in use by another process"));
        }
        // The lock goes with the server holding it: the folder is free again for the next one.
        using (var next = await SpoolFolder.OpenWhenReleasedAsync(spool))
            Assert.That(next.Depth, Is.Zero);
        Directory.Delete(spool, recursive: true);
    }

    private static string Messages(Exception? e)
    {
        var all = new List<string>();
        for (; e is not null; e = e.InnerException) all.Add(e.Message);
        return string.Join(" | ", all);
    }
}
