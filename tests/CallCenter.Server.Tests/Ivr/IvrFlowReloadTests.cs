using CallCenter.Server.Ivr;
using CallCenter.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Ivr;

public sealed class IvrFlowReloadTests
{
    private static string CopyOfShippedFlows()
    {
        var dir = Directory.CreateTempSubdirectory("flows-").FullName;
        var shipped = Path.Combine(TestInfrastructure.RepositoryRoot, "ivr-flows", "bank-hotline.yaml");
        File.Copy(shipped, Path.Combine(dir, "bank-hotline.yaml"));
        return dir;
    }

    [Test]
    public void The_server_refuses_to_start_on_an_invalid_flow()
    {
        var dir = CopyOfShippedFlows();
        var path = Path.Combine(dir, "bank-hotline.yaml");
        File.WriteAllText(path, File.ReadAllText(path).Replace("      - key: 0\n        target: agent-queue", "      - key: 8\n        target: agent-queue", StringComparison.Ordinal));
        using var server = new CallCenterServerFactory(AssemblySetUp.Server.Database)
            .WithWebHostBuilder(b => b.UseSetting("Ivr:FlowsDirectory", dir));

        var ex = Assert.Catch(() => server.CreateClient());

        Assert.That(ex?.ToString(), Does.Contain("Invalid IVR flows").And.Contain("bank-hotline.yaml:").And.Contain("human option"));
    }

    [Test]
    public async Task A_bad_edit_is_rejected_and_the_last_good_flow_keeps_answering_while_a_good_edit_is_taken()
    {
        var dir = CopyOfShippedFlows();
        var path = Path.Combine(dir, "bank-hotline.yaml");
        var original = await File.ReadAllTextAsync(path);
        await using var server = new CallCenterServerFactory(AssemblySetUp.Server.Database)
            .WithWebHostBuilder(b => b.UseSetting("Ivr:FlowsDirectory", dir));
        var twilio = server.CreateTwilioClient();
        var catalog = server.Services.GetRequiredService<IvrFlowCatalog>();

        var rejected = NextReload(catalog);
        await File.WriteAllTextAsync(path, original.Replace("main-menu: main-menu", "main-menu: no-such-node", StringComparison.Ordinal));
        Assert.That(await rejected, Is.False);
        var during = await IvrCall.DialAsync(twilio);
        await during.PressAsync("1");

        var taken = NextReload(catalog);
        await File.WriteAllTextAsync(path, original.Replace("账户和银行卡服务请按1", "账户与银行卡服务请按1", StringComparison.Ordinal));
        Assert.That(await taken, Is.True);
        var after = await IvrCall.DialAsync(twilio);
        await after.PressAsync("1");

        Assert.That(during.SpokenText, Does.Contain("账户和银行卡服务请按1"));
        Assert.That(after.SpokenText, Does.Contain("账户与银行卡服务请按1"));
    }

    private static async Task<bool> NextReload(IvrFlowCatalog catalog)
    {
        var reloaded = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        catalog.Reloaded += ok => reloaded.TrySetResult(ok);
        return await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
