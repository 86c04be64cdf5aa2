using System.Text.Json;
using CallCenter.Core.Ivr;

namespace CallCenter.Core.Tests.Ivr;

/// <summary>Every path of every shipped flow, run through the interpreter (the torture-test pattern: each data file is a case source).</summary>
public sealed class ShippedFlowPathTests
{
    private static readonly FlowValidationOptions Rules = new();

    private static IEnumerable<IvrFlow> ShippedFlows() => FlowFiles.Shipped().Select(FlowFiles.LoadValid);

    private static IEnumerable<TestCaseData> Paths() =>
        ShippedFlows().SelectMany(f => FlowPaths.Of(f).Concat(FlowPaths.Of(f, afterHours: true)))
            .Select(p => new TestCaseData(p).SetName("Path " + p.Name));

    /// <summary>Each menu-like node with the shortest input sequence reaching it, per language it can be heard in.</summary>
    private static IEnumerable<TestCaseData> Menus() =>
        ShippedFlows().SelectMany(flow => FlowPaths.Of(flow)
            .SelectMany(path => path.Stops
                .Where(stop => flow.Node(stop.NodeId).IsMenuLike)
                .Select(stop => new MenuReach(flow, stop.NodeId, stop.Language, [.. path.Inputs.Take(stop.InputsBefore)])))
            .GroupBy(m => (m.NodeId, m.Language))
            .Select(g => g.OrderBy(m => m.Inputs.Count).First()))
        .Select(m => new TestCaseData(m).SetName($"{Path.GetFileName(m.Flow.File)} {m.NodeId} ({m.Language})"));

    [TestCaseSource(nameof(Paths))]
    public void Every_path_visits_the_nodes_the_flow_graph_gives_and_ends_where_it_should(FlowPath path)
    {
        var flow = FlowFiles.LoadValid(path.File);
        var call = new CallDriver(flow, path.AfterHours ? CallDriver.AfterHours : CallDriver.OpenHours).Start();
        foreach (var input in path.Inputs)
            call.Send(input);

        Assert.Multiple(() =>
        {
            Assert.That(call.State.Path, Is.EqualTo(path.Nodes), "interpreter path");
            Assert.That(call.Events.Select(e => e.StepKey), Is.Unique, "event step keys");
            Assert.That(JsonSerializer.Serialize(call.Events), Does.Not.Contain(CallDriver.Card).And.Not.Contain(CallDriver.Pin), "no card number or PIN in events");
            Assert.That(call.Verbs.OfType<Say>().Select(s => s.Language).Distinct(), Is.EqualTo(new[] { path.Language }).Or.Empty, "language of the last prompts");
            var menus = path.Nodes.Distinct().Count(id => flow.Node(id).Kind == NodeKind.Menu);
            Assert.That(menus, Is.LessThanOrEqualTo(Rules.MaxDepth), "menu depth");
        });

        var last = call.Verbs[^1];
        switch (path.End)
        {
            case PathEnd.Queue:
                var queueNode = flow.Node(path.Nodes[^1]);
                Assert.That(last, Is.EqualTo(new Enqueue(queueNode.Queue!, queueNode.Skills, queueNode.Priority)).Using<Enqueue>(SameEnqueue));
                Assert.That(call.EventTypes, Does.Contain("ivr.queued"));
                break;
            case PathEnd.Transfer:
                Assert.That(last, Is.EqualTo(new Dial(flow.Node(path.Nodes[^1]).Number!)));
                break;
            case PathEnd.Hangup:
                Assert.That(last, Is.InstanceOf<Hangup>());
                break;
            case PathEnd.LoopBack:
                Assert.That(last, Is.InstanceOf<Gather>());
                Assert.That(call.State.NodeId, Is.EqualTo(path.Nodes[^1]));
                break;
        }

        Assert.That(call.State.Phase, Is.EqualTo(path.End == PathEnd.LoopBack ? IvrPhase.Choice : IvrPhase.Done));
    }

    [TestCaseSource(nameof(Menus))]
    public void Caller_pressing_zero_in_any_menu_reaches_an_agent(MenuReach menu)
    {
        var call = menu.Reach();

        call.Press("0");

        AssertAtAgent(menu.Flow, call, "key_0");
    }

