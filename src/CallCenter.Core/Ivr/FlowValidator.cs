namespace CallCenter.Core.Ivr;

/// <summary>Thresholds and word lists the validator enforces; defaults follow the service-channel rules.</summary>
public sealed record FlowValidationOptions
{
    /// <summary>Deepest menu level allowed (main menu = 1).</summary>
    public int MaxDepth { get; init; } = 3;

    /// <summary>Most no-input / invalid attempts a caller may be made to go through before reaching a person.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>Words that mean "a person, please"; the key-0 option must carry one in every offered language.</summary>
    public IReadOnlyList<string> HumanWords { get; init; } = ["人工", "客服", "agent", "representative", "operator"];

    /// <summary>Words that mark a prompt as advertising, not allowed in or before the main menu.</summary>
    public IReadOnlyList<string> PromotionalWords { get; init; } =
        ["优惠", "促销", "理财产品推荐", "特惠", "限时", "offer", "promotion", "discount", "limited time"];
}

/// <summary>
/// Checks a flow against the service-channel rules (shallow menus, easy human option, no ads in the main menu,
/// complete translations, existing targets, no trapping loops, money behind verification). Pure; collects every error.
/// </summary>
public sealed class FlowValidator(FlowValidationOptions? options = null)
{
    private readonly FlowValidationOptions _options = options ?? new FlowValidationOptions();

    /// <summary>Loads and validates one flow file's text; <paramref name="file"/> is only used in messages.</summary>
    public FlowCheck Validate(string yaml, string file)
    {
        var loaded = FlowLoader.Load(yaml, file);
        if (loaded.Flow is null)
            return loaded;
        var errors = loaded.Errors.Concat(Validate(loaded.Flow))
            .OrderBy(e => e.Line).ThenBy(e => e.Message, StringComparer.Ordinal)
            .ToList();
        return loaded with { Errors = errors };
    }

    /// <summary>The rule violations of an already loaded flow.</summary>
    public IReadOnlyList<FlowError> Validate(IvrFlow flow)
    {
        var errors = new List<FlowError>();
        void Add(int line, string? node, string message) => errors.Add(new FlowError(flow.File, line, node, message));

        CheckTargets(flow, Add);
        CheckRoles(flow, Add);
        CheckPrompts(flow, Add);
        CheckHumanOption(flow, Add);
        CheckRetries(flow, Add);
        CheckDepth(flow, Add);
        CheckPromotion(flow, Add);
        CheckVerificationBeforeMoney(flow, Add);
        CheckLoops(flow, Add);
        return errors;
    }

    private static bool Exists(IvrFlow flow, NodeLink link) => flow.Nodes.ContainsKey(link.Target);

