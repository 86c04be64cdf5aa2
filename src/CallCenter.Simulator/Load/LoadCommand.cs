using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace CallCenter.Simulator.Load;

/// <summary>
/// `callcenter-sim load`: an open-loop load of IVR menu steps at a fixed rate. Each simulated caller
/// dials in, picks a language, then walks main menu → accounts menu → back, following the returned TwiML exactly as
/// Twilio does, one request at a time on its own keep-alive connection; after its steps per call it hangs up (Twilio's
/// final status callback, sent at once and timed on its own) and dials a new call. Latency counts from each request's
/// scheduled send time, so a server that falls behind shows it (no coordinated omission).
/// </summary>
internal static class LoadCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static string Line(string kind, Latency latency) =>
        $"  {kind}: {latency.Requests}, latency ms p50 {latency.P50:F2}, p99 {latency.P99:F2}, p99.9 {latency.P999:F2}, max {latency.Max:F2}; outcomes " +
        string.Join(", ", latency.Outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"));

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
        var callers = new Option<int>("--callers") { DefaultValueFactory = _ => 256, Description = "Simulated callers in parallel, each on its own keep-alive connection." };
        var steps = new Option<int>("--steps-per-call")
        {
            DefaultValueFactory = _ => 6,
            Description = "Menu steps (gather actions) a call takes before the caller hangs up and Twilio posts its final status.",
        };
        var to = new Option<string>("--to") { DefaultValueFactory = _ => "+862100000000", Description = "The hotline number dialled." };
        var output = new Option<FileInfo?>("--json") { Description = "Also write the summary as JSON here." };
        var command = new Command("load", "Fixed-rate IVR webhook load; reports p50/p99/p99.9 latency and errors.")
        {
            baseUrl, publicUrl, token, rate, duration, warmup, callers, steps, to, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            var authToken = parse.GetValue(token);
            if (string.IsNullOrEmpty(authToken))
            {
                Console.Error.WriteLine("error: no auth token: pass --auth-token or set Twilio__AuthToken.");
                return 2;
            }
            if (parse.GetValue(steps) < 1)
            {
                Console.Error.WriteLine("error: --steps-per-call must be at least 1.");
                return 2;
            }
            if (parse.GetValue(baseUrl)!.Scheme != Uri.UriSchemeHttp)
            {
                Console.Error.WriteLine("error: the load generator speaks plain HTTP/1.1: point --base-url at an http:// listener.");
                return 2;
            }
            // The callers' socket completions run on the socket event thread instead of hopping to the thread pool: the runtime
            // reads this once, when the process's first socket is made. The callers never block, so inlining them is safe.
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
            using var run = new LoadRun(parse.GetValue(baseUrl)!, parse.GetValue(publicUrl) ?? parse.GetValue(baseUrl)!, authToken,
                parse.GetValue(to)!, parse.GetValue(rate), TimeSpan.FromSeconds(parse.GetValue(duration)), parse.GetValue(callers),
                TimeSpan.FromSeconds(parse.GetValue(warmup)), parse.GetValue(steps));
            var summary = await run.RunAsync(ct);
            Console.WriteLine();
            Console.WriteLine($"requests {summary.Requests}, {summary.PerSecond:F0}/s (incoming calls and menu steps, on the schedule); " +
                $"latency ms p50 {summary.P50:F2}, p99 {summary.P99:F2}, p99.9 {summary.P999:F2}, max {summary.Max:F2}");
            Console.WriteLine(Line("menu steps", summary.Steps));
            Console.WriteLine(Line("incoming calls", summary.Incoming));
            Console.WriteLine(Line("status callbacks (off the schedule, timed from sending)", summary.StatusCallbacks));
            Console.WriteLine($"calls {summary.Calls}; generator CPU {summary.GeneratorCpuMsPerRequest:F3} ms per measured request on the schedule");
            if (parse.GetValue(output) is { } file)
                await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(summary, Indented), ct);
            return summary.Outcomes.Keys.All(k => k == "200") && summary.StatusCallbacks.Outcomes.Keys.All(k => k == "204") ? 0 : 1;
        });
        return command;
    }
}

/// <summary>
/// One load run: a ticket per scheduled request, handed to whichever caller is idle, or queued until one is. Open loop:
/// tickets are issued on schedule whatever the server's pace, and each latency counts from its ticket's scheduled time.
/// </summary>
internal sealed class LoadRun : IDisposable
{
    private readonly Uri _baseUrl;
    private readonly Uri _publicUrl;
    private readonly string _authToken;
    private readonly string _to;
    private readonly int _rate;
    private readonly TimeSpan _duration;
    private readonly TimeSpan _warmup;
    private readonly int _stepsPerCall;
    private readonly LoadCaller[] _callers;
    private readonly Lock _gate = new();
    // First in, first out: the callers take turns, so the steps spread over every call as they did over the HttpClient generator's
    // channel readers. Last in, first out kept a few calls busy, whose IVR state (the path so far) grew ever longer: more work.
    private readonly Queue<LoadCaller> _idle = new();
    private readonly Queue<long> _backlog = new();
    private readonly Stopwatch _clock = new();
    private readonly TaskCompletionSource _allAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _measuredFrom;
    private long _total;
    private long _answered;
    private TimeSpan _cpuAtMeasuredStart;

