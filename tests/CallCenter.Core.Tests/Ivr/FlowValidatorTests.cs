using CallCenter.Core.Ivr;

namespace CallCenter.Core.Tests.Ivr;

/// <summary>The validator against one broken fixture per rule, and the shipped flows.</summary>
public sealed class FlowValidatorTests
{
    private const string Dir = "InvalidFlows/";

    private static string[] Expected(params string[] lines) => lines;

    private static FlowCheck ValidateFixture(string name) =>
        new FlowValidator().Validate(File.ReadAllText(Path.Combine(FlowFiles.InvalidFlowsDir, name)), Dir + name);

    [TestCase("deep-menu.yaml", 44, "level-four", "menu is 4 levels deep (at most 3): main-menu > level-two > level-three > level-four")]
    [TestCase("missing-human-option.yaml", 24, "cards-menu", "menu lacks the human option (key 0)")]
    [TestCase("missing-agent-word.yaml", 21, "main-menu", "menu lacks the spoken human option in en-US (key 0 needs one of: 人工, 客服, agent, representative, operator)")]
    [TestCase("retries-not-to-agent.yaml", 16, "main-menu", "repeated no-input or invalid input ends at 'goodbye', not at an agent ('agent-queue')")]
    [TestCase("too-many-retries.yaml", 5, null, "max-retries 5: no-input or invalid input must end at an agent after 1 to 3 attempts")]
    [TestCase("promotional-main-menu.yaml", 16, "main-menu", "main menu holds a promotional prompt ('优惠' in prompt, zh-CN)")]
    [TestCase("missing-translation.yaml", 26, "bye", "prompt 'prompt' is missing in en-US")]
    [TestCase("unknown-target.yaml", 18, "main-menu", "option 1 target 'balance-menu' does not exist")]
    [TestCase("loop-without-exit.yaml", 14, "news", "loop has no exit (no queue, hangup or transfer reachable): news > more-news > news")]
    [TestCase("unverified-money.yaml", 24, "balance", "self-service transaction is reachable without passing a verify node")]
    [TestCase("syntax-error.yaml", 7, null, "YAML syntax error: While scanning a plain scalar value, found invalid mapping.")]
    public void Each_broken_flow_is_rejected_with_file_line_and_node(string file, int line, string? node, string message)
    {
        var check = ValidateFixture(file);

        Assert.That(check.IsValid, Is.False);
        Assert.That(check.Errors.Select(e => e.ToString()), Is.EqualTo(new[] { new FlowError(Dir + file, line, node, message).ToString() }));
    }

    [Test]
    public void Every_fixture_file_is_covered_by_a_case()
    {
        var files = Directory.EnumerateFiles(FlowFiles.InvalidFlowsDir, "*.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal);

        Assert.That(files, Is.EquivalentTo(Expected(
            "deep-menu.yaml", "loop-without-exit.yaml", "missing-agent-word.yaml", "missing-human-option.yaml", "missing-translation.yaml",
            "promotional-main-menu.yaml", "retries-not-to-agent.yaml", "several-errors.yaml", "syntax-error.yaml", "too-many-retries.yaml",
            "unknown-target.yaml", "unverified-money.yaml")));
    }

    [Test]
    public void All_errors_in_a_file_are_reported_not_just_the_first()
    {
        var check = ValidateFixture("several-errors.yaml");

        Assert.That(check.Errors.Select(e => e.ToString()), Is.EqualTo(Expected(
            "InvalidFlows/several-errors.yaml:14: node 'main-menu': menu lacks the human option (key 0)",
            "InvalidFlows/several-errors.yaml:18: node 'main-menu': option 1 target 'nowhere' does not exist")));
    }

    [TestCaseSource(typeof(FlowFiles), nameof(FlowFiles.Shipped))]
    public void Every_shipped_flow_is_valid(string file)
    {
        var check = new FlowValidator().Validate(FlowFiles.Read(file), file);

        Assert.That(check.Errors.Select(e => e.ToString()), Is.Empty);
        Assert.That(check.IsValid, Is.True);
    }

    [Test]
    public void The_promotional_word_list_is_configurable()
    {
        var yaml = FlowFiles.Read("ivr-flows/bank-hotline.yaml");
        var strict = new FlowValidator(new FlowValidationOptions { PromotionalWords = ["挂失"] });

        var check = strict.Validate(yaml, "bank-hotline.yaml");

        Assert.That(check.Errors.Select(e => e.Message), Has.Some.EqualTo("main menu holds a promotional prompt ('挂失' in prompt, zh-CN)"));
    }

    [Test]
    public void A_stricter_retry_limit_rejects_a_flow_that_allows_more_attempts()
    {
        var check = new FlowValidator(new FlowValidationOptions { MaxRetries = 2 }).Validate(FlowFiles.Read("ivr-flows/bank-hotline.yaml"), "bank-hotline.yaml");

        Assert.That(check.Errors.Select(e => e.ToString()), Is.EqualTo(Expected(
            "bank-hotline.yaml:8: max-retries 3: no-input or invalid input must end at an agent after 1 to 2 attempts")));
    }

    [Test]
    public void An_unterminated_flow_mapping_is_a_syntax_error_with_a_line_not_a_crash()
    {
        const string yaml = "id: x\nnodes:\n  a: {kind: menu, prompt: {zh-CN: hi\n  b: 1\n";

        var check = new FlowValidator().Validate(yaml, "x.yaml");

        Assert.That(check.Flow, Is.Null);
        Assert.That(check.Errors.Single().ToString(), Does.StartWith("x.yaml:3: YAML syntax error"));
    }

    [Test]
    public void A_human_option_that_does_not_lead_to_the_agent_node_is_rejected()
    {
        var yaml = FlowFiles.Read("ivr-flows/bank-hotline.yaml");
        var broken = yaml.Replace("""
      - key: 0
        target: agent-queue
        words: {zh-CN: [人工, 人工服务, 客服], en-US: [agent, representative, operator]}

  accounts-menu:
""", """
      - key: 0
        target: complaint
        words: {zh-CN: [人工, 人工服务, 客服], en-US: [agent, representative, operator]}

  accounts-menu:
""", StringComparison.Ordinal);
        Assert.That(broken, Is.Not.EqualTo(yaml), "the edit applied");

        var errors = new FlowValidator().Validate(broken, "b.yaml").Errors;

        Assert.That(errors.Select(e => (e.NodeId, e.Message)), Is.EqualTo(new[]
        {
            ((string?)"main-menu", "the human option (key 0) must lead to the agent node 'agent-queue'"),
        }));
    }

    [Test]
    public void Unknown_fields_and_kinds_are_reported_so_typos_do_not_pass_silently()
    {
        var yaml = FlowFiles.Read("ivr-flows/bank-hotline.yaml")
            .Replace("  goodbye:\n    kind: hangup\n", "  goodbye:\n    kind: hang-up-now\n    nxt: welcome\n", StringComparison.Ordinal);

        var messages = new FlowValidator().Validate(yaml, "b.yaml").Errors.Select(e => e.Message).ToList();

        Assert.That(messages, Has.Some.StartsWith("unknown kind 'hang-up-now'"));
        Assert.That(messages, Has.Some.EqualTo("unknown node field 'nxt'"));
        Assert.That(messages, Has.Count.EqualTo(2), string.Join("\n", messages));
    }
}
