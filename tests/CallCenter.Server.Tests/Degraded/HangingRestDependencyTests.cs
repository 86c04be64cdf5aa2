using System.Diagnostics;
using CallCenter.Server.Prompts;
using CallCenter.Server.Telephony;
using CallCenter.Server.Tests.Routing;
using CallCenter.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CallCenter.Server.Tests.Degraded;

/// <summary>
/// Network waits are wall-clock time even when the server runs on a fake or simulated clock: a hanging Twilio REST API or
/// Azure Speech endpoint times out within the configured time, and no webhook waits on Azure Speech.
/// </summary>
public sealed class HangingRestDependencyTests
{
    [Test]
    public async Task A_hanging_Twilio_REST_request_times_out_within_the_configured_time_on_a_fake_clock()
    {
        await using var h = new AcdHarness(twilioDelay: TimeSpan.FromSeconds(30), settings: new Dictionary<string, string> { ["Twilio:RestTimeout"] = "00:00:01" });
        var twilio = h.Server.Services.GetRequiredService<ITwilioCallControl>();

        var watch = Stopwatch.StartNew();
        var moved = await twilio.MoveToCallbackRequestAsync("CA" + Guid.NewGuid().ToString("N"), CancellationToken.None);
        watch.Stop();

        Assert.That(moved, Is.False, "timed out, reported as not taken");
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "1 s per attempt, 2 s in all, on the wall clock; the fake clock never moves");
    }

    [Test]
    public async Task A_hanging_Azure_Speech_synthesis_times_out_within_the_configured_time_on_a_fake_clock()
    {
        using var azure = HangingAzure();
        await using var server = ServerWithAzure(azure, ("AzureSpeech:RequestTimeout", "00:00:00.500"));
        var synthesizer = server.Services.GetRequiredService<AzureSpeechSynthesizer>();

        var watch = Stopwatch.StartNew();
        var failure = Assert.CatchAsync(() => synthesizer.SynthesizeAsync("您好", "zh-CN", Stream.Null, CancellationToken.None));
        watch.Stop();

        Assert.That(failure, Is.Not.Null);
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "0.5 s per attempt, 1.5 s in all, on the wall clock; the fake clock never moves");
    }

    [Test]
    public async Task With_Azure_Speech_hanging_no_webhook_waits_for_it_and_the_prompts_are_spoken_with_Say()
    {
        using var azure = HangingAzure();
        await using var server = ServerWithAzure(azure);
        var twilio = server.CreateTwilioClient();
        // The process's first request pays its cold start (JIT, EF model, connections): 3.6-5 s on this machine with
        // synthesis off as well, so it says nothing about Azure. It also queues every prompt it meets for synthesis.
        await IvrCall.DialAsync(twilio, from: "+8613800000101");

        var watch = Stopwatch.StartNew();
        var call = await IvrCall.DialAsync(twilio, from: "+8613800000102");
        var first = watch.Elapsed;
        await call.PressAsync("1");
        var second = watch.Elapsed - first;

        Assert.That(server.Services.GetRequiredService<PromptLibrary>().EngineName, Is.EqualTo("azure"), "synthesis is on, and hanging");
        Assert.That(first, Is.LessThan(TimeSpan.FromSeconds(3)));
        Assert.That(second, Is.LessThan(TimeSpan.FromSeconds(3)));
        Assert.That(call.Twiml.Descendants("Say"), Is.Not.Empty, "the prompts are spoken by Twilio until synthesised");
        Assert.That(call.Twiml.Descendants("Play"), Is.Empty);
    }

    private static WireMockServer HangingAzure()
    {
        var azure = WireMockServer.Start();
        azure.Given(Request.Create().WithPath("/cognitiveservices/v1").UsingPost())
            .RespondWith(Response.Create().WithDelay(TimeSpan.FromSeconds(60)).WithHeader("Content-Type", "audio/wav").WithBody([1, 2, 3]));
        return azure;
    }

    private static WebApplicationFactory<Program> ServerWithAzure(WireMockServer azure, params (string Key, string Value)[] settings)
    {
        var server = new CallCenterServerFactory(AssemblySetUp.Server.Database).WithWebHostBuilder(b =>
        {
            b.UseSetting("Prompts:CacheDirectory", Directory.CreateTempSubdirectory("prompts-hang-").FullName);
            b.UseSetting("Prompts:Engine", "azure");
            b.UseSetting("AzureSpeech:TtsEndpoint", azure.Urls[0]);
            b.UseSetting("AzureSpeech:Key", "speech-key");
            foreach (var (key, value) in settings) b.UseSetting(key, value);
        });
        server.CreateClient().Dispose();
        return server;
    }
}
