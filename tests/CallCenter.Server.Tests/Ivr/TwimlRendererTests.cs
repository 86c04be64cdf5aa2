using CallCenter.Core.Ivr;
using CallCenter.Server.Ivr;
using CallCenter.Server.Prompts;
using CallCenter.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Ivr;

public sealed class TwimlRendererTests
{
    private static WebApplicationFactory<Program> ServerWith(string engine) =>
        new CallCenterServerFactory(AssemblySetUp.Server.Database).WithWebHostBuilder(b =>
        {
            b.UseSetting("Prompts:CacheDirectory", Directory.CreateTempSubdirectory("twiml-test-").FullName);
            b.UseSetting("Prompts:Engine", engine);
        });

    private static IvrVerb[] Menu(string step, string text = "For balances press 1, for an agent press 0.") =>
        [new Gather([new Say(text, "en-US", null, "main.prompt")], GatherInput.DtmfAndSpeech, 1, null, 5, "en-US", ["balance", "agent"], step)];

    [Test]
    public async Task Two_callers_at_the_same_menu_get_the_same_document_each_posting_to_their_own_step()
    {
        await using var server = ServerWith("none");
        var renderer = server.Services.GetRequiredService<TwimlRenderer>();

        var first = renderer.RenderDocument(Menu("3"), "3");
        var second = renderer.RenderDocument(Menu("12"), "12");

        Assert.That(first, Does.Contain("/twilio/voice/ivr?step=3\"").And.Contain("For balances press 1"));
        Assert.That(second, Does.Contain("/twilio/voice/ivr?step=12\""));
        Assert.That(second.Replace("step=12", "step=3", StringComparison.Ordinal), Is.EqualTo(first));
        Assert.That(first, Is.EqualTo(renderer.Render(Menu("3")).ToString()), "the kept document is what the helper library writes");
        Assert.That(renderer.CachedDocuments, Is.EqualTo(1));
    }

    [Test]
    public async Task A_prompt_with_a_caller_s_own_values_is_spoken_to_that_caller_and_never_kept()
    {
        await using var server = ServerWith("none");
        var renderer = server.Services.GetRequiredService<TwimlRenderer>();
        IvrVerb[] Balance(string amount) =>
            [new Say($"Your balance is {amount} yuan.", "en-US", null, "balance.result") { Personal = true }, .. Menu("5")];

        var mine = renderer.RenderDocument(Balance("1,024.50"), "5");
        var theirs = renderer.RenderDocument(Balance("88.00"), "5");

        Assert.That(mine, Does.Contain("1,024.50").And.Not.Contain("88.00"));
        Assert.That(theirs, Does.Contain("88.00").And.Not.Contain("1,024.50"));
        Assert.That(renderer.CachedDocuments, Is.Zero);
    }

    [Test]
    public async Task A_menu_kept_before_its_prompt_was_synthesized_is_played_from_the_recording_once_it_is()
    {
        await using var server = ServerWith("espeak");
        server.CreateClient().Dispose(); // starts the background renderer
        var renderer = server.Services.GetRequiredService<TwimlRenderer>();
        var library = server.Services.GetRequiredService<PromptLibrary>();
        var text = $"Menu {Guid.NewGuid():N}: for an agent press 0.";

        var spoken = renderer.RenderDocument(Menu("1", text), "1");
        for (var i = 0; i < 200 && library.TryGetFileName(text, "en-US") is null; i++) await Task.Delay(50);
        var played = renderer.RenderDocument(Menu("2", text), "2");

        Assert.That(spoken, Does.Contain("<Say").And.Contain(text));
        Assert.That(played, Does.Contain("<Play>").And.Contain(library.TryGetFileName(text, "en-US")!).And.Not.Contain(text));
    }
}
