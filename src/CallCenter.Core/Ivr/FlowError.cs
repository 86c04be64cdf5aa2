namespace CallCenter.Core.Ivr;

/// <summary>One problem found in a flow file, pointing at the file, line and node.</summary>
public sealed record FlowError(string File, int Line, string? NodeId, string Message)
{
    /// <summary>Formats as <c>file:line: node 'id': message</c>, the shape editors and CI logs link from.</summary>
    public override string ToString() =>
        NodeId is null ? $"{File}:{Line}: {Message}" : $"{File}:{Line}: node '{NodeId}': {Message}";
}

/// <summary>The outcome of loading or validating one flow file: the flow when it could be built, and every error.</summary>
public sealed record FlowCheck(string File, IvrFlow? Flow, IReadOnlyList<FlowError> Errors)
{
    /// <summary>True when the file loaded and broke no rule.</summary>
    public bool IsValid => Flow is not null && Errors.Count == 0;
}
