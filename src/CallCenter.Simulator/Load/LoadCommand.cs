using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using CallCenter.Server.Telephony;

namespace CallCenter.Simulator.Load;

/// <summary>
/// `callcenter-sim load`: an open-loop load of IVR menu steps at a fixed rate. Each simulated caller
/// dials in, picks a language, then walks main menu → accounts menu → back, again and again, following
/// the returned TwiML exactly as Twilio does. Latency counts from each request's scheduled send time,
/// so a server that falls behind shows it (no coordinated omission).
/// </summary>
internal static class LoadCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create()
    {
        var baseUrl = UriOptions.BaseUrl();
        var publicUrl = UriOptions.PublicUrl();
        var token = new Option<string>("--auth-token")
        {
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("Twilio__AuthToken") ?? "",
            Description = "Twilio auth token the server checks (default: environment Twilio__AuthToken).",
        };
        var rate = new Option<int>("--rate") { DefaultValueFactory = _ => 500, Description = "Webhook requests per second." };
        var duration = new Option<int>("--seconds") { DefaultValueFactory = _ => 30, Description = "How long to send." };
        var warmup = new Option<int>("--warmup")
        {
            DefaultValueFactory = _ => 0,
            Description = "Seconds sent at the same rate before measuring, not counted: lets both processes' JIT, thread pools and connections settle.",
        };
        var callers = new Option<int>("--callers") { DefaultValueFactory = _ => 256, Description = "Simulated callers in parallel." };
        var to = new Option<string>("--to") { DefaultValueFactory = _ => "+862100000000", Description = "The hotline number dialled." };
        var output = new Option<FileInfo?>("--json") { Description = "Also write the summary as JSON here." };
        var command = new Command("load", "Fixed-rate IVR webhook load; reports p50/p99/p99.9 latency and errors.")
        {
            baseUrl, publicUrl, token, rate, duration, warmup, callers, to, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            var authToken = parse.GetValue(token);
            if (string.IsNullOrEmpty(authToken))
            {
                Console.Error.WriteLine("error: no auth token: pass --auth-token or set Twilio__AuthToken.");
                return 2;
            }
            using var run = new LoadRun(parse.GetValue(baseUrl)!, parse.GetValue(publicUrl) ?? parse.GetValue(baseUrl)!, authToken,
                parse.GetValue(to)!, parse.GetValue(rate), TimeSpan.FromSeconds(parse.GetValue(duration)), parse.GetValue(callers),
                TimeSpan.FromSeconds(parse.GetValue(warmup)));
            var summary = await run.RunAsync(ct);
            Console.WriteLine();
            Console.WriteLine($"requests {summary.Requests}, {summary.PerSecond:F0}/s; latency ms p50 {summary.P50:F2}, p99 {summary.P99:F2}, p99.9 {summary.P999:F2}, max {summary.Max:F2}");
            Console.WriteLine("outcomes: " + string.Join(", ", summary.Outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")));
            if (parse.GetValue(output) is { } file)
                await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(summary, Indented), ct);
            return summary.Outcomes.Keys.All(k => k == "200") ? 0 : 1;
        });
        return command;
    }
}

/// <summary>One load run: a ticket per scheduled request, handed to whichever caller is free.</summary>
internal sealed class LoadRun(Uri baseUrl, Uri publicUrl, string authToken, string to, int rate, TimeSpan duration, int callers, TimeSpan warmup = default)
    : IDisposable
{
    public void Dispose() => _http.Dispose();

    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = baseUrl,
        Timeout = TimeSpan.FromSeconds(10),
    };
    private readonly LatencyRecorder _recorder = new();

    public async Task<LatencySummary> RunAsync(CancellationToken ct)
    {
        var tickets = Channel.CreateUnbounded<long>();
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, callers).Select(_ => CallerAsync(tickets.Reader, clock, (long)(warmup.TotalSeconds * Stopwatch.Frequency), ct)).ToList();
        var total = (long)(rate * (warmup + duration).TotalSeconds);
        var ticksPerRequest = Stopwatch.Frequency / (double)rate;
        var progress = Stopwatch.StartNew();
        for (long i = 0; i < total && !ct.IsCancellationRequested; i++)
        {
            var due = (long)(i * ticksPerRequest);
            var wait = due - clock.ElapsedTicks;
            if (wait > Stopwatch.Frequency / 1000) await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency), ct);
            tickets.Writer.TryWrite(due);
            if (progress.Elapsed > TimeSpan.FromSeconds(1))
            {
                Console.Write($"\r{i * 100 / total,3}% sent {i}, answered {_recorder.Count}");
                progress.Restart();
            }
        }
        tickets.Writer.Complete();
        await Task.WhenAll(workers);
        return _recorder.Summarise(clock.Elapsed - warmup);
    }

    // The generator shares the cores with the server it measures, so it finds the gather's action by scanning the reply
    // rather than parsing the whole document.
    internal static string? GatherAction(string twiml)
    {
        var gather = twiml.IndexOf("<Gather ", StringComparison.Ordinal);
        if (gather < 0) return null;
        var start = twiml.IndexOf(" action=\"", gather, StringComparison.Ordinal);
        var close = twiml.IndexOf('>', gather);
        if (start < 0 || start > close) return null;
        start += " action=\"".Length;
        var end = twiml.IndexOf('"', start);
        return end < 0 ? null : System.Net.WebUtility.HtmlDecode(twiml[start..end]);
    }

    private async Task CallerAsync(ChannelReader<long> tickets, Stopwatch clock, long measuredFrom, CancellationToken ct)
    {
        string? callSid = null;
        string? next = null;
        var menuKey = "1";
        await foreach (var due in tickets.ReadAllAsync(ct))
        {
            string path;
            var form = new Dictionary<string, string>(StringComparer.Ordinal);
            if (callSid is null || next is null)
            {
                callSid = "CA" + Guid.NewGuid().ToString("N");
                path = "/twilio/voice/incoming";
                form["From"] = "+86139" + Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);
                form["To"] = to;
                form["CallStatus"] = "ringing";
            }
            else
            {
                path = next;
                // Language menu: 1 = Mandarin; then alternate main menu 1 (accounts) and accounts menu 9 (back).
                form["Digits"] = menuKey;
                form["CallStatus"] = "in-progress";
            }
            form["CallSid"] = callSid;
            form["AccountSid"] = "AC00000000000000000000000000000001";

            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Add("X-Twilio-Signature", TwilioRequestSigner.Sign(authToken, publicUrl.ToString().TrimEnd('/') + path, form));
            string outcome;
            try
            {
                using var response = await _http.SendAsync(request, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                outcome = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                next = response.StatusCode == HttpStatusCode.OK
                    ? GatherAction(body)
                    : null;
                menuKey = path.StartsWith("/twilio/voice/incoming", StringComparison.Ordinal) || menuKey == "9" ? "1" : "9";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                outcome = ex.GetType().Name;
                next = null;
            }
            if (due >= measuredFrom) _recorder.Record((clock.ElapsedTicks - due) * 1000.0 / Stopwatch.Frequency, outcome);
        }
    }
}
