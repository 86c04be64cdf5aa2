namespace CallCenter.Core.Ivr;

/// <summary>
/// All flows of a deployment, validated together: what the server builds at start-up from the files it
/// read (this type does no I/O) and what the CLI checks. Adds the cross-file rules: unique ids and numbers.
/// </summary>
public sealed class FlowCatalog
{
    private readonly Dictionary<string, IvrFlow> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IvrFlow> _byNumber = new(StringComparer.Ordinal);

    private FlowCatalog(IReadOnlyList<FlowCheck> files, IReadOnlyList<FlowError> errors)
    {
        Files = files;
        Errors = errors;
    }

    /// <summary>Each file's own result.</summary>
    public IReadOnlyList<FlowCheck> Files { get; }

    /// <summary>Every error of every file plus the cross-file ones; empty when the catalog is usable.</summary>
    public IReadOnlyList<FlowError> Errors { get; }

    /// <summary>True when every file is valid and ids and numbers are unique.</summary>
    public bool IsValid => Errors.Count == 0 && Files.Count > 0;

    /// <summary>The valid flows.</summary>
    public IEnumerable<IvrFlow> Flows => _byId.Values;

    /// <summary>Validates every (file name, YAML text) pair.</summary>
    public static FlowCatalog Build(IEnumerable<(string File, string Yaml)> files, FlowValidationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        var validator = new FlowValidator(options);
        var checks = files.Select(f => validator.Validate(f.Yaml, f.File)).ToList();
        var errors = checks.SelectMany(c => c.Errors).ToList();
        var byId = new Dictionary<string, IvrFlow>(StringComparer.Ordinal);
        var byNumber = new Dictionary<string, IvrFlow>(StringComparer.Ordinal);
        foreach (var flow in checks.Where(c => c.IsValid).Select(c => c.Flow!))
        {
            if (!byId.TryAdd(flow.Id, flow))
                errors.Add(new FlowError(flow.File, 1, null, $"flow id '{flow.Id}' is also used by {byId[flow.Id].File}"));
            foreach (var number in flow.Numbers.Where(n => !byNumber.TryAdd(n, flow)))
                errors.Add(new FlowError(flow.File, 1, null, $"number {number} is also answered by {byNumber[number].File}"));
        }

        var catalog = new FlowCatalog(checks, errors);
        foreach (var (id, flow) in byId) catalog._byId[id] = flow;
        foreach (var (number, flow) in byNumber) catalog._byNumber[number] = flow;
        return catalog;
    }

    /// <summary>The flow with this id, or null.</summary>
    public IvrFlow? ById(string id) => _byId.GetValueOrDefault(id);

    /// <summary>
    /// The flow answering the dialled number; with a single flow and no numbers configured, that flow
    /// answers everything, so a one-line deployment needs no number mapping.
    /// </summary>
    public IvrFlow? ForNumber(string dialled)
    {
        if (_byNumber.TryGetValue(dialled, out var flow))
            return flow;
        return _byId.Count == 1 && _byNumber.Count == 0 ? _byId.Values.Single() : null;
    }
}
