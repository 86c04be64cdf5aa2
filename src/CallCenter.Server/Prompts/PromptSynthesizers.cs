using System.Diagnostics;
using System.Security;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Prompts;

/// <summary>Renders one prompt text in one language to a WAV file.</summary>
public interface IPromptSynthesizer
{
    /// <summary>Short engine name; part of the cache key so switching engines re-renders.</summary>
    string Name { get; }

    Task SynthesizeAsync(string text, string language, Stream destination, CancellationToken ct);
}

/// <summary>Azure Speech text-to-speech REST API: SSML in, 8 kHz telephony WAV out.</summary>
public sealed class AzureSpeechSynthesizer(HttpClient http, IOptions<AzureSpeechOptions> options) : IPromptSynthesizer
{
    public string Name => "azure";

    public async Task SynthesizeAsync(string text, string language, Stream destination, CancellationToken ct)
    {
        var o = options.Value;
        var voice = o.Voices.GetValueOrDefault(language) ?? throw new InvalidOperationException($"No Azure voice configured for {language}.");
        var endpoint = o.TtsEndpoint ?? new Uri($"https://{o.Region}.tts.speech.microsoft.com/");
        var ssml = $"<speak version='1.0' xml:lang='{language}'><voice name='{voice}'>{SecurityElement.Escape(text)}</voice></speak>";
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, "cognitiveservices/v1"))
        {
            Content = new StringContent(ssml, System.Text.Encoding.UTF8, "application/ssml+xml"),
        };
        request.Headers.Add("Ocp-Apim-Subscription-Key", o.Key);
        // Telephone audio is 8 kHz; asking for it avoids resampling at Twilio.
        request.Headers.Add("X-Microsoft-OutputFormat", "riff-8khz-16bit-mono-pcm");
        request.Headers.UserAgent.ParseAdd("callcenter-server");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        await response.Content.CopyToAsync(destination, ct);
    }
}

/// <summary>espeak-ng, the local default: robotic but free, offline and instant.</summary>
public sealed class EspeakSynthesizer : IPromptSynthesizer
{
    public string Name => "espeak";

    public static bool IsInstalled() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(dir => File.Exists(Path.Combine(dir, "espeak-ng")));

    public async Task SynthesizeAsync(string text, string language, Stream destination, CancellationToken ct)
    {
        var voice = language.StartsWith("zh", StringComparison.OrdinalIgnoreCase) ? "cmn" : language.ToLowerInvariant();
        var start = new ProcessStartInfo("espeak-ng") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-v", voice, "--stdout", text }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("espeak-ng did not start.");
        var errors = process.StandardError.ReadToEndAsync(ct);
        await process.StandardOutput.BaseStream.CopyToAsync(destination, ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"espeak-ng exited {process.ExitCode}: {await errors}");
    }
}
