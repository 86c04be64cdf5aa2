using CallCenter.Core.Ivr;

namespace CallCenter.Core.Tests.Ivr;

/// <summary>The start-up catalog: cross-file rules and picking a flow by dialled number.</summary>
public sealed class FlowCatalogTests
{
    private static readonly string Bank = FlowFiles.Read("ivr-flows/bank-hotline.yaml");

    [Test]
    public void The_shipped_flows_form_a_valid_catalog_that_answers_their_numbers()
    {
        var catalog = FlowCatalog.Build(FlowFiles.Shipped().Select(f => (f, FlowFiles.Read(f))));

        Assert.That(catalog.Errors.Select(e => e.ToString()), Is.Empty);
        Assert.That(catalog.ForNumber("+862100000000")?.Id, Is.EqualTo("bank-hotline"));
        Assert.That(catalog.ForNumber("+860000000000"), Is.Null);
    }

    [Test]
    public void Two_files_with_the_same_flow_id_are_rejected()
    {
        var catalog = FlowCatalog.Build([("a.yaml", Bank), ("b.yaml", Bank)]);

        Assert.That(catalog.IsValid, Is.False);
        Assert.That(catalog.Errors.Select(e => e.ToString()), Does.Contain("b.yaml:1: flow id 'bank-hotline' is also used by a.yaml"));
        Assert.That(catalog.Errors.Select(e => e.ToString()), Does.Contain("b.yaml:1: number +862100000000 is also answered by a.yaml"));
    }

    [Test]
    public void A_single_flow_without_numbers_answers_every_number()
    {
        var yaml = Bank.Replace("numbers: [\"+862100000000\"]", "", StringComparison.Ordinal);

        var catalog = FlowCatalog.Build([("only.yaml", yaml)]);

        Assert.That(catalog.ForNumber("+860000000000")?.Id, Is.EqualTo("bank-hotline"));
    }

    [Test]
    public void A_main_menu_no_caller_can_reach_is_rejected()
    {
        var yaml = Bank.Replace("    next: main-menu\n\n  main-menu:", "    next: goodbye\n\n  main-menu:", StringComparison.Ordinal);
        Assert.That(yaml, Is.Not.EqualTo(Bank), "the edit applied");

        var errors = new FlowValidator().Validate(yaml, "b.yaml").Errors;

        Assert.That(errors.Select(e => e.Message), Has.Some.EqualTo("main menu 'main-menu' cannot be reached from start 'welcome'"));
    }
}
