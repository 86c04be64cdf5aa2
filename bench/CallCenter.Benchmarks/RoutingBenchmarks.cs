using BenchmarkDotNet.Attributes;

namespace CallCenter.Benchmarks;

/// <summary>Steady-state routing with 10,000 agents and 100,000 waiting calls: indexed engine against the naive scan.</summary>
// One invocation per iteration for both, so they share one job and the summary keeps the ratio (an [IterationSetup] alone
// would give the engine a job of its own, reported without a ratio to the baseline).
[MemoryDiagnoser]
[InvocationCount(1)]
public class RoutingBenchmarks
{
    // A fixed count per iteration on a world built for it: left to BenchmarkDotNet's pilot, a fast build ran 128,000 cycles
    // per invocation and past ~900,000 cycles in one world, where some queues have drained, agents go idle and a cycle is
    // no longer the declared population's (iterations 5.5 µs, then 9.5 µs with gen2 collections).
    private const int EngineCycles = 100_000;
    private const int WarmUpCycles = 20_000;
    private const int NaiveCycles = 200;

    private EngineWorkload _engine = null!;
    private NaiveRouter _naive = null!;

    /// <summary>
    /// A fresh world per iteration (BenchmarkDotNet then invokes the benchmark once per iteration): settled as the
    /// Stopwatch mode settles it (the load promoted out of the young generation, then untimed cycles), so every iteration
    /// measures the same 100,000 cycles of 10,000 busy agents and 100,000 waiting calls.
    /// </summary>
    [IterationSetup(Target = nameof(Engine))]
    public void SetUpEngine()
    {
        _engine = new EngineWorkload();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        for (var i = 0; i < WarmUpCycles; i++)
            _engine.Cycle();
    }

    /// <summary>Fails the run rather than report cycles of a smaller population: every agent must still be busy.</summary>
    [IterationCleanup(Target = nameof(Engine))]
    public void CheckPopulation()
    {
        if (_engine.BusyAgents != World.AgentCount)
            throw new InvalidOperationException($"The population drifted: {_engine.BusyAgents} of {World.AgentCount} agents busy after {WarmUpCycles + EngineCycles} cycles.");
    }

    [GlobalSetup(Target = nameof(NaiveScan))]
    public void SetUpNaive() => _naive = new NaiveRouter();

    /// <summary>One operation = one cycle: agent-available decision + answer + end call + new-call decision.</summary>
    [Benchmark(OperationsPerInvoke = EngineCycles)]
    public void Engine()
    {
        for (var i = 0; i < EngineCycles; i++)
            _engine.Cycle();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = NaiveCycles)]
    public void NaiveScan()
    {
        for (var i = 0; i < NaiveCycles; i++)
            _naive.Cycle();
    }
}
