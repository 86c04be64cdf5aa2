using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CallCenter.Core.Routing;
using CallCenter.Server.CallLog;
using CallCenter.Server.Degraded;
using CallCenter.Server.Outbound;
using CallCenter.Server.Routing;
using CallCenter.Server.Telephony;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace CallCenter.Server.Tests.Routing;

/// <summary>
/// Group commit over the shared store: operations that wait together at the host's gate are decided as one unit of work,
/// with one prefetch and one commit, and each keeps the outcome it would have had alone.
/// </summary>
public sealed class AcdHostBatchTests
{
    private static readonly AcdOptions Options = new()
    {
        Queues = [new QueueOptions { Name = "general", RequiredSkills = [new SkillRequirementOptions { Skill = "cards" }], WrapUpTime = TimeSpan.Zero }],
    };

    private const int Agents = 10;

    [Test]
    public async Task Operations_waiting_together_commit_in_one_round_trip()
    {
        await using var acd = await Acd.StartAsync();
        await acd.AgentsOnCallsAsync(waitingAfter: Agents);

        var (trips, commits) = await acd.WhileGateHeldAsync(() => acd.EndAllCalls());

        Assert.That(commits, Is.EqualTo(2), "the held operation's commit, then one for all ten");
        Assert.That(trips, Is.EqualTo(3), "the held commit, then one prefetch and one commit for the ten end-call-and-claims");
        await acd.AssertEachAgentOfferedAnotherWaitingCallAsync();
    }

    [Test]
    public async Task A_batch_that_keeps_conflicting_runs_each_operation_alone_and_loses_none()
    {
        await using var acd = await Acd.StartAsync();
        await acd.AgentsOnCallsAsync(waitingAfter: Agents);
        // Another node changes every agent the batch read before each of its commits, three times: the batch's attempts.
        acd.Store.BeforeCommit = events =>
        {
            if (events.Count > 4 && acd.Store.Interfered < 3)
                Assert.That(acd.TouchAgents(), Is.True);
        };

        var (_, commits) = await acd.WhileGateHeldAsync(() => acd.EndAllCalls());

        Assert.That(acd.Store.Interfered, Is.EqualTo(3));
        Assert.That(commits, Is.EqualTo(1 + 3 + Agents), "the held one, three failed batch commits, then each operation alone");
        Assert.That(acd.Conflicts, Is.EqualTo(3));
        await acd.AssertEachAgentOfferedAnotherWaitingCallAsync();
    }

    [Test]
    public async Task Operations_whose_reads_another_node_changes_before_every_commit_take_the_turn_and_all_complete()
    {
        await using var acd = await Acd.StartAsync();
        await acd.AgentsOnCallsAsync(waitingAfter: Agents);
        // Another node claims the same records back to back: before each of this node's commits it commits a change to every
        // agent the operations read, whenever it is allowed to.
        var refused = 0;
        acd.Store.BeforeCommit = events =>
        {
            if (events.Count > 0 && !acd.TouchAgents())
                refused++;
        };

        var (_, commits) = await acd.WhileGateHeldAsync(() => acd.EndAllCalls());

        Assert.That(refused, Is.EqualTo(Agents), "the other node's commit is refused once per operation: while that operation holds the turn");
        Assert.That(commits, Is.EqualTo(1 + 3 + (Agents * 4)), "the held one, three failed batch commits, then each alone: three conflicts and the turn's commit");
        Assert.That(acd.Conflicts, Is.EqualTo(3 + (Agents * 3)));
        await acd.AssertEachAgentOfferedAnotherWaitingCallAsync();
        Assert.That(await RedisForTests.Connection.GetDatabase().KeyExistsAsync("{" + acd.Prefix + "}:turn"), Is.False, "each commit gave the turn back");
    }

    [Test]
    public async Task A_conflicting_batch_runs_again_on_fresh_state_and_loses_none()
    {
        await using var acd = await Acd.StartAsync();
        await acd.AgentsOnCallsAsync(waitingAfter: Agents);
        acd.Store.BeforeCommit = events =>
        {
            if (events.Count > 4 && acd.Store.Interfered < 1)
                Assert.That(acd.TouchAgents(), Is.True);
        };

        var (_, commits) = await acd.WhileGateHeldAsync(() => acd.EndAllCalls());

        Assert.That(commits, Is.EqualTo(3), "the held one, the batch's failed commit, its second run's");
        Assert.That(acd.Conflicts, Is.EqualTo(1));
        await acd.AssertEachAgentOfferedAnotherWaitingCallAsync();
    }

    [Test]
    public async Task An_operation_refused_with_409_does_not_fail_the_others_waiting_with_it()
    {
        await using var acd = await Acd.StartAsync();
        await acd.AgentsOnCallsAsync(waitingAfter: Agents);
        Task? refused = null;

        var (_, commits) = await acd.WhileGateHeldAsync(() =>
        {
            var ends = acd.EndAllCalls();
            // Not this agent's call: illegal, in the middle of the batch.
            refused = acd.Host.EndCallAsync("a0", acd.CallOf("a1"), CancellationToken.None);
            return [.. ends.Take(Agents / 2), refused, .. ends.Skip(Agents / 2)];
        }, expectFaults: true);

        Assert.That(async () => await refused!, Throws.TypeOf<IllegalTransitionException>());
        Assert.That(commits, Is.EqualTo(2), "the held one, then the others together (the refused one writes nothing)");
        await acd.AssertEachAgentOfferedAnotherWaitingCallAsync();
    }

