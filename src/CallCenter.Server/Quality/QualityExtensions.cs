using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Quality;

/// <summary>Wires quality assurance: transcription of archived recordings, QA search, scoring, review plans.</summary>
public static class QualityExtensions
{
    public static IServiceCollection AddQuality(this IServiceCollection services)
    {
        services.AddOptions<TranscriptionOptions>().BindConfiguration(TranscriptionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddHttpClient<AzureFastTranscription>(http => http.Timeout = Timeout.InfiniteTimeSpan)
            .AddStandardResilienceHandler()
            .Configure((resilience, sp) =>
            {
                // The pipeline owns time: a long recording takes minutes, so the defaults (10 s per attempt) would never finish one.
                var attempt = sp.GetRequiredService<IOptions<TranscriptionOptions>>().Value.AttemptTimeout;
                resilience.AttemptTimeout.Timeout = attempt;
                resilience.TotalRequestTimeout.Timeout = attempt * 3;
                resilience.CircuitBreaker.SamplingDuration = attempt * 2;
                resilience.Retry.MaxRetryAttempts = 2;
                resilience.Retry.Delay = TimeSpan.FromMilliseconds(200);
            });
        services.AddSingleton<TranscriptionMetrics>();
        services.AddSingleton<Transcriber>();
        services.AddSingleton<TranscriptionWorker>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<IOptions<TranscriptionOptions>>().Value.RunWorker
            ? sp.GetRequiredService<TranscriptionWorker>() : new IdleService());
        return services;
    }

    public static IEndpointRouteBuilder MapQuality(this IEndpointRouteBuilder routes)
    {
        routes.MapQualityCallsApi();
        routes.MapEvaluationApi();
        routes.MapReviewPlanApi();
        return routes;
    }

    /// <summary>Stands in for a worker this instance does not run.</summary>
    private sealed class IdleService : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
    }
}
