using Microsoft.Extensions.Options;

namespace CallCenter.Server.Hosting;

/// <summary>Background workers an instance can leave to other instances of the same binary, by a switch in its options.</summary>
public static class SwitchableWorkers
{
    /// <summary>
    /// Starts <typeparamref name="TWorker"/> (registered as a singleton, so tests and operator commands can still resolve and run
    /// it) only where <paramref name="runs"/> holds for the bound options. A plain singleton rather than AddHostedService, which
    /// keeps only one hosted service per implementation type.
    /// </summary>
    public static IServiceCollection AddWorkerWhen<TWorker, TOptions>(this IServiceCollection services, Func<TOptions, bool> runs)
        where TWorker : class, IHostedService
        where TOptions : class =>
        services.AddSingleton<IHostedService>(sp => runs(sp.GetRequiredService<IOptions<TOptions>>().Value)
            ? sp.GetRequiredService<TWorker>() : new IdleWorker());

    /// <summary>Stands in for a worker this instance does not run.</summary>
    private sealed class IdleWorker : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
