using CallCenter.Core.Calendars;

namespace CallCenter.Core.Ivr;

/// <summary>What a flow node does when the call reaches it.</summary>
public enum NodeKind
{
    /// <summary>Speak a prompt, then go on to <c>next</c>.</summary>
    Say,
    /// <summary>A voice menu: options by key and by spoken keywords.</summary>
    Menu,
    /// <summary>A menu whose options choose the call's language.</summary>
    Language,
    /// <summary>Security check against the bank's core system (card number + PIN).</summary>
    Verify,
    /// <summary>A self-service transaction done by the bank's core system.</summary>
    SelfService,
    /// <summary>Hand the call to an agent queue.</summary>
    Queue,
    /// <summary>Hand the call to the complaint desk (a queue that also logs a complaint).</summary>
    Complaint,
    /// <summary>Record a voicemail / callback request.</summary>
    Voicemail,
    /// <summary>Post-call satisfaction survey (score 1–5).</summary>
    Survey,
    /// <summary>Transfer to an external number.</summary>
    Transfer,
    /// <summary>Say goodbye and hang up.</summary>
    Hangup,
}

/// <summary>A prompt with one text per language, and the YAML line it came from.</summary>
public sealed record Prompt(IReadOnlyDictionary<string, string> Texts, int Line)
{
    /// <summary>The text in <paramref name="language"/>, or null when the flow lacks it.</summary>
    public string? In(string language) => Texts.TryGetValue(language, out var text) ? text : null;
}

/// <summary>One option of a menu or language choice.</summary>
/// <param name="Key">The DTMF key.</param>
/// <param name="Words">Spoken keywords per language that select this option.</param>
/// <param name="Target">Node to go to (menus); null for a language choice.</param>
/// <param name="Language">Language chosen (language nodes only).</param>
/// <param name="Line">YAML line of the option.</param>
public sealed record MenuOption(
    string Key,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Words,
    string? Target,
    string? Language,
    int Line)
{
    /// <summary>Every keyword in every language.</summary>
    public IEnumerable<string> AllWords => Words.Values.SelectMany(w => w);
}

/// <summary>A reference from a node (or the flow) to another node, kept with its line for messages.</summary>
public sealed record NodeLink(string Field, string Target, int Line);

/// <summary>One node of a flow. Fields a kind does not use stay null.</summary>
public sealed record FlowNode
{
    /// <summary>Node id, unique in the flow.</summary>
    public required string Id { get; init; }

    /// <summary>What the node does.</summary>
    public required NodeKind Kind { get; init; }

    /// <summary>YAML line of the node's key.</summary>
    public required int Line { get; init; }

    /// <summary>Prompts by field name (<c>prompt</c>, <c>card</c>, <c>pin</c>, <c>failure</c>, <c>success</c>, ...).</summary>
    public IReadOnlyDictionary<string, Prompt> Prompts { get; init; } = new Dictionary<string, Prompt>();

    /// <summary>Next node after say / language / verify / self-service / voicemail / survey.</summary>
    public NodeLink? Next { get; init; }

    /// <summary>Where a failed self-service transaction goes (default: the human option).</summary>
    public NodeLink? OnFailure { get; init; }

    /// <summary>Options of a menu or language node.</summary>
    public IReadOnlyList<MenuOption> Options { get; init; } = [];

    /// <summary>Core-system action of a self-service node.</summary>
    public SelfServiceAction? Action { get; init; }

    /// <summary>Queue name of a queue / complaint node.</summary>
    public string? Queue { get; init; }

    /// <summary>Skills required of the agent.</summary>
    public IReadOnlyList<string> Skills { get; init; } = [];

    /// <summary>Queue priority; higher is served first.</summary>
    public int Priority { get; init; }

    /// <summary>External number of a transfer node (E.164).</summary>
    public string? Number { get; init; }

    /// <summary>Longest voicemail recording.</summary>
    public int MaxSeconds { get; init; } = 120;

    /// <summary>Whether a voicemail node asks for a callback (rather than only leaving a message).</summary>
    public bool Callback { get; init; }

    /// <summary>Verification failures that lock self-service for the call.</summary>
    public int MaxFailures { get; init; } = 3;

    /// <summary>Per-node override of the flow's retry limit.</summary>
    public int? MaxRetries { get; init; }

    /// <summary>Where retries run out (must be the human option; kept so the validator can reject anything else).</summary>
    public NodeLink? OnRetriesExhausted { get; init; }

