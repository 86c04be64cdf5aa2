using CallCenter.Core.Ivr;

namespace CallCenter.Core.Tests.Ivr;

/// <summary>How a walked path ends.</summary>
public enum PathEnd
{
    Queue,
    Transfer,
    Hangup,
    LoopBack,
}

/// <summary>A node on a path: how many of the path's inputs were given before the caller got there, and in which language.</summary>
public sealed record PathStop(string NodeId, int InputsBefore, string Language);

/// <summary>One way through a flow: the inputs a caller gives and the nodes the flow graph says they visit.</summary>
public sealed record FlowPath(string File, string Name, IReadOnlyList<IvrInput> Inputs, IReadOnlyList<string> Nodes, IReadOnlyList<PathStop> Stops, string Language, PathEnd End, bool AfterHours)
{
    public override string ToString() => Name;
}

/// <summary>
/// Enumerates every path through a flow from its graph alone (not from the interpreter), so the interpreter
/// can be checked against it: each menu option, each language, verification success and lock-out,
/// self-service success and failure. A path stops where it returns to a node it already visited.
/// </summary>
internal static class FlowPaths
{
    /// <summary>Paths while the line is staffed, or (<paramref name="afterHours"/>) while it is closed.</summary>
    public static IEnumerable<FlowPath> Of(IvrFlow flow, bool afterHours = false)
    {
        var paths = new List<FlowPath>();
        new Walker(flow, afterHours, paths).Walk(flow.Start.Target, [], [], [], [], flow.DefaultLanguage, verified: false);
        return paths;
    }

    private sealed class Walker(IvrFlow flow, bool afterHours, List<FlowPath> paths)
    {
        public void Walk(string id, List<IvrInput> inputs, List<string> nodes, List<PathStop> stops, List<string> labels, string language, bool verified)
        {
            void Emit(PathEnd end, List<string> finalNodes) =>
                paths.Add(new FlowPath(flow.File, $"{Path.GetFileName(flow.File)}{(afterHours ? " after hours" : "")}: {string.Join(" > ", labels)} [{end}]", [.. inputs], finalNodes, [.. stops], language, end, afterHours));

            if (nodes.Contains(id))
            {
                labels.Add("back to " + id);
                Emit(PathEnd.LoopBack, [.. nodes, id]);
                labels.RemoveAt(labels.Count - 1);
                return;
            }

            nodes.Add(id);
            stops.Add(new PathStop(id, inputs.Count, language));
            var node = flow.Node(id);
            switch (node.Kind)
            {
                case NodeKind.Say:
                    Walk(node.Next!.Target, inputs, nodes, stops, labels, language, verified);
                    break;
                case NodeKind.Language:
                case NodeKind.Menu:
                    foreach (var option in node.Options)
                    {
                        var target = option.Target ?? node.Next!.Target;
                        Branch(target, inputs, nodes, stops, labels, $"{id}:{option.Key}", option.Language ?? language, verified, IvrInput.FromDigits(option.Key));
                    }

                    break;
                case NodeKind.Verify when verified:
                    Walk(node.Next!.Target, inputs, nodes, stops, labels, language, verified);
                    break;
                case NodeKind.Verify:
                    Branch(node.Next!.Target, inputs, nodes, stops, labels, $"{id}:ok", language, true,
                        IvrInput.FromDigits(CallDriver.Card + "#"), IvrInput.FromDigits(CallDriver.Pin), IvrInput.FromCore(new CoreResult(true, "C-1001")));
                    var lockOut = Enumerable.Range(0, node.MaxFailures)
                        .SelectMany(_ => new[] { IvrInput.FromDigits(CallDriver.Card + "#"), IvrInput.FromDigits(CallDriver.Pin), IvrInput.FromCore(new CoreResult(false)) })
                        .ToArray();
                    Branch(flow.Agent.Target, inputs, nodes, stops, labels, $"{id}:locked", language, verified, lockOut);
                    break;
                case NodeKind.SelfService:
                    var values = new Dictionary<string, string> { ["balance"] = "1024.50", ["transactions"] = "3", ["amount"] = "880.00" };
                    Branch(node.Next!.Target, inputs, nodes, stops, labels, $"{id}:ok", language, verified, IvrInput.FromCore(new CoreResult(true, Data: values)));
                    Branch(node.OnFailure?.Target ?? flow.Agent.Target, inputs, nodes, stops, labels, $"{id}:failed", language, verified, IvrInput.FromCore(new CoreResult(false)));
                    break;
                case NodeKind.Voicemail:
                    if (node.Next is { } next)
                        Branch(next.Target, inputs, nodes, stops, labels, $"{id}:recorded", language, verified, IvrInput.RecordingDone);
                    else
                        Emit(PathEnd.Hangup, [.. nodes]);
                    break;
                case NodeKind.Queue when afterHours:
                case NodeKind.Complaint when afterHours:
                    // Nobody staffs the queues: the interpreter sends the caller to the after-hours node instead.
                    Walk(flow.AfterHours.Target, inputs, nodes, stops, labels, language, verified);
                    break;
                case NodeKind.Queue:
                case NodeKind.Complaint:
                    Emit(PathEnd.Queue, [.. nodes]);
                    break;
                case NodeKind.Transfer:
                    Emit(PathEnd.Transfer, [.. nodes]);
                    break;
                case NodeKind.Hangup:
                case NodeKind.Survey:
                    Emit(PathEnd.Hangup, [.. nodes]);
                    break;
            }

            nodes.RemoveAt(nodes.Count - 1);
            stops.RemoveAt(stops.Count - 1);
        }

        private void Branch(string target, List<IvrInput> inputs, List<string> nodes, List<PathStop> stops, List<string> labels, string label, string language, bool verified, params IvrInput[] given)
        {
            inputs.AddRange(given);
            labels.Add(label);
            Walk(target, inputs, nodes, stops, labels, language, verified);
            labels.RemoveAt(labels.Count - 1);
            inputs.RemoveRange(inputs.Count - given.Length, given.Length);
        }
    }
}