    [Test]
    public async Task A_call_arriving_in_the_batch_that_frees_an_agent_is_offered_to_that_agent()
    {
        await using var acd = await Acd.StartAsync();
        await acd.AgentsOnCallsAsync(waitingAfter: 0);

        // a0 ends its call with nobody waiting (idle), then a call arrives: its routing reads the idle line the first changed.
        await acd.WhileGateHeldAsync(() =>
        [
            acd.Host.EndCallAsync("a0", acd.CallOf("a0"), CancellationToken.None),
            acd.Host.EnqueueAsync(new CallRequest("late", "general"), CancellationToken.None),
        ]);

        Assert.That(acd.Offers["a0"], Is.EqualTo("late"));
        Assert.That((await acd.Host.AgentAsync("a0", CancellationToken.None)).State, Is.EqualTo(AgentState.Reserved));
    }

    /// <summary>One host over a Redis store whose commits can be held, with stand-ins that answer at once.</summary>
    private sealed class Acd : IAsyncDisposable
    {
        private readonly Dictionary<string, string> _calls = new(StringComparer.Ordinal);
        private readonly Meters _meters = new();
        private readonly MeterListener _listener = new();
        private long _conflicts;

        private Acd(string prefix)
        {
            Prefix = prefix;
            Store = new HeldStore(RedisForTests.Connection, prefix);
            Host = new AcdHost(MsOptions.Create(Options), Store, TimeProvider.System, Log, new ConnectingTwilio(), MsOptions.Create(new TwilioOptions()),
                new AcdMetrics(_meters), new OfferNotifier(Offers), new NoCallbacks(), NullLogger<AcdHost>.Instance);
            _listener.InstrumentPublished = (instrument, l) =>
            {
                // Tests run in parallel, each host on meters of its own: only this one's.
                if (_meters.Owns(instrument.Meter) && instrument.Name == "callcenter.acd.conflicts")
                    l.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _conflicts, value));
            _listener.Start();
        }

        public string Prefix { get; }

        public HeldStore Store { get; }

        public AcdHost Host { get; }

        public RecordingLog Log { get; } = new();

        public ConcurrentDictionary<string, string> Offers { get; } = new(StringComparer.Ordinal);

        public long Conflicts => Interlocked.Read(ref _conflicts);

        public static Task<Acd> StartAsync() => Task.FromResult(new Acd(RedisForTests.UniquePrefix()));

        public string CallOf(string agentId) => _calls[agentId];

        /// <summary>Each agent on a call of its own, then <paramref name="waitingAfter"/> callers waiting.</summary>
        public async Task AgentsOnCallsAsync(int waitingAfter)
        {
            for (var i = 0; i < Agents; i++)
            {
                var agent = "a" + i;
                await Host.LoginAsync(agent, [new AgentSkill("cards", 1)], CancellationToken.None);
                await Host.EnqueueAsync(new CallRequest("first-" + i, "general"), CancellationToken.None);
                Assert.That(Offers.TryRemove(agent, out var call), Is.True);
                await Host.AcceptAsync(agent, call!, CancellationToken.None);
                _calls[agent] = call!;
            }
            for (var i = 0; i < waitingAfter; i++)
                await Host.EnqueueAsync(new CallRequest("waiting-" + i, "general"), CancellationToken.None);
        }

        public List<Task> EndAllCalls() =>
            [.. Enumerable.Range(0, Agents).Select(i => Host.EndCallAsync("a" + i, _calls["a" + i], CancellationToken.None))];

        /// <summary>
        /// Holds the host's gate (an operation's commit waits), starts the operations (each waits at the gate at once), lets go,
        /// and returns the round trips and commits from then on.
        /// </summary>
        public async Task<(long Trips, int Commits)> WhileGateHeldAsync(Func<List<Task>> start, bool expectFaults = false)
        {
            Store.HoldNextCommit();
            var held = Task.Run(() => Host.LoginAsync("gate", [new AgentSkill("none", 1)], CancellationToken.None));
            Assert.That(await Store.Held.WaitAsync(TimeSpan.FromSeconds(10)), Is.True, "the held commit started");
            var trips = Store.RoundTrips;
            var commits = Store.Commits;
            var operations = start();
            Store.Release.Set();
            await held;
            if (expectFaults)
                await Task.WhenAll(operations.Select(o => o.ContinueWith(_ => { }, TaskScheduler.Default)));
            else
                await Task.WhenAll(operations);
            return (Store.RoundTrips - trips, Store.Commits - commits);
        }

