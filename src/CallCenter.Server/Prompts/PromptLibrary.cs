using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Prompts;

/// <summary>
/// Synthesises each (text, language) once and keeps the WAV on disk. A webhook never waits for
/// synthesis: an unrendered prompt is queued and the caller hears Twilio's &lt;Say&gt; this once.
/// </summary>
public sealed class PromptLibrary : BackgroundService
{
    private readonly IPromptSynthesizer? _engine;
    private readonly string _directory;
    private readonly ILogger<PromptLibrary> _logger;
    private readonly ConcurrentDictionary<string, byte> _ready = new(StringComparer.Ordinal);
    // Counted apart: ConcurrentDictionary.Count takes all of the dictionary's locks, and every rendered IVR step asks for it.
    private int _readyCount;
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);
    private readonly Channel<(string Key, string Text, string Language)> _work = Channel.CreateUnbounded<(string, string, string)>();

    public PromptLibrary(IOptions<PromptOptions> options, IServiceProvider services, ILogger<PromptLibrary> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _directory = options.Value.ResolvedCacheDirectory;
        _logger = logger;
        _engine = SelectEngine(options.Value.Engine, services);
        Directory.CreateDirectory(_directory);
        foreach (var file in Directory.EnumerateFiles(_directory, "*.wav"))
            MarkReady(Path.GetFileNameWithoutExtension(file));
    }

    private void MarkReady(string key)
    {
        if (_ready.TryAdd(key, 0)) Interlocked.Increment(ref _readyCount);
    }

    private static IPromptSynthesizer? SelectEngine(string engine, IServiceProvider services) => engine.ToLowerInvariant() switch
    {
        "azure" => services.GetRequiredService<AzureSpeechSynthesizer>(),
        "espeak" => new EspeakSynthesizer(),
        "none" => null,
        _ when services.GetRequiredService<IOptions<AzureSpeechOptions>>().Value.IsConfigured => services.GetRequiredService<AzureSpeechSynthesizer>(),
        _ when EspeakSynthesizer.IsInstalled() => new EspeakSynthesizer(),
        _ => null,
    };

    /// <summary>The engine in use, or null when prompts are spoken by Twilio's &lt;Say&gt;.</summary>
    public string? EngineName => _engine?.Name;

    /// <summary>How many prompts are ready; it grows whenever one more is, so renderers can tell their cached TwiML is stale.</summary>
    public int ReadyCount => Volatile.Read(ref _readyCount);

    /// <summary>The cache file name for a prompt, e.g. 3f2a…c1.wav, or null if it is not rendered yet (it is then queued).</summary>
    public string? TryGetFileName(string text, string language)
    {
        if (_engine is null) return null;
        var key = Key(_engine.Name, text, language);
        if (_ready.ContainsKey(key)) return key + ".wav";
        if (_queued.TryAdd(key, 0)) _work.Writer.TryWrite((key, text, language));
        return null;
    }

    /// <summary>Renders every given prompt now; used at start-up for the flows' prompts and by tests.</summary>
    public async Task WarmAsync(IEnumerable<(string Text, string Language)> prompts, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (_engine is null) return;
        foreach (var (text, language) in prompts)
        {
            var key = Key(_engine.Name, text, language);
            if (!_ready.ContainsKey(key)) await RenderAsync(key, text, language, ct);
        }
    }

    /// <summary>Full path of a rendered prompt, or null for a name that is not one of ours.</summary>
    public string? PathOf(string fileName)
    {
        var key = Path.GetFileNameWithoutExtension(fileName);
        return fileName.EndsWith(".wav", StringComparison.Ordinal) && _ready.ContainsKey(key) ? Path.Combine(_directory, key + ".wav") : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (key, text, language) in _work.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await RenderAsync(key, text, language, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Left unqueued so a later call asks again; meanwhile callers hear <Say>.
                _logger.LogWarning(ex, "Prompt synthesis failed for {Language} prompt {Key}", language, key);
            }
            finally
            {
                _queued.TryRemove(key, out _);
            }
        }
    }

    private async Task RenderAsync(string key, string text, string language, CancellationToken ct)
    {
        var final = Path.Combine(_directory, key + ".wav");
        var temp = final + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await _engine!.SynthesizeAsync(text, language, file, ct);
                await file.FlushAsync(ct);
                file.Flush(flushToDisk: true);
            }
            // Rename is atomic: Twilio never fetches a half-written prompt.
            File.Move(temp, final, overwrite: true);
            MarkReady(key);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private static string Key(string engine, string text, string language) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{engine}\n{language}\n{text}")))[..32];
}
