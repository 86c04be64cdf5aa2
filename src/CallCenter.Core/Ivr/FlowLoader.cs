using System.Globalization;
using CallCenter.Core.Calendars;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CallCenter.Core.Ivr;

/// <summary>
/// Reads a flow from YAML text into an <see cref="IvrFlow"/>, keeping line numbers for every message.
/// Lenient on purpose: it builds as much of the flow as it can and reports every structural error,
/// so one run of the validator shows an author all of them.
/// </summary>
public static class FlowLoader
{
    private static readonly HashSet<string> FlowKeys =
    [
        "id", "name", "numbers", "languages", "default-language", "max-retries", "timeout-seconds", "start", "main-menu",
        "agent", "after-hours", "after-hours-notice", "survey", "calendar", "messages", "nodes",
    ];

    private static readonly HashSet<string> PromptFields =
        ["prompt", "card", "pin", "failure", "success", "locked", "thanks"];

    private static readonly HashSet<string> NodeKeys =
    [
        "kind", "next", "on-failure", "on-retries-exhausted", "options", "action", "queue", "skills", "priority",
        "number", "max-seconds", "callback", "max-failures", "max-retries", .. PromptFields,
    ];

    /// <summary>Flow-level messages every flow must carry in every offered language.</summary>
    public static IReadOnlyList<string> RequiredMessages { get; } = ["no-input", "invalid", "not-understood"];

    /// <summary>Parses <paramref name="yaml"/>; <paramref name="file"/> is only used in messages.</summary>
    public static FlowCheck Load(string yaml, string file)
    {
        var reader = new Reader(file);
        var flow = reader.Read(yaml);
        return new FlowCheck(file, flow, reader.Errors);
    }

    private sealed class Reader(string file)
    {
        public List<FlowError> Errors { get; } = [];

        private void Error(YamlNode at, string? node, string message) => Errors.Add(new FlowError(file, LineOf(at), node, message));

        public static int LineOf(YamlNode node) => checked((int)node.Start.Line);

        public IvrFlow? Read(string yaml)
        {
            var stream = new YamlStream();
            var parser = new Parser(new StringReader(yaml));
            try
            {
                stream.Load(parser);
            }
            catch (YamlException ex)
            {
                Errors.Add(new FlowError(file, checked((int)ex.Start.Line), null, $"YAML syntax error: {StripMark(ex)}"));
                return null;
            }
            catch (InvalidOperationException)
            {
                // YamlDotNet's scanner throws this (without a position) on some unterminated flow collections;
                // the last event it parsed is the closest position we have.
                var line = parser.Current is { } last ? checked((int)last.End.Line) : 1;
                Errors.Add(new FlowError(file, line, null, "YAML syntax error: unterminated value or collection after this line"));
                return null;
            }

            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                Errors.Add(new FlowError(file, 1, null, "a flow file must be a YAML mapping with 'id', 'nodes', ..."));
                return null;
            }

            CheckKeys(root, FlowKeys, null, "flow");
            var id = RequiredScalar(root, "id", null) ?? Path.GetFileNameWithoutExtension(file);
            var languages = StringList(root, "languages", null);
            if (languages.Count == 0)
            {
                Error(root, null, "'languages' must list at least one language");
                languages = ["zh-CN"];
            }

            var defaultLanguage = Scalar(root, "default-language", out var defaultNode) ?? languages[0];
            if (!languages.Contains(defaultLanguage))
                Error(defaultNode ?? root, null, $"default language '{defaultLanguage}' is not among the offered languages");

            var nodes = new Dictionary<string, FlowNode>(StringComparer.Ordinal);
            if (Child(root, "nodes") is YamlMappingNode nodeMap)
            {
                foreach (var (key, value) in nodeMap.Children)
                {
                    var nodeId = Text(key);
                    if (nodes.ContainsKey(nodeId))
                        Error(key, nodeId, "duplicate node id");
                    else if (value is YamlMappingNode body)
                        nodes[nodeId] = ReadNode(nodeId, key, body);
                    else
                        Error(key, nodeId, "a node must be a mapping with a 'kind'");
                }
            }
            else
            {
                Error(root, null, "'nodes' must be a mapping of node id to node");
            }