    private static void CheckTargets(IvrFlow flow, Action<int, string?, string> add)
    {
        foreach (var link in flow.Links.Where(l => l.Target.Length > 0 && !Exists(flow, l)))
            add(link.Line, null, $"{link.Field} target '{link.Target}' does not exist");

        foreach (var node in flow.Nodes.Values)
        {
            foreach (var link in node.Links.Where(l => !Exists(flow, l)))
                add(link.Line, node.Id, $"{link.Field} target '{link.Target}' does not exist");

            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var option in node.Options.Where(o => !keys.Add(o.Key)))
                add(option.Line, node.Id, $"key {option.Key} is used twice");

            foreach (var option in node.Options.Where(o => o.Language is not null && !flow.Languages.Contains(o.Language)))
                add(option.Line, node.Id, $"option {option.Key} chooses '{option.Language}', which the flow does not offer");
        }
    }

    private static void CheckRoles(IvrFlow flow, Action<int, string?, string> add)
    {
        void Expect(NodeLink? link, string role, params NodeKind[] kinds)
        {
            if (link is not null && flow.Nodes.TryGetValue(link.Target, out var node) && !kinds.Contains(node.Kind))
                add(link.Line, node.Id, $"the {role} must be a {string.Join(" or ", kinds.Select(k => k.ToString().ToLowerInvariant()))} node");
        }

        Expect(flow.MainMenu, "main menu", NodeKind.Menu);
        Expect(flow.Agent, "agent target", NodeKind.Queue);
        Expect(flow.AfterHours, "after-hours human option", NodeKind.Voicemail, NodeKind.Transfer);
        Expect(flow.Survey, "survey", NodeKind.Survey);

        // The emergency announcement is played on the way into the main menu, so callers must pass it.
        if (Exists(flow, flow.Start) && Exists(flow, flow.MainMenu) && flow.Start.Target != flow.MainMenu.Target
            && !Reach(flow, flow.Start.Target).Contains(flow.MainMenu.Target))
            add(flow.MainMenu.Line, null, $"main menu '{flow.MainMenu.Target}' cannot be reached from start '{flow.Start.Target}'");
    }

    private static void CheckPrompts(IvrFlow flow, Action<int, string?, string> add)
    {
        void Check(Prompt prompt, string? node, string field)
        {
            foreach (var language in flow.Languages.Where(l => prompt.In(l) is null))
                add(prompt.Line, node, $"prompt '{field}' is missing in {language}");
        }

        foreach (var (name, prompt) in flow.Messages)
            Check(prompt, null, $"messages.{name}");
        if (flow.AfterHoursNotice is not null)
            Check(flow.AfterHoursNotice, null, "after-hours-notice");
        foreach (var node in flow.Nodes.Values)
        {
            foreach (var (field, prompt) in node.Prompts)
                Check(prompt, node.Id, field);
        }
    }

    private void CheckHumanOption(IvrFlow flow, Action<int, string?, string> add)
    {
        foreach (var node in flow.Nodes.Values.Where(n => n.IsMenuLike))
        {
            var what = node.Kind == NodeKind.Menu ? "menu" : "language choice";
            var human = node.Options.FirstOrDefault(o => o.Key == "0");
            if (human is null)
            {
                add(node.Line, node.Id, $"{what} lacks the human option (key 0)");
                continue;
            }

            if (human.Target != flow.Agent.Target)
                add(human.Line, node.Id, $"the human option (key 0) must lead to the agent node '{flow.Agent.Target}'");

            foreach (var language in flow.Languages)
            {
                var words = (human.Words.GetValueOrDefault(language) ?? []).Concat(human.Words.GetValueOrDefault("*") ?? []);
                if (!words.Any(IsHumanWord))
                    add(human.Line, node.Id, $"{what} lacks the spoken human option in {language} (key 0 needs one of: {string.Join(", ", _options.HumanWords)})");
            }
        }
    }

    private bool IsHumanWord(string word) =>
        _options.HumanWords.Any(h => word.Contains(h, StringComparison.OrdinalIgnoreCase));

    private void CheckRetries(IvrFlow flow, Action<int, string?, string> add)
    {
        if (flow.MaxRetries < 1 || flow.MaxRetries > _options.MaxRetries)
            add(flow.MaxRetriesLine, null, $"max-retries {flow.MaxRetries}: no-input or invalid input must end at an agent after 1 to {_options.MaxRetries} attempts");

        foreach (var node in flow.Nodes.Values)
        {
            if (node.MaxRetries is { } n && (n < 1 || n > _options.MaxRetries))
                add(node.Line, node.Id, $"max-retries {n}: no-input or invalid input must end at an agent after 1 to {_options.MaxRetries} attempts");
            if (node.OnRetriesExhausted is { } link && link.Target != flow.Agent.Target)
                add(link.Line, node.Id, $"repeated no-input or invalid input ends at '{link.Target}', not at an agent ('{flow.Agent.Target}')");
        }
    }

    private void CheckDepth(IvrFlow flow, Action<int, string?, string> add)
    {
        // A menu's level is the most menus a caller can pass through to reach it without going round
        // in a circle ("back" options end a path, they do not deepen it); main menu = 1.
        if (!flow.Nodes.ContainsKey(flow.Start.Target))
            return;
        var deepest = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var onPath = new HashSet<string>(StringComparer.Ordinal);
        var menus = new List<string>();
        Walk(flow.Start.Target);

        foreach (var (id, chain) in deepest.Where(kv => kv.Value.Count > _options.MaxDepth).OrderBy(kv => flow.Node(kv.Key).Line))
            add(flow.Node(id).Line, id, $"menu is {chain.Count} levels deep (at most {_options.MaxDepth}): {string.Join(" > ", chain)}");

        void Walk(string id)
        {
            if (!onPath.Add(id))
                return;
            var node = flow.Node(id);
            var isMenu = node.Kind == NodeKind.Menu;
            if (isMenu)
            {
                menus.Add(id);
                if (!deepest.TryGetValue(id, out var known) || known.Count < menus.Count)
                    deepest[id] = [.. menus];
            }

            // Past the limit the error is already recorded; going deeper only repeats it.
            if (menus.Count <= _options.MaxDepth)
            {
                foreach (var link in node.Links.Where(l => Exists(flow, l)))
                    Walk(link.Target);
            }

            if (isMenu)
                menus.RemoveAt(menus.Count - 1);
            onPath.Remove(id);
        }
    }

    private void CheckPromotion(IvrFlow flow, Action<int, string?, string> add)
    {
        if (!flow.Nodes.TryGetValue(flow.MainMenu.Target, out var main))
            return;

        // What the caller hears up to and including the main menu: no node past it is "the main menu".
        var heard = new List<FlowNode>();
        if (flow.Nodes.ContainsKey(flow.Start.Target))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var stack = new Stack<string>([flow.Start.Target]);
            while (stack.Count > 0)
            {
                var id = stack.Pop();
                if (!seen.Add(id)) continue;
                var node = flow.Node(id);
                heard.Add(node);
                if (id == main.Id || node.IsExit) continue;
                foreach (var link in node.Links.Where(l => Exists(flow, l)))
                    stack.Push(link.Target);
            }
        }

        if (!heard.Contains(main))
            heard.Add(main);

        foreach (var node in heard)
        {
            foreach (var (field, prompt) in node.Prompts)
            {
                foreach (var (language, text) in prompt.Texts)
                {
                    var word = _options.PromotionalWords.FirstOrDefault(w => text.Contains(w, StringComparison.OrdinalIgnoreCase));
                    if (word is null) continue;
                    var where = node == main ? "main menu" : "prompt before the main menu";
                    add(prompt.Line, node.Id, $"{where} holds a promotional prompt ('{word}' in {field}, {language})");
                }
            }
        }

        if (flow.AfterHoursNotice is { } notice)
        {
            foreach (var (language, text) in notice.Texts)
            {
                var word = _options.PromotionalWords.FirstOrDefault(w => text.Contains(w, StringComparison.OrdinalIgnoreCase));
                if (word is not null)
                    add(notice.Line, null, $"after-hours notice before the main menu holds a promotional prompt ('{word}', {language})");
            }
        }
    }

    private static void CheckVerificationBeforeMoney(IvrFlow flow, Action<int, string?, string> add)
    {
        if (!flow.Nodes.ContainsKey(flow.Start.Target))
            return;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([flow.Start.Target]);
        while (stack.Count > 0)
        {
            var id = stack.Pop();
            if (!seen.Add(id)) continue;
            var node = flow.Node(id);
            if (node.Kind == NodeKind.Verify) continue;
            if (node.Kind == NodeKind.SelfService)
            {
                add(node.Line, node.Id, "self-service transaction is reachable without passing a verify node");
                continue;
            }

            foreach (var link in node.Links.Where(l => Exists(flow, l)))
                stack.Push(link.Target);
        }
    }

    private static void CheckLoops(IvrFlow flow, Action<int, string?, string> add)
    {
        // Nodes that can reach an exit over explicit links; everything else is a dead end or a trap.
        var incoming = flow.Nodes.Keys.ToDictionary(k => k, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var node in flow.Nodes.Values)
        {
            foreach (var link in node.Links.Where(l => Exists(flow, l)))
                incoming[link.Target].Add(node.Id);
        }

        var canExit = new HashSet<string>(flow.Nodes.Values.Where(n => n.IsExit).Select(n => n.Id), StringComparer.Ordinal);
        var work = new Queue<string>(canExit);
        while (work.Count > 0)
        {
            foreach (var from in incoming[work.Dequeue()].Where(canExit.Add))
                work.Enqueue(from);
        }

        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in flow.Nodes.Values.Where(n => !canExit.Contains(n.Id)).OrderBy(n => n.Line))
        {
            if (reported.Contains(node.Id)) continue;
            var forward = Reach(flow, node.Id);
            if (!forward.Contains(node.Id)) continue;
            var cycle = forward.Where(other => Reach(flow, other).Contains(node.Id)).OrderBy(id => flow.Node(id).Line).ToList();
            reported.UnionWith(cycle);
            add(node.Line, node.Id, $"loop has no exit (no queue, hangup or transfer reachable): {string.Join(" > ", cycle)} > {cycle[0]}");
        }
    }

    private static HashSet<string> Reach(IvrFlow flow, string from)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(flow.Node(from).Links.Where(l => Exists(flow, l)).Select(l => l.Target));
        while (stack.Count > 0)
        {
            var id = stack.Pop();
            if (!seen.Add(id)) continue;
            foreach (var link in flow.Node(id).Links.Where(l => Exists(flow, l)))
                stack.Push(link.Target);
        }

        return seen;
    }
}
