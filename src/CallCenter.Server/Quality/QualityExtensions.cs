using CallCenter.Server.Hosting;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace CallCenter.Server.Quality;

/// <summary>Wires quality assurance: transcription of archived recordings, QA search, scoring, review plans.</summary>
public static class QualityExtensions
{
    public static IServiceCollection AddQuality(this IServiceCollection services)
    {
        services.AddOptions<TranscriptionOptions>().BindConfiguration(TranscriptionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient<AzureFastTranscription>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("azure-transcription", AzureTranscriptionPipeline);
        services.AddHttpClient<AzureBatchTranscription>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("azure-batch-transcription", AzureTranscriptionPipeline);
        services.AddSingleton<TranscriptionMetrics>();
        services.AddSingleton<Transcriber>();
        services.AddSingleton<TranscriptionWorker>();
        services.AddWorkerWhen<TranscriptionWorker, TranscriptionOptions>(o => o.RunWorker);
        return services;
    }

    public static IEndpointRouteBuilder MapQuality(this IEndpointRouteBuilder routes)
    {
        routes.MapQualityCallsApi();
        routes.MapEvaluationApi();
        routes.MapReviewPlanApi();
        routes.MapTranscriptionAudioLink();
        return routes;
    }

    private static void AzureTranscriptionPipeline(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, ResilienceHandlerContext context)
    {
        var attempt = context.ServiceProvider.GetRequiredService<IOptions<TranscriptionOptions>>().Value.AttemptTimeout;
        // Network waits are wall-clock time: the server's TimeProvider may run simulated (Simulation:ClockRate, tests).
        pipeline.TimeProvider = TimeProvider.System;
        // The standard handler's 10 s per attempt would never finish a long call: fast transcription takes minutes for one.
        pipeline.AddTimeout(attempt * 3)
            .AddRetry(new HttpRetryStrategyOptions { MaxRetryAttempts = 2, Delay = TimeSpan.FromMilliseconds(200), BackoffType = DelayBackoffType.Exponential, UseJitter = true })
            .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions { SamplingDuration = attempt * 2, MinimumThroughput = 5, BreakDuration = TimeSpan.FromSeconds(30) })
            .AddTimeout(attempt);
    }
}