            var messages = new Dictionary<string, Prompt>(StringComparer.Ordinal);
            if (Child(root, "messages") is YamlMappingNode messageMap)
            {
                foreach (var (key, value) in messageMap.Children)
                {
                    var name = Text(key);
                    if (ReadPrompt(value, null, $"message '{name}'") is { } prompt)
                        messages[name] = prompt;
                }
            }

            foreach (var required in RequiredMessages.Where(m => !messages.ContainsKey(m)))
                Error(Child(root, "messages") ?? root, null, $"'messages' lacks '{required}'");

            var numbers = StringList(root, "numbers", null);
            foreach (var number in numbers.Where(n => !IsE164(n)))
                Error(Child(root, "numbers")!, null, $"number '{number}' must be E.164, such as +862100000000");

            return new IvrFlow
            {
                Id = id,
                Numbers = numbers,
                File = file,
                Languages = languages,
                DefaultLanguage = defaultLanguage,
                MaxRetries = Int(root, "max-retries", null, 3),
                MaxRetriesLine = LineOf(Child(root, "max-retries") ?? root),
                TimeoutSeconds = Int(root, "timeout-seconds", null, 5),
                Start = RequiredLink(root, "start", null) ?? new NodeLink("start", "", LineOf(root)),
                MainMenu = RequiredLink(root, "main-menu", null) ?? new NodeLink("main-menu", "", LineOf(root)),
                Agent = RequiredLink(root, "agent", null) ?? new NodeLink("agent", "", LineOf(root)),
                AfterHours = RequiredLink(root, "after-hours", null) ?? new NodeLink("after-hours", "", LineOf(root)),
                Survey = Link(root, "survey"),
                AfterHoursNotice = Child(root, "after-hours-notice") is { } notice ? ReadPrompt(notice, null, "after-hours-notice") : null,
                Calendar = Child(root, "calendar") is { } calendar ? ReadCalendar(calendar) : BusinessCalendar.AlwaysOpen,
                Messages = messages,
                Nodes = nodes,
            };
        }

        private FlowNode ReadNode(string id, YamlNode keyNode, YamlMappingNode body)
        {
            CheckKeys(body, NodeKeys, id, "node");
            var kindText = RequiredScalar(body, "kind", id);
            var kind = NodeKind.Say;
            var kindKnown = kindText is not null && TryKind(kindText, out kind);
            if (kindText is not null && !kindKnown)
                Error(Child(body, "kind")!, id, $"unknown kind '{kindText}' (say, menu, language, verify, self-service, queue, complaint, voicemail, survey, transfer, hangup)");

            var prompts = new Dictionary<string, Prompt>(StringComparer.Ordinal);
            foreach (var field in PromptFields)
            {
                if (Child(body, field) is { } value && ReadPrompt(value, id, field) is { } prompt)
                    prompts[field] = prompt;
            }

            var options = new List<MenuOption>();
            if (Child(body, "options") is YamlSequenceNode optionSeq)
            {
                foreach (var item in optionSeq.Children)
                {
                    if (item is YamlMappingNode option)
                        options.Add(ReadOption(id, option));
                    else
                        Error(item, id, "an option must be a mapping with 'key' and 'target' (or 'language')");
                }
            }
            else if (Child(body, "options") is { } badOptions)
            {
                Error(badOptions, id, "'options' must be a list");
            }

            SelfServiceAction? action = null;
            if (Scalar(body, "action", out var actionNode) is { } actionText)
            {
                if (TryAction(actionText, out var parsed))
                    action = parsed;
                else
                    Error(actionNode!, id, $"unknown self-service action '{actionText}' (balance, recent-transactions, report-loss, bill-payment)");
            }

            var node = new FlowNode
            {
                Id = id,
                Kind = kind,
                Line = LineOf(keyNode),
                Prompts = prompts,
                Next = Link(body, "next"),
                OnFailure = Link(body, "on-failure"),
                OnRetriesExhausted = Link(body, "on-retries-exhausted"),
                Options = options,
                Action = action,
                Queue = Scalar(body, "queue", out _),
                Skills = StringList(body, "skills", id),
                Priority = Int(body, "priority", id, 0),
                Number = Scalar(body, "number", out _),
                MaxSeconds = Int(body, "max-seconds", id, 120),
                Callback = Bool(body, "callback", id),
                MaxFailures = Int(body, "max-failures", id, 3),
                MaxRetries = Child(body, "max-retries") is null ? null : Int(body, "max-retries", id, 3),
            };
            // Without a known kind the shape rules would only add noise to the real error.
            if (kindKnown)
                CheckShape(node, body);
            return node;
        }

