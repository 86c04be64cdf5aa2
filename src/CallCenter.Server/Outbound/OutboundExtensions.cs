using CallCenter.Server.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CallCenter.Server.Outbound;

/// <summary>Wires callbacks and the shared outbound pacing.</summary>
public static class OutboundExtensions
{
    public static IServiceCollection AddOutbound(this IServiceCollection services)
    {
        services.AddOptions<CallbackOptions>().BindConfiguration(CallbackOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => TimeZoneInfo.TryFindSystemTimeZoneById(o.DefaultTimeZone, out _) && o.CallFrom < o.CallUntil,
                "Callbacks: DefaultTimeZone must be an IANA zone and CallFrom before CallUntil.")
            .Validate(o => o.RunEvery > TimeSpan.Zero && o.SweepEvery > TimeSpan.Zero && o.StatusCheckAfter > TimeSpan.Zero && o.ReleaseUnknownAfter >= TimeSpan.Zero,
                "Callbacks: RunEvery, SweepEvery and StatusCheckAfter must be positive, ReleaseUnknownAfter not negative.").ValidateOnStart();
        services.AddOptions<OutboundOptions>().BindConfiguration(OutboundOptions.SectionName)
            .Validate(o => o.CallFrom < o.CallUntil, "Outbound: CallFrom must be before CallUntil.").ValidateOnStart();
        services.AddOptions<CallPacingOptions>().BindConfiguration(CallPacingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new TwilioCallPacer(sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<IOptions<CallPacingOptions>>().Value));
        services.AddSingleton<ICallbackDialler, CallbackDialler>();
        services.AddSingleton<CallbackWorker>();
        services.AddSingleton<UnsettledCallSweep>();
        services.AddWorkerWhen<CallbackWorker, CallbackOptions>(o => o.RunWorkers);
        services.AddWorkerWhen<UnsettledCallSweep, CallbackOptions>(o => o.RunWorkers);
        return services;
    }
}