    /// <summary>Every link out of this node, including menu options.</summary>
    public IEnumerable<NodeLink> Links
    {
        get
        {
            if (Next is not null) yield return Next;
            if (OnFailure is not null) yield return OnFailure;
            if (OnRetriesExhausted is not null) yield return OnRetriesExhausted;
            foreach (var option in Options)
            {
                if (option.Target is not null)
                    yield return new NodeLink($"option {option.Key}", option.Target, option.Line);
            }
        }
    }

    /// <summary>Whether the node waits for caller input with a menu-like gather.</summary>
    public bool IsMenuLike => Kind is NodeKind.Menu or NodeKind.Language;

    /// <summary>Nodes that end the IVR part of a call: the caller reaches a person, a recorder, or is let go.</summary>
    public bool IsExit => Kind is NodeKind.Queue or NodeKind.Complaint or NodeKind.Transfer
        or NodeKind.Hangup or NodeKind.Voicemail;
}

/// <summary>Self-service actions that the bank's core system performs.</summary>
public enum SelfServiceAction
{
    /// <summary>Account balance.</summary>
    Balance,
    /// <summary>Recent transactions.</summary>
    RecentTransactions,
    /// <summary>Report a card lost and block it.</summary>
    ReportLoss,
    /// <summary>Pay the outstanding card bill from the linked account.</summary>
    BillPayment,
}

/// <summary>A parsed IVR flow: one hotline.</summary>
public sealed record IvrFlow
{
    /// <summary>Flow id (also the default queue prefix).</summary>
    public required string Id { get; init; }

    /// <summary>File the flow came from, as given to the loader (for messages).</summary>
    public required string File { get; init; }

    /// <summary>Dialled numbers (E.164) this flow answers; the host picks the flow by Twilio's <c>To</c>.</summary>
    public IReadOnlyList<string> Numbers { get; init; } = [];

    /// <summary>Offered languages (BCP-47, e.g. zh-CN, en-US).</summary>
    public required IReadOnlyList<string> Languages { get; init; }

    /// <summary>Language used until the caller chooses.</summary>
    public required string DefaultLanguage { get; init; }

    /// <summary>No-input / invalid input attempts before the caller is sent to the human option.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>YAML line of <c>max-retries</c> (or of the flow) for messages.</summary>
    public int MaxRetriesLine { get; init; } = 1;

    /// <summary>Seconds a gather waits for input.</summary>
    public int TimeoutSeconds { get; init; } = 5;

    /// <summary>First node.</summary>
    public required NodeLink Start { get; init; }

    /// <summary>The main menu (level 1; where the emergency announcement plays and where ads are checked).</summary>
    public required NodeLink MainMenu { get; init; }

    /// <summary>The human target while the line is open.</summary>
    public required NodeLink Agent { get; init; }

    /// <summary>The human target while the line is closed (voicemail / callback request).</summary>
    public required NodeLink AfterHours { get; init; }

    /// <summary>Optional post-call survey node, entered by the host after the agent leg ends.</summary>
    public NodeLink? Survey { get; init; }

    /// <summary>Optional notice played before the main menu while the line is closed.</summary>
    public Prompt? AfterHoursNotice { get; init; }

    /// <summary>Flow-wide messages by name: <c>no-input</c>, <c>invalid</c>, <c>not-understood</c>.</summary>
    public IReadOnlyDictionary<string, Prompt> Messages { get; init; } = new Dictionary<string, Prompt>();

    /// <summary>The line's business calendar.</summary>
    public BusinessCalendar Calendar { get; init; } = BusinessCalendar.AlwaysOpen;

    /// <summary>Nodes by id.</summary>
    public required IReadOnlyDictionary<string, FlowNode> Nodes { get; init; }

    /// <summary>Flow-level links (start, main-menu, agent, after-hours, survey).</summary>
    public IEnumerable<NodeLink> Links
    {
        get
        {
            yield return Start;
            yield return MainMenu;
            yield return Agent;
            yield return AfterHours;
            if (Survey is not null) yield return Survey;
        }
    }

    /// <summary>The node with <paramref name="id"/>; throws for an unknown id (validated flows have none).</summary>
    public FlowNode Node(string id) =>
        Nodes.TryGetValue(id, out var node) ? node : throw new KeyNotFoundException($"Flow '{Id}' has no node '{id}'.");
}