        // Fields each kind needs; the validator checks the graph, this checks that the node is complete.
        private void CheckShape(FlowNode node, YamlMappingNode body)
        {
            void Need(bool ok, string message)
            {
                if (!ok) Error(body, node.Id, message);
            }

            switch (node.Kind)
            {
                case NodeKind.Say:
                    Need(node.Prompts.ContainsKey("prompt"), "say node needs a 'prompt'");
                    Need(node.Next is not null, "say node needs 'next'");
                    break;
                case NodeKind.Menu:
                    Need(node.Prompts.ContainsKey("prompt"), "menu needs a 'prompt'");
                    Need(node.Options.Count > 0, "menu needs 'options'");
                    foreach (var option in node.Options.Where(o => o.Target is null))
                        Errors.Add(new FlowError(file, option.Line, node.Id, $"option {option.Key} needs a 'target'"));
                    break;
                case NodeKind.Language:
                    Need(node.Prompts.ContainsKey("prompt"), "language choice needs a 'prompt'");
                    Need(node.Next is not null, "language choice needs 'next'");
                    foreach (var option in node.Options.Where(o => o.Target is null && o.Language is null))
                        Errors.Add(new FlowError(file, option.Line, node.Id, $"option {option.Key} needs a 'language' or a 'target'"));
                    break;
                case NodeKind.Verify:
                    Need(node.Prompts.ContainsKey("card") && node.Prompts.ContainsKey("pin"), "verify node needs 'card' and 'pin' prompts");
                    Need(node.Prompts.ContainsKey("failure"), "verify node needs a 'failure' prompt");
                    Need(node.Next is not null, "verify node needs 'next' (where a verified caller goes)");
                    break;
                case NodeKind.SelfService:
                    Need(node.Action is not null, "self-service node needs an 'action'");
                    Need(node.Prompts.ContainsKey("success") && node.Prompts.ContainsKey("failure"), "self-service node needs 'success' and 'failure' prompts");
                    Need(node.Next is not null, "self-service node needs 'next'");
                    break;
                case NodeKind.Queue:
                case NodeKind.Complaint:
                    Need(!string.IsNullOrWhiteSpace(node.Queue), $"{Name(node.Kind)} node needs a 'queue'");
                    break;
                case NodeKind.Voicemail:
                    Need(node.Prompts.ContainsKey("prompt"), "voicemail node needs a 'prompt'");
                    break;
                case NodeKind.Survey:
                    Need(node.Prompts.ContainsKey("prompt") && node.Prompts.ContainsKey("thanks"), "survey node needs 'prompt' and 'thanks'");
                    break;
                case NodeKind.Transfer:
                    Need(node.Number is { } n && IsE164(n), "transfer node needs an E.164 'number' such as +862100000001");
                    break;
                case NodeKind.Hangup:
                    break;
            }
        }

        private MenuOption ReadOption(string nodeId, YamlMappingNode option)
        {
            CheckKeys(option, ["key", "words", "target", "language"], nodeId, "option");
            var key = RequiredScalar(option, "key", nodeId) ?? "?";
            if (key.Length != 1 || !"0123456789*#".Contains(key, StringComparison.Ordinal))
                Error(Child(option, "key")!, nodeId, $"option key '{key}' must be one DTMF key (0-9, *, #)");

            var words = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            switch (Child(option, "words"))
            {
                case YamlMappingNode byLanguage:
                    foreach (var (lang, list) in byLanguage.Children)
                        words[Text(lang)] = Strings(list, nodeId);
                    break;
                case YamlSequenceNode shared:
                    // One list for every language: names of languages ("English", "中文") are said as-is.
                    words["*"] = Strings(shared, nodeId);
                    break;
                case { } other:
                    Error(other, nodeId, "'words' must be a list or a mapping of language to list");
                    break;
            }

            return new MenuOption(key, words, Scalar(option, "target", out _), Scalar(option, "language", out _), LineOf(option));
        }

