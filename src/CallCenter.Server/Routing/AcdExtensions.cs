using CallCenter.Core.Ivr;
using CallCenter.Core.Routing;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Routing;

/// <summary>Registers the single-node ACD: options validated at start, the host as singleton and hosted service.</summary>
public static class AcdExtensions
{
    public static IServiceCollection AddAcd(this IServiceCollection services)
    {
        services.AddOptions<AcdOptions>().BindConfiguration(AcdOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AcdOptions>, AcdOptionsValidator>();
        services.AddSingleton<AcdMetrics>();
        services.AddSingleton<AcdHost>();
        services.AddHostedService(sp => sp.GetRequiredService<AcdHost>());
        return services;
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
