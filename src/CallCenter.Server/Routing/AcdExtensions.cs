using CallCenter.Core.Ivr;
using CallCenter.Core.Routing;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CallCenter.Server.Routing;

/// <summary>Registers the ACD: options validated at start, the store chosen by <c>Acd:Store</c>, the host as singleton and hosted service.</summary>
public static class AcdExtensions
{
    public static IServiceCollection AddAcd(this IServiceCollection services)
    {
        services.AddOptions<AcdOptions>().BindConfiguration(AcdOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AcdOptions>, AcdOptionsValidator>();
        services.AddOptions<AcdStoreOptions>().BindConfiguration(AcdOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AcdMetrics>();
        // The store is the host's alone (it is not thread-safe; the host serialises every use).
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<AcdHost>(sp, CreateStore(sp)));
        services.AddHostedService(sp => sp.GetRequiredService<AcdHost>());
        return services;
    }

    private static IAcdStateStore CreateStore(IServiceProvider services)
    {
        var window = services.GetRequiredService<IOptions<AcdOptions>>().Value.HandleTimeWindow;
        var store = services.GetRequiredService<IOptions<AcdStoreOptions>>().Value;
        return store.Store == AcdStoreKind.Redis
            ? new RedisAcdStateStore(services.GetRequiredService<IConnectionMultiplexer>(), store.RedisKeyPrefix, window)
            : new InMemoryAcdStateStore(window);
    }

    /// <summary>
    /// The ACD request for a call the IVR queued: the customer tier found at verification (Data["tier"]) and
    /// the complaint flag decide its head start; the flow's numeric priority maps to the queue's configured boost.
    /// </summary>
    public static CallRequest FromIvr(string callSid, Enqueue verb, IvrCallState state, bool isComplaint)
    {
        ArgumentNullException.ThrowIfNull(verb);
        ArgumentNullException.ThrowIfNull(state);
        var tier = state.Data.TryGetValue("tier", out var raw) && Enum.TryParse<CustomerTier>(raw, ignoreCase: true, out var parsed)
            ? parsed
            : CustomerTier.Ordinary;
        return new CallRequest(callSid, verb.Queue) { CustomerTier = tier, IsComplaint = isComplaint, CustomerId = state.CustomerId };
    }
}

/// <summary>Fails start-up with the engine's own list of configuration errors.</summary>
internal sealed class AcdOptionsValidator : IValidateOptions<AcdOptions>
{
    public ValidateOptionsResult Validate(string? name, AcdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Queues.Count == 0) return ValidateOptionsResult.Fail("Acd:Queues must define at least one queue.");
        var errors = AcdEngine.Validate(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Where the ACD keeps its state: in process for one instance (the default), in Redis when several share it.</summary>
public enum AcdStoreKind
{
    InMemory,
    Redis,
}

/// <summary>The store part of the <c>Acd</c> configuration section.</summary>
public sealed class AcdStoreOptions
{
    public AcdStoreKind Store { get; set; } = AcdStoreKind.InMemory;

    /// <summary>Key prefix of the shared state; every instance of one deployment uses the same.</summary>
    [System.ComponentModel.DataAnnotations.Required]
    public string RedisKeyPrefix { get; set; } = "acd";
}
