using CallCenter.Server.Degraded;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Tests.Degraded;

/// <summary>Opens a call-log spool folder once the in-process server that held it has let it go.</summary>
internal static class SpoolFolder
{
    // WebApplicationFactory's disposal can return while the app's entry point is still disposing the same host on its own thread
    // (both dispose it; the second call returns at once), so the spool's lock briefly outlives the factory. A process that exits
    // has no such window: the OS drops its lock.
    public static async Task<CallLogSpool> OpenWhenReleasedAsync(string directory)
    {
        var giveUpAt = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                return new CallLogSpool(Options.Create(new DegradedModeOptions { SpoolDirectory = directory }), NullLogger<CallLogSpool>.Instance);
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < giveUpAt)
            {
                await Task.Delay(50);
            }
        }
    }
}
