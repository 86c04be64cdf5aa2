namespace CallCenter.Server.Knowledge;

/// <summary>Wires the knowledge base: search, articles, change notices, flags and pinned incident scripts.</summary>
public static class KnowledgeExtensions
{
    public static IServiceCollection AddKnowledgeBase(this IServiceCollection services)
    {
        services.AddSingleton<KnowledgeMetrics>();
        services.AddSingleton<KnowledgeSearch>();
        services.AddSingleton<KnowledgeNotifier>();
        services.AddScoped<KnowledgeArticles>();
        return services;
    }

    public static IEndpointRouteBuilder MapKnowledgeBase(this IEndpointRouteBuilder routes)
    {
        routes.MapKnowledgeApi();
        routes.MapChangeNoticeApi();
        routes.MapIncidentScriptApi();
        return routes;
    }
}
