using System.Net;
using CallCenter.Server.Prompts;
using CallCenter.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CallCenter.Server.Tests.Prompts;

public sealed class PromptLibraryTests
{
    private static readonly byte[] FakeWav = "RIFF\0\0\0\0WAVEfmt "u8.ToArray();

    private static WebApplicationFactory<Program> ServerWith(string cacheDir, params (string Key, string Value)[] settings) =>
        new CallCenterServerFactory(AssemblySetUp.Server.Database).WithWebHostBuilder(b =>
        {
            b.UseSetting("Prompts:CacheDirectory", cacheDir);
            foreach (var (key, value) in settings) b.UseSetting(key, value);
        });

    private static string TempDir() => Directory.CreateTempSubdirectory("prompts-test-").FullName;

    [Test]
    public async Task Azure_renders_a_prompt_once_as_telephone_wav_and_the_server_serves_it()
    {
        using var azure = WireMockServer.Start();
        azure.Given(Request.Create().WithPath("/cognitiveservices/v1").UsingPost()
                .WithHeader("Ocp-Apim-Subscription-Key", "speech-key")
                .WithHeader("X-Microsoft-OutputFormat", "riff-8khz-16bit-mono-pcm")
                .WithBody(b => b != null && b.Contains("<voice name='zh-CN-XiaoxiaoNeural'>人工服务请按零</voice>", StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithHeader("Content-Type", "audio/wav").WithBody(FakeWav));
        var dir = TempDir();
        await using var server = ServerWith(dir,
            ("AzureSpeech:TtsEndpoint", azure.Urls[0]), ("AzureSpeech:Key", "speech-key"), ("Prompts:Engine", "auto"));
        var library = server.Services.GetRequiredService<PromptLibrary>();

        await library.WarmAsync([("人工服务请按零", "zh-CN")], CancellationToken.None);
        await library.WarmAsync([("人工服务请按零", "zh-CN")], CancellationToken.None);
        var file = library.TryGetFileName("人工服务请按零", "zh-CN");
        using var response = await server.CreateClient().GetAsync($"/prompts/{file}");

        Assert.That(library.EngineName, Is.EqualTo("azure"));
        Assert.That(azure.LogEntries.Count(e => e.RequestMessage?.Body?.Contains("人工服务请按零", StringComparison.Ordinal) == true), Is.EqualTo(1));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("audio/wav"));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(FakeWav));
        Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1), "no temporary file is left behind");
    }

    [Test]
    public async Task An_unrendered_prompt_is_not_waited_for_but_rendered_in_the_background_by_espeak()
    {
        await using var server = ServerWith(TempDir(), ("Prompts:Engine", "espeak"));
        var library = server.Services.GetRequiredService<PromptLibrary>();
        server.CreateClient().Dispose(); // starts the background renderer

        var first = library.TryGetFileName("For English, press 9.", "en-US");
        string? later = null;
        for (var i = 0; i < 100 && later is null; i++)
        {
            await Task.Delay(50);
            later = library.TryGetFileName("For English, press 9.", "en-US");
        }
        var wav = await File.ReadAllBytesAsync(library.PathOf(later!)!);

        Assert.That(first, Is.Null);
        Assert.That(later, Does.Match("^[0-9a-f]{32}\\.wav$"));
        Assert.That(wav[..4], Is.EqualTo("RIFF"u8.ToArray()));
    }

    [TestCase("0123456789abcdef0123456789abcdef.wav")]
    [TestCase("..%2F..%2Fappsettings.json")]
    public async Task A_prompt_that_was_never_rendered_is_404(string file)
    {
        await using var server = ServerWith(TempDir(), ("Prompts:Engine", "none"));

        using var response = await server.CreateClient().GetAsync($"/prompts/{file}");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Every_fixed_prompt_of_the_shipped_flow_is_rendered_after_start_up_and_the_ivr_then_plays_it()
    {
        await using var server = ServerWith(TempDir(), ("Prompts:Engine", "espeak"));
        var twilio = server.CreateTwilioClient();
        var library = server.Services.GetRequiredService<PromptLibrary>();
        var flows = server.Services.GetRequiredService<CallCenter.Server.Ivr.IvrFlowCatalog>();
        var expected = CallCenter.Server.Ivr.IvrPromptWarmer.PromptsOf(flows.Flows).ToList();

        for (var i = 0; i < 200 && expected.Any(p => library.TryGetFileName(p.Text, p.Language) is null); i++)
            await Task.Delay(100);
        var call = await IvrCall.DialAsync(twilio);

        Assert.That(expected, Has.Count.GreaterThan(40));
        Assert.That(expected.Where(p => library.TryGetFileName(p.Text, p.Language) is null), Is.Empty);
        Assert.That(call.Twiml.Descendants("Play").Select(p => p.Value), Has.All.StartWith("https://hotline.bank.test/prompts/"));
        Assert.That(call.Twiml.Descendants("Say"), Is.Empty);
    }
}