    public LoadRun(Uri baseUrl, Uri publicUrl, string authToken, string to, int rate, TimeSpan duration, int callers, TimeSpan warmup = default,
        int stepsPerCall = 6)
    {
        (_baseUrl, _publicUrl, _authToken, _to, _rate, _duration, _warmup) = (baseUrl, publicUrl, authToken, to, rate, duration, warmup);
        _stepsPerCall = stepsPerCall;
        _callers = new LoadCaller[callers];
    }

    public void Dispose()
    {
        foreach (var caller in _callers) caller?.Dispose();
    }

    public async Task<LatencySummary> RunAsync(CancellationToken ct)
    {
        var address = IPAddress.TryParse(_baseUrl.Host, out var literal) ? literal : (await Dns.GetHostAddressesAsync(_baseUrl.Host, ct))[0];
        var server = new IPEndPoint(address, _baseUrl.Port);
        for (var i = 0; i < _callers.Length; i++)
        {
            _callers[i] = new LoadCaller(server, _baseUrl.Authority, _publicUrl, _authToken, _to, _stepsPerCall);
            _idle.Enqueue(_callers[i]);
        }
        _total = (long)(_rate * (_warmup + _duration).TotalSeconds);
        _measuredFrom = (long)(_warmup.TotalSeconds * Stopwatch.Frequency);
        using var watchdog = new Timer(_ =>
        {
            var sentBefore = _clock.ElapsedTicks - LoadCaller.Timeout;
            foreach (var caller in _callers) caller.AbortIfStuck(sentBefore);
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        // The schedule runs on its own thread, and the sockets' completions run the callers inline (see LoadCommand): in steady
        // state no request passes through the thread pool, whose hand-offs and spinning were most of the generator's CPU.
        var scheduler = new Thread(() => Schedule(ct)) { IsBackground = true, Name = "load schedule" };
        scheduler.Start();
        await _allAnswered.Task.WaitAsync(ct);
        var generatorCpu = Environment.CpuUsage.TotalTime - _cpuAtMeasuredStart;
        return LatencySummary.Of(_callers, _clock.Elapsed - _warmup, _callers.Sum(c => c.CallsPlaced), generatorCpu.TotalMilliseconds);
    }

    private void Schedule(CancellationToken ct)
    {
        var ticksPerRequest = Stopwatch.Frequency / (double)_rate;
        var millisecond = Stopwatch.Frequency / 1000;
        var progress = Stopwatch.StartNew();
        _clock.Start();
        var measuring = false;
        for (long i = 0; i < _total; i++)
        {
            var due = (long)(i * ticksPerRequest);
            while (due - _clock.ElapsedTicks > millisecond)
            {
                if (ct.IsCancellationRequested) return;
                Thread.Sleep(1);
            }
            if (!measuring && due >= _measuredFrom)
            {
                measuring = true;
                _cpuAtMeasuredStart = Environment.CpuUsage.TotalTime;
            }
            Dispatch(due);
            if (progress.Elapsed > TimeSpan.FromSeconds(1))
            {
                Console.Write($"\r{i * 100 / _total,3}% sent {i}, answered {Interlocked.Read(ref _answered)}");
                progress.Restart();
            }
        }
        if (_total == 0) _allAnswered.TrySetResult();
    }

    private void Dispatch(long due)
    {
        LoadCaller? caller;
        lock (_gate)
        {
            if (!_idle.TryDequeue(out caller))
            {
                _backlog.Enqueue(due);
                return;
            }
        }
        _ = ServeAsync(caller, due);
    }

    // A caller keeps taking queued tickets until there are none, then waits idle for the next.
    private async Task ServeAsync(LoadCaller caller, long due)
    {
        try
        {
            while (true)
            {
                await caller.ServeAsync(due, _measuredFrom, _clock);
                if (Interlocked.Increment(ref _answered) == _total) _allAnswered.TrySetResult();
                lock (_gate)
                {
                    if (!_backlog.TryDequeue(out due))
                    {
                        _idle.Enqueue(caller);
                        return;
                    }
                }
            }
        }
        catch (Exception ex)
        {
            // A bug, not a server's failure (those are outcomes): end the run with it rather than wait for answers that never come.
            _allAnswered.TrySetException(ex);
        }
    }
}