    [TestCaseSource(nameof(Menus))]
    public void Caller_saying_the_agent_word_in_any_menu_reaches_an_agent(MenuReach menu)
    {
        var human = menu.Flow.Node(menu.NodeId).Options.Single(o => o.Key == "0");
        var words = (human.Words.GetValueOrDefault(menu.Language) ?? []).Concat(human.Words.GetValueOrDefault("*") ?? [])
            .Where(w => Rules.HumanWords.Any(h => w.Contains(h, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        Assert.That(words, Is.Not.Empty);

        foreach (var word in words)
        {
            var call = menu.Reach();
            call.Say(menu.Language == "zh-CN" ? $"我要{word}" : $"I want an {word} please");
            AssertAtAgent(menu.Flow, call, "spoken_agent");
        }
    }

    [TestCaseSource(nameof(Menus))]
    public void Silence_three_times_in_any_menu_reaches_an_agent(MenuReach menu)
    {
        var call = menu.Reach();

        call.Silence().Silence();
        Assert.That(call.Last<Gather>().Action, Is.EqualTo(call.State.Step.ToString(System.Globalization.CultureInfo.InvariantCulture)), "asked again after two silences");
        call.Silence();

        AssertAtAgent(menu.Flow, call, "no_input");
        Assert.That(call.EventTypes.Count(t => t == "ivr.no_input"), Is.EqualTo(menu.Flow.MaxRetries));
    }

    [TestCaseSource(nameof(Menus))]
    public void Invalid_keys_three_times_in_any_menu_reach_an_agent(MenuReach menu)
    {
        var unused = "123456789*#".First(k => menu.Flow.Node(menu.NodeId).Options.All(o => o.Key[0] != k)).ToString();
        var call = menu.Reach();

        call.Press(unused).Press(unused).Press(unused);

        AssertAtAgent(menu.Flow, call, "invalid_input");
    }

    [Test]
    public void Every_shipped_flow_has_paths_and_every_node_is_on_one_of_them()
    {
        foreach (var flow in ShippedFlows())
        {
            var visited = FlowPaths.Of(flow).Concat(FlowPaths.Of(flow, afterHours: true)).SelectMany(p => p.Nodes).ToHashSet();
            var hostEntered = flow.Survey is null ? [] : new[] { flow.Survey.Target }.Concat(Reachable(flow, flow.Survey.Target));
            Assert.That(flow.Nodes.Keys.Except(visited).Except(hostEntered), Is.Empty, $"{flow.File}: nodes no caller can reach");
        }
    }

    private static IEnumerable<string> Reachable(IvrFlow flow, string from) =>
        flow.Node(from).Links.Select(l => l.Target).SelectMany(t => new[] { t }.Concat(Reachable(flow, t)));

    private static bool SameEnqueue(Enqueue a, Enqueue b) =>
        a.Queue == b.Queue && a.Priority == b.Priority && a.Skills.SequenceEqual(b.Skills);

    private static void AssertAtAgent(IvrFlow flow, CallDriver call, string reason)
    {
        var agent = flow.Node(flow.Agent.Target);
        Assert.Multiple(() =>
        {
            Assert.That(call.Verbs[^1], Is.EqualTo(new Enqueue(agent.Queue!, agent.Skills, agent.Priority)).Using<Enqueue>(SameEnqueue));
            Assert.That(call.State.NodeId, Is.EqualTo(flow.Agent.Target));
            Assert.That(call.Events.Where(e => e.Type == "ivr.agent_requested").Select(e => e.Data["reason"]), Is.EqualTo(new[] { reason }));
        });
    }
}

/// <summary>A menu and the inputs that bring a caller to it in one language.</summary>
public sealed record MenuReach(IvrFlow Flow, string NodeId, string Language, IReadOnlyList<IvrInput> Inputs)
{
    internal CallDriver Reach()
    {
        var call = new CallDriver(Flow).Start();
        foreach (var input in Inputs)
            call.Send(input);
        Assert.That(call.State.NodeId, Is.EqualTo(NodeId), "the prefix reaches the menu");
        Assert.That(call.State.Language, Is.EqualTo(Language));
        return call;
    }

    public override string ToString() => $"{NodeId} ({Language})";
}
