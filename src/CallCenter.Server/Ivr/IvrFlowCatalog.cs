using CallCenter.Core.Ivr;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Ivr;

/// <summary>
/// The flows the server answers with. Built at start-up (an invalid flow stops the server) and rebuilt
/// when a flow file changes; a bad edit is logged and the last good flows keep serving.
/// </summary>
public sealed class IvrFlowCatalog : IDisposable
{
    private sealed record Snapshot(FlowCatalog Catalog, IReadOnlyDictionary<string, IvrInterpreter> Interpreters);

    private readonly string _directory;
    private readonly IvrOptions _interpreterOptions;
    private readonly ILogger<IvrFlowCatalog> _logger;
    private readonly FileSystemWatcher _watcher;
    private readonly Timer _debounce;
    private volatile Snapshot _current;

    public IvrFlowCatalog(IOptions<IvrHostOptions> options, IHostEnvironment environment, ILogger<IvrFlowCatalog> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        _logger = logger;
        _directory = ResolveDirectory(options.Value.FlowsDirectory, environment.ContentRootPath);
        _interpreterOptions = new IvrOptions { ConfidenceFloor = options.Value.ConfidenceFloor };
        var first = Build();
        if (first is not { Catalog.IsValid: true })
        {
            throw new InvalidOperationException("Invalid IVR flows; the server will not start:" + Environment.NewLine +
                string.Join(Environment.NewLine, (first?.Catalog.Errors ?? []).Select(e => "  " + e)));
        }
        _current = first;
        _logger.LogInformation("IVR flows loaded from {Directory}: {Flows}", _directory, _current.Interpreters.Keys);

        // Editors save in bursts (temp file, rename); reload once things are quiet.
        _debounce = new Timer(_ => Reload());
        _watcher = new FileSystemWatcher(_directory, "*.yaml") { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
        FileSystemEventHandler changed = (_, _) => _debounce.Change(TimeSpan.FromMilliseconds(300), Timeout.InfiniteTimeSpan);
        _watcher.Changed += changed;
        _watcher.Created += changed;
        _watcher.Deleted += changed;
        _watcher.Renamed += (_, _) => _debounce.Change(TimeSpan.FromMilliseconds(300), Timeout.InfiniteTimeSpan);
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>Raised after each reload attempt with whether the new files were taken.</summary>
    public event Action<bool>? Reloaded;

    public IReadOnlyCollection<IvrFlow> Flows => [.. _current.Catalog.Flows];

    /// <summary>The interpreter for the flow answering a dialled number, or null if no flow does.</summary>
    public IvrInterpreter? ForNumber(string dialled) =>
        _current.Catalog.ForNumber(dialled) is { } flow ? _current.Interpreters[flow.Id] : null;

    public IvrInterpreter? ForFlow(string flowId) => _current.Interpreters.GetValueOrDefault(flowId);

    private Snapshot? Build()
    {
        try
        {
            var files = Directory.EnumerateFiles(_directory, "*.yaml").Order(StringComparer.Ordinal)
                .Select(path => (Path.GetRelativePath(Directory.GetParent(_directory)!.FullName, path), File.ReadAllText(path)))
                .ToList();
            var catalog = FlowCatalog.Build(files);
            var interpreters = catalog.IsValid
                ? catalog.Flows.ToDictionary(f => f.Id, f => new IvrInterpreter(f, _interpreterOptions), StringComparer.Ordinal)
                : new Dictionary<string, IvrInterpreter>();
            return new Snapshot(catalog, interpreters);
        }
        catch (IOException ex)
        {
            _logger.LogWarning(ex, "Could not read IVR flows from {Directory}", _directory);
            return null;
        }
    }

    private void Reload()
    {
        var next = Build();
        if (next is { Catalog.IsValid: true })
        {
            _current = next;
            _logger.LogInformation("IVR flows reloaded: {Flows}", next.Interpreters.Keys);
            Reloaded?.Invoke(true);
            return;
        }
        foreach (var error in next?.Catalog.Errors ?? [])
            _logger.LogError("IVR flow rejected, the last good flows keep serving: {Error}", error.ToString());
        Reloaded?.Invoke(false);
    }

    private static string ResolveDirectory(string? configured, string contentRoot)
    {
        if (!string.IsNullOrWhiteSpace(configured))
            return Directory.Exists(configured) ? Path.GetFullPath(configured)
                : throw new InvalidOperationException($"Ivr:FlowsDirectory '{configured}' does not exist.");
        for (var dir = new DirectoryInfo(contentRoot); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "ivr-flows");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException($"No ivr-flows folder above {contentRoot}; set Ivr:FlowsDirectory.");
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _debounce.Dispose();
    }
}