        private Prompt? ReadPrompt(YamlNode value, string? nodeId, string field)
        {
            if (value is not YamlMappingNode map)
            {
                Error(value, nodeId, $"'{field}' must map each language to its text");
                return null;
            }

            var texts = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (lang, text) in map.Children)
            {
                if (text is YamlScalarNode { Value: { Length: > 0 } s })
                    texts[Text(lang)] = s;
                else
                    Error(text, nodeId, $"'{field}' text for {Text(lang)} is empty");
            }

            return new Prompt(texts, LineOf(map));
        }

        private BusinessCalendar ReadCalendar(YamlNode node)
        {
            if (node is not YamlMappingNode map)
            {
                Error(node, null, "'calendar' must be a mapping");
                return BusinessCalendar.AlwaysOpen;
            }

            CheckKeys(map, ["time-zone", "weekly", "holidays", "closures"], null, "calendar");
            var zone = Scalar(map, "time-zone", out var zoneNode) ?? BusinessCalendar.DefaultTimeZoneId;
            try
            {
                _ = TimeZoneInfo.FindSystemTimeZoneById(zone);
            }
            catch (TimeZoneNotFoundException)
            {
                Error(zoneNode ?? map, null, $"unknown time zone '{zone}' (use an IANA id such as Asia/Shanghai)");
                zone = BusinessCalendar.DefaultTimeZoneId;
            }

            Dictionary<DayOfWeek, IReadOnlyList<OpeningHours>>? weekly = null;
            if (Child(map, "weekly") is YamlMappingNode weekMap)
            {
                weekly = [];
                foreach (var (dayKey, hoursNode) in weekMap.Children)
                {
                    var dayText = Text(dayKey);
                    var days = Days(dayText);
                    if (days.Count == 0)
                    {
                        Error(dayKey, null, $"unknown day '{dayText}' (mon..sun, or a range such as mon-fri)");
                        continue;
                    }

                    var hours = new List<OpeningHours>();
                    foreach (var range in Strings(hoursNode, null))
                    {
                        if (TryHours(range, out var h))
                            hours.Add(h);
                        else
                            Error(hoursNode, null, $"opening hours '{range}' must look like 08:00-20:00");
                    }

                    foreach (var day in days)
                        weekly[day] = hours;
                }
            }

            var holidays = new List<DateOnly>();
            if (Child(map, "holidays") is { } holidayNode)
            {
                foreach (var text in Strings(holidayNode, null))
                {
                    if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                        holidays.Add(date);
                    else
                        Error(holidayNode, null, $"holiday '{text}' must be a date yyyy-MM-dd");
                }
            }

            var closures = new List<Closure>();
            if (Child(map, "closures") is YamlSequenceNode closureSeq)
            {
                foreach (var item in closureSeq.Children.OfType<YamlMappingNode>())
                {
                    var from = LocalTime(item, "from");
                    var to = LocalTime(item, "to");
                    if (from is null || to is null || to <= from)
                        Error(item, null, "a closure needs 'from' and a later 'to' (yyyy-MM-dd HH:mm, local time)");
                    else
                        closures.Add(new Closure(from.Value, to.Value, Scalar(item, "reason", out _)));
                }
            }

            return new BusinessCalendar(zone, weekly, holidays, closures);
        }

        private static DateTime? LocalTime(YamlMappingNode map, string key)
        {
            var text = Scalar(map, key, out _);
            return DateTime.TryParseExact(text, ["yyyy-MM-dd HH:mm", "yyyy-MM-dd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
                ? value
                : null;
        }

        private static bool TryHours(string text, out OpeningHours hours)
        {
            hours = new OpeningHours(TimeOnly.MinValue, null);
            var parts = text.Split('-', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !TimeOnly.TryParseExact(parts[0], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from))
                return false;
            if (parts[1] == "24:00")
            {
                hours = new OpeningHours(from, null);
                return true;
            }

            if (!TimeOnly.TryParseExact(parts[1], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var to) || to <= from)
                return false;
            hours = new OpeningHours(from, to);
            return true;
        }

        private static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

        private static List<DayOfWeek> Days(string text)
        {
            var parts = text.ToLowerInvariant().Split('-', StringSplitOptions.TrimEntries);
            var first = Array.IndexOf(DayNames, parts[0]);
            var last = parts.Length == 2 ? Array.IndexOf(DayNames, parts[1]) : first;
            if (parts.Length > 2 || first < 0 || last < 0)
                return [];
            var days = new List<DayOfWeek>();
            for (var d = first; ; d = (d + 1) % 7)
            {
                days.Add((DayOfWeek)d);
                if (d == last) break;
            }

            return days;
        }

        private static bool IsE164(string number) =>
            number.Length is > 2 and <= 16 && number[0] == '+' && number[1..].All(char.IsAsciiDigit);

        private static bool TryKind(string text, out NodeKind kind) =>
            Enum.TryParse(text.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out kind)
            && Enum.IsDefined(kind) && !int.TryParse(text, CultureInfo.InvariantCulture, out _);

        private static bool TryAction(string text, out SelfServiceAction action) =>
            Enum.TryParse(text.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out action)
            && Enum.IsDefined(action) && !int.TryParse(text, CultureInfo.InvariantCulture, out _);

        /// <summary>The YAML spelling of a kind, for messages.</summary>
        public static string Name(NodeKind kind) => kind == NodeKind.SelfService ? "self-service" : kind.ToString().ToLowerInvariant();

        private void CheckKeys(YamlMappingNode map, HashSet<string> allowed, string? nodeId, string what)
        {
            foreach (var key in map.Children.Keys.OfType<YamlScalarNode>())
            {
                if (key.Value is { } k && !allowed.Contains(k))
                    Error(key, nodeId, $"unknown {what} field '{k}'");
            }
        }

        // Keys are scalars in any sane flow; a complex key ("? [a, b]") reads as empty and fails later checks.
        private static string Text(YamlNode key) => key is YamlScalarNode { Value: { } value } ? value : "";

        private static YamlNode? Child(YamlMappingNode map, string key) =>
            map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

        private static string? Scalar(YamlMappingNode map, string key, out YamlNode? node)
        {
            node = Child(map, key);
            return node is YamlScalarNode { Value: { Length: > 0 } s } ? s : null;
        }

        private string? RequiredScalar(YamlMappingNode map, string key, string? nodeId)
        {
            var value = Scalar(map, key, out _);
            if (value is null)
                Error(map, nodeId, $"'{key}' is required");
            return value;
        }

        private static NodeLink? Link(YamlMappingNode map, string key) =>
            Scalar(map, key, out var node) is { } target ? new NodeLink(key, target, LineOf(node!)) : null;

        private NodeLink? RequiredLink(YamlMappingNode map, string key, string? nodeId)
        {
            var link = Link(map, key);
            if (link is null)
                Error(map, nodeId, $"'{key}' is required");
            return link;
        }

        private int Int(YamlMappingNode map, string key, string? nodeId, int fallback)
        {
            if (Scalar(map, key, out var node) is not { } text)
                return fallback;
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
                return value;
            Error(node!, nodeId, $"'{key}' must be a whole number");
            return fallback;
        }

        private bool Bool(YamlMappingNode map, string key, string? nodeId)
        {
            if (Scalar(map, key, out var node) is not { } text)
                return false;
            if (bool.TryParse(text, out var value))
                return value;
            Error(node!, nodeId, $"'{key}' must be true or false");
            return false;
        }

        private List<string> StringList(YamlMappingNode map, string key, string? nodeId) =>
            Child(map, key) is { } node ? Strings(node, nodeId) : [];

        private List<string> Strings(YamlNode node, string? nodeId)
        {
            switch (node)
            {
                case YamlScalarNode { Value: { Length: > 0 } single }:
                    return [single];
                case YamlSequenceNode seq:
                    var list = new List<string>();
                    foreach (var item in seq.Children)
                    {
                        if (item is YamlScalarNode { Value: { Length: > 0 } s })
                            list.Add(s);
                        else
                            Error(item, nodeId, "expected a text value");
                    }

                    return list;
                case YamlScalarNode:
                    return [];
                default:
                    Error(node, nodeId, "expected a list of text values");
                    return [];
            }
        }

        // YamlDotNet prefixes its message with the position, which our file:line already gives.
        private static string StripMark(YamlException ex)
        {
            var message = ex.Message;
            var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
            return cut >= 0 && message.StartsWith("(Line", StringComparison.Ordinal) ? message[(cut + 3)..] : message;
        }
    }
}
