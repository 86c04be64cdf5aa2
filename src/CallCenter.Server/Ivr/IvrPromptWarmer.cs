using CallCenter.Core.Ivr;
using CallCenter.Server.Prompts;

namespace CallCenter.Server.Ivr;

/// <summary>
/// Renders every fixed prompt of every flow once the server is up, so callers hear synthesized audio
/// from the first call instead of Twilio's fallback voice. Runs in the background; start-up does not wait.
/// </summary>
public sealed class IvrPromptWarmer(IvrFlowCatalog flows, PromptLibrary prompts, ILogger<IvrPromptWarmer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (prompts.EngineName is null) return;
        var texts = PromptsOf(flows.Flows).ToList();
        try
        {
            await prompts.WarmAsync(texts, stoppingToken);
            logger.LogInformation("Rendered {Count} IVR prompts with {Engine}", texts.Count, prompts.EngineName);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not fatal: unrendered prompts are spoken by Twilio and rendered on first use.
            logger.LogWarning(ex, "Could not render all IVR prompts in advance");
        }
    }

    /// <summary>Every prompt text per language; texts with placeholders are filled per call and cannot be cached.</summary>
    public static IEnumerable<(string Text, string Language)> PromptsOf(IEnumerable<IvrFlow> flows) =>
        flows.SelectMany(flow => flow.Nodes.Values.SelectMany(n => n.Prompts.Values)
                .Concat(flow.Messages.Values)
                .Concat(flow.AfterHoursNotice is { } notice ? [notice] : []))
            .SelectMany(p => p.Texts.Select(t => (t.Value, t.Key)))
            .Where(p => !p.Value.Contains('{', StringComparison.Ordinal))
            .Distinct();
}
