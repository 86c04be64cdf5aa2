using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace CallCenter.Server.Prompts;

/// <summary>Serves rendered prompts to Twilio's &lt;Play&gt;; they are public audio, not customer data.</summary>
public static class PromptsApi
{
    public static IServiceCollection AddPrompts(this IServiceCollection services)
    {
        services.AddOptions<PromptOptions>().BindConfiguration(PromptOptions.SectionName);
        services.AddOptions<AzureSpeechOptions>().BindConfiguration(AzureSpeechOptions.SectionName);
        services.AddHttpClient<AzureSpeechSynthesizer>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("azure-speech", (pipeline, context) =>
            {
                var attempt = context.ServiceProvider.GetRequiredService<IOptions<AzureSpeechOptions>>().Value.RequestTimeout;
                // Network waits are wall-clock time: the server's TimeProvider may run simulated (Simulation:ClockRate, tests),
                // and on a clock that does not move a hanging Azure would hold the synthesis queue for good.
                pipeline.TimeProvider = TimeProvider.System;
                pipeline.AddTimeout(attempt * 3)
                    .AddRetry(new HttpRetryStrategyOptions { MaxRetryAttempts = 2, Delay = TimeSpan.FromMilliseconds(200), BackoffType = DelayBackoffType.Exponential, UseJitter = true })
                    .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions { SamplingDuration = attempt * 4, MinimumThroughput = 5, BreakDuration = TimeSpan.FromSeconds(30) })
                    .AddTimeout(attempt);
            });
        services.AddSingleton<PromptLibrary>();
        services.AddHostedService(sp => sp.GetRequiredService<PromptLibrary>());
        return services;
    }

    public static IEndpointRouteBuilder MapPromptsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/prompts/{file}", (string file, PromptLibrary library) =>
                library.PathOf(file) is { } path
                    ? Results.File(path, "audio/wav", enableRangeProcessing: true)
                    : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such prompt"))
            .WithName("GetPrompt")
            .WithSummary("A rendered IVR prompt (WAV), fetched by Twilio's <Play>.");
        return routes;
    }
}
