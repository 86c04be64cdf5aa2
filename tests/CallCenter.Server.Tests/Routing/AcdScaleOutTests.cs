using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CallCenter.Core.Routing;
using AgentHubNotifier = CallCenter.Server.Agents.AgentHubNotifier;
using CallCenter.Server.Routing;
using CallCenter.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CallCenter.Server.Tests.Routing;

/// <summary>
/// Two server instances over one Redis and one PostgreSQL, with simulated agents working calls through
/// whichever instance they are connected to; one instance is killed half-way.
/// </summary>
public sealed class AcdScaleOutTests
{
    private const int Agents = 200;

    /// <summary>Calls per run: 1,000 by default so CI stays quick; CALLCENTER_SCALEOUT_CALLS=10000 for the full run.</summary>
    private static int Calls => int.TryParse(Environment.GetEnvironmentVariable("CALLCENTER_SCALEOUT_CALLS"), CultureInfo.InvariantCulture, out var n) ? n : 1000;

    [Test]
    [CancelAfter(1_800_000)]
    public async Task Two_instances_route_every_call_to_exactly_one_agent_even_when_one_is_killed_mid_run(CancellationToken ct)
    {
        var prefix = RedisForTests.UniquePrefix();
        using var twilio = WireMockServer.Start();
        twilio.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher($"/2010-04-01/Accounts/{AcdHarness.AccountSid}/Calls/*.json")).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new { sid = "CA0", status = "in-progress" }));
        // Accepted calls are bridged through a conference per call: the agent's softphone is dialled into it.
        TwilioConferenceStubs.Register(twilio, AcdHarness.AccountSid);
        var offered = new OfferSignals();
        await using var a = new Instance(prefix, twilio, offered);
        await using var b = new Instance(prefix, twilio, offered);
        var instances = new[] { a, b };
        Instance Serving(int home) => instances[home].Alive ? instances[home] : instances[1 - home];

        var run = Guid.NewGuid().ToString("N")[..8];
        var callSids = Enumerable.Range(0, Calls).Select(i => $"CA{run}{i:D24}").ToArray();
        var agentIds = Enumerable.Range(0, Agents).Select(i => $"so{run}-{i:D3}").ToArray();
        var accepted = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var doubles = new ConcurrentBag<string>();
        var ended = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // Half the agents take both queues; everyone takes "general". Half are connected to each instance.
        for (var i = 0; i < Agents; i++)
        {
            AgentSkill[] skills = i % 2 == 0 ? [new("general", 2), new("cards", 3)] : [new("general", 2)];
            await instances[i % 2].Acd.LoginAsync(agentIds[i], skills, ct);
        }

        async Task WorkAsync(int index)
        {
            var agentId = agentIds[index];
            while (!stop.IsCancellationRequested)
            {
                var instance = Serving(index % 2);
                using var calls = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, instance.Killed);
                // WaitAsync too: a request stuck inside the killed instance is abandoned, as a crashed process would drop it.
                var token = calls.Token;
                try
                {
                    var me = await instance.Acd.AgentAsync(agentId, token).WaitAsync(token);
                    switch (me.State)
                    {
                        case AgentState.Reserved:
                            await instance.Acd.AcceptAsync(agentId, me.CallSid!, token).WaitAsync(token);
                            if (!accepted.TryAdd(me.CallSid!, agentId))
                                doubles.Add($"{me.CallSid} accepted by {accepted[me.CallSid!]} and {agentId}");
                            // A short call: end it and finish the wrap-up straight away.
                            await instance.Acd.EndCallAsync(agentId, me.CallSid!, token).WaitAsync(token);
                            Interlocked.Increment(ref ended);
                            await instance.Acd.CompleteWrapUpIfRunningAsync(agentId, token).WaitAsync(token);
                            break;
                        case AgentState.OnCall:
                            await instance.Acd.EndCallAsync(agentId, me.CallSid!, token).WaitAsync(token);
                            Interlocked.Increment(ref ended);
                            break;
                        case AgentState.WrapUp:
                            await instance.Acd.CompleteWrapUpIfRunningAsync(agentId, token).WaitAsync(token);
                            break;
                        case AgentState.Break:
                            await instance.Acd.SetStateAsync(agentId, AgentState.Available, null, token).WaitAsync(token);
                            break;
                        default:
                            await offered.WaitAsync(agentId, TimeSpan.FromMilliseconds(200), token);
                            break;
                    }
                }
                catch (IllegalTransitionException)
                {
                    // The state moved on between looking and acting (a ring timeout, say): look again.
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                catch (Exception) when (!instance.Alive)
                {
                    // The instance died under the request; the console reconnects to the other one.
                }
                catch (Exception ex) when (ex is RedisTimeoutException or RedisConnectionException)
                {
                    // A slow moment of a busy machine: the console gets 503 with Retry-After and asks again.
                    await Task.Delay(100, stop.Token).ContinueWith(static _ => { }, TaskScheduler.Default);
                }
            }
        }

        async Task EnqueueAsync(int slice, int slices)
        {
            for (var i = slice; i < callSids.Length; i += slices)
            {
                var request = new CallRequest(callSids[i], i % 2 == 0 ? "general" : "cards");
                var retried = false;
                while (true)
                {
                    var instance = Serving(i % 2);
                    try
                    {
                        using var calls = CancellationTokenSource.CreateLinkedTokenSource(ct, instance.Killed);
                        await instance.Acd.EnqueueAsync(request, calls.Token).WaitAsync(calls.Token);
                        break;
                    }
                    catch (IllegalTransitionException) when (retried)
                    {
                        // The attempt that got no answer had queued the call after all.
                        break;
                    }
                    catch (Exception) when (!instance.Alive)
                    {
                        // Twilio retries a webhook that got no answer; the other instance takes it.
                        retried = true;
                    }
                    catch (Exception ex) when (ex is RedisTimeoutException or RedisConnectionException)
                    {
                        // 503 with Retry-After: the webhook comes again.
                        retried = true;
                        await Task.Delay(100, ct);
                    }
                }
            }
        }

        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Agents).Select(i => Task.Run(() => WorkAsync(i), ct)).ToList();
        var producers = Enumerable.Range(0, 4).Select(s => Task.Run(() => EnqueueAsync(s, 4), ct)).ToList();

        while (Volatile.Read(ref ended) < callSids.Length / 2)
        {
            await Task.Delay(1000, ct);
            TestContext.Progress.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: {Volatile.Read(ref ended)} calls ended, {accepted.Count} accepted");
        }
        var endedBeforeKill = Volatile.Read(ref ended);
        await a.KillAsync();
        TestContext.Progress.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: instance A disposed after {endedBeforeKill} calls ended");
        // Offers instance A made and never saw answered run out on instance B's clock.
        b.Clock.Advance(TimeSpan.FromSeconds(30));

        await Task.WhenAll(producers);
        var probe = new RedisAcdStateStore(RedisForTests.Connection, prefix);
        var remaining = callSids.ToList();
        var progressAt = Stopwatch.StartNew();
        // Until every call has left the ACD, or nothing has moved for a minute (then the assertions say which).
        while (remaining.Count > 0 && progressAt.Elapsed < TimeSpan.FromMinutes(1))
        {
            await b.Acd.TickAsync(ct);
            await Task.Delay(250, ct);
            if (remaining.RemoveAll(sid => probe.FindCall(sid) is null) > 0)
                progressAt.Restart();
            TestContext.Progress.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s: {remaining.Count} calls still in the ACD, {Volatile.Read(ref ended)} ended");
        }
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;

        var agentsLeft = agentIds.Select(probe.FindAgent).Where(x => x?.State is AgentState.Reserved or AgentState.OnCall).Count();
        var redirects = twilio.LogEntries.Count(e => e.RequestMessage?.Method == "POST" && TwilioConferenceStubs.IsCallUpdate(e.RequestMessage.Path));
        TestContext.Out.WriteLine(
            $"{callSids.Length} calls, {Agents} agents, 2 instances (one killed after {endedBeforeKill} calls ended): {elapsed.TotalSeconds:F1} s, " +
            $"{accepted.Count} accepted, {Volatile.Read(ref ended)} ended by the agents, {redirects} Twilio redirects");

        Assert.That(doubles, Is.Empty, "no call is accepted by two agents");
        Assert.That(accepted.Keys.Except(callSids), Is.Empty);
        Assert.That(remaining, Is.Empty, "every call left the ACD by being answered and ended");
        Assert.That(accepted, Has.Count.GreaterThanOrEqualTo(callSids.Length - Agents), "at most the calls in flight on the killed instance were accepted there unseen");
        Assert.That(agentsLeft, Is.Zero, "no agent is left holding a call");
        Assert.That(probe.CountWaitingCallers(0) + probe.CountWaitingCallers(1), Is.Zero);
    }

    /// <summary>One server instance with the Redis ACD store under a shared key prefix.</summary>
    private sealed class Instance : IAsyncDisposable
    {
        private readonly CallCenterServerFactory _root;
        private readonly WebApplicationFactory<Program> _server;
        private bool _disposed;

        public Instance(string prefix, WireMockServer twilio, OfferSignals offered)
        {
            _root = new CallCenterServerFactory(AssemblySetUp.Server.Database);
            _server = _root.WithWebHostBuilder(builder =>
            {
                builder.UseSetting("Acd:Store", "Redis");
                // Thousands of Twilio REST calls: request logging alone would dominate the run.
                builder.UseSetting("Logging:LogLevel:Default", "Warning");
                builder.UseSetting("Acd:RedisKeyPrefix", prefix);
                builder.UseSetting("Twilio:AccountSid", AcdHarness.AccountSid);
                builder.UseSetting("Twilio:ApiBaseUrl", twilio.Urls[0]);
                // Consoles hear offers through the SignalR backplane; the simulated agents hear them here too.
                builder.ConfigureTestServices(services => services.AddSingleton<IAgentNotifier>(sp =>
                    new SignallingNotifier(ActivatorUtilities.CreateInstance<AgentHubNotifier>(sp), offered)));
            });
            Acd = _server.Services.GetRequiredService<AcdHost>();
        }

        public AcdHost Acd { get; }

        public Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock => _root.Clock;

        private readonly CancellationTokenSource _killed = new();

        /// <summary>False once killed: requests still in flight there fail, as with a crashed process.</summary>
        public bool Alive => !_killed.IsCancellationRequested;

        /// <summary>Cancelled at the kill, so requests waiting inside the dead instance end instead of hanging.</summary>
        public CancellationToken Killed => _killed.Token;

        public async Task KillAsync()
        {
            await _killed.CancelAsync();
            await DisposeAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed) return;
            _disposed = true;
            await _server.DisposeAsync();
            await _root.DisposeAsync();
        }
    }

    /// <summary>Wakes a simulated agent when any instance offers it a call.</summary>
    private sealed class OfferSignals
    {
        private readonly ConcurrentDictionary<string, SemaphoreSlim> _signals = new(StringComparer.Ordinal);

        public void Offered(string agentId) => Of(agentId).Release();

        public async Task WaitAsync(string agentId, TimeSpan atMost, CancellationToken ct) => await Of(agentId).WaitAsync(atMost, ct);

        private SemaphoreSlim Of(string agentId) => _signals.GetOrAdd(agentId, _ => new SemaphoreSlim(0));
    }

    private sealed class SignallingNotifier(IAgentNotifier inner, OfferSignals offered) : IAgentNotifier
    {
        public void StateChanged(string agentId, string state, string? reason, DateTimeOffset at) => inner.StateChanged(agentId, state, reason, at);

        public void Offered(string agentId, string callSid, string queue, DateTimeOffset? ringDeadline)
        {
            inner.Offered(agentId, callSid, queue, ringDeadline);
            offered.Offered(agentId);
        }
    }
}
