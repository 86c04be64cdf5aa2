namespace CallCenter.Server.Prompts;

/// <summary>Serves rendered prompts to Twilio's &lt;Play&gt;; they are public audio, not customer data.</summary>
public static class PromptsApi
{
    public static IServiceCollection AddPrompts(this IServiceCollection services)
    {
        services.AddOptions<PromptOptions>().BindConfiguration(PromptOptions.SectionName);
        services.AddOptions<AzureSpeechOptions>().BindConfiguration(AzureSpeechOptions.SectionName);
        services.AddHttpClient<AzureSpeechSynthesizer>().AddStandardResilienceHandler();
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