        // Another node rewrites every agent record (a new version), so a commit that read them fails its checks; false when its
        // commit is refused (this node holds the turn).
        public bool TouchAgents()
        {
            var other = new RedisAcdStateStore(RedisForTests.Connection, Prefix);
            other.Begin();
            for (var i = 0; i < Agents; i++)
            {
                var agent = other.FindAgent("a" + i)!;
                other.SaveAgent(agent with { Version = agent.Version + 1 });
            }
            if (!other.Commit())
                return false;
            Store.Interfered++;
            return true;
        }

        /// <summary>Every agent was offered a different call that had been waiting, and the call log numbered each offer once.</summary>
        public async Task AssertEachAgentOfferedAnotherWaitingCallAsync()
        {
            var offered = new List<string>();
            for (var i = 0; i < Agents; i++)
            {
                var view = await Host.AgentAsync("a" + i, CancellationToken.None);
                Assert.That(view.State, Is.EqualTo(AgentState.Reserved), "a" + i);
                Assert.That(Offers.TryGetValue("a" + i, out var call) && call == view.CallSid, Is.True, "the console was told of the offer it holds");
                offered.Add(view.CallSid!);
            }
            Assert.That(offered, Is.Unique);
            Assert.That(offered, Has.All.StartsWith("waiting-"));
            foreach (var call in offered)
                Assert.That(Log.StepKeys(call).Count(k => k.StartsWith("acd.offered#", StringComparison.Ordinal)), Is.EqualTo(1), call);
            foreach (var (agent, call) in _calls)
                Assert.That(Log.StepKeys(call), Does.Contain("acd.completed#1"), $"{agent}'s call ended");
            Assert.That(Log.All.GroupBy(e => (e.CallSid, e.StepKey)).Where(g => g.Count() > 1).Select(g => g.Key), Is.Empty, "no step key twice");
        }

        public ValueTask DisposeAsync()
        {
            _listener.Dispose();
            Host.Dispose();
            _meters.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The Redis store, counting commits; the next commit can be held (with the host's gate) until released.</summary>
    private sealed class HeldStore(IConnectionMultiplexer redis, string prefix) : RedisAcdStateStore(redis, prefix)
    {
        private int _hold;

        public SemaphoreSlim Held { get; } = new(0);

        public ManualResetEventSlim Release { get; } = new(false);

        public int Commits { get; private set; }

        public int Interfered { get; set; }

        public Action<IReadOnlyList<(string CallId, string Type)>>? BeforeCommit { get; set; }

        public void HoldNextCommit()
        {
            Release.Reset();
            Interlocked.Exchange(ref _hold, 1);
        }

        public override bool Commit(IReadOnlyList<(string CallId, string Type)> events, out IReadOnlyList<long> numbers)
        {
            if (Interlocked.Exchange(ref _hold, 0) == 1)
            {
                Held.Release();
                Release.Wait(TimeSpan.FromSeconds(30));
            }
            BeforeCommit?.Invoke(events);
            Commits++;
            return base.Commit(events, out numbers);
        }
    }

    private sealed class RecordingLog : ICallEventLog
    {
        private readonly ConcurrentQueue<NewCallEvent> _events = new();

        public bool IsSpooling => false;

        public IReadOnlyCollection<NewCallEvent> All => _events;

        public IEnumerable<string> StepKeys(string callSid) => _events.Where(e => e.CallSid == callSid).Select(e => e.StepKey);

        public Task<AppendResult> AppendAsync(NewCallEvent callEvent, CancellationToken cancellationToken)
        {
            _events.Enqueue(callEvent);
            return Task.FromResult(new AppendResult(0, 0, true));
        }

        public Task RecordCallAsync(CallRowChange change, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class OfferNotifier(ConcurrentDictionary<string, string> offers) : IAgentNotifier
    {
        public void StateChanged(string agentId, string state, string? reason, DateTimeOffset at)
        {
        }

        public void Offered(string agentId, string callSid, string queue, DateTimeOffset? ringDeadline) => offers[agentId] = callSid;
    }

    private sealed class ConnectingTwilio : ITwilioCallControl
    {
        public Task<ConferenceLeg?> ConnectToAgentAsync(string callSid, string agentId, CancellationToken ct) =>
            Task.FromResult<ConferenceLeg?>(new ConferenceLeg("CF-" + callSid, "CA-" + agentId));

        public Task<bool> MoveToCallbackRequestAsync(string callSid, CancellationToken ct) => Task.FromResult(true);

        public Task<bool> SetRecordingPausedAsync(string callSid, bool paused, CancellationToken ct) => Task.FromResult(true);

        public Task<string?> PlaceCallAsync(string to, string from, string twiml, Uri statusCallback, CancellationToken ct, Uri? recordingStatusCallback = null) =>
            Task.FromResult<string?>(null);

        public Task<TwilioCallState?> FetchCallAsync(string callSid, CancellationToken ct) => Task.FromResult<TwilioCallState?>(null);
    }

    private sealed class NoCallbacks : ICallbackDialler
    {
        public Task<bool> DialAsync(string callbackId, string agentId, CancellationToken ct) => Task.FromResult(false);
    }

    private sealed class Meters : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public bool Owns(Meter meter) => _meters.Contains(meter);

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
