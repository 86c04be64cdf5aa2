using BenchmarkDotNet.Attributes;

namespace CallCenter.Benchmarks;

/// <summary>Steady-state routing with 10,000 agents and 100,000 waiting calls: indexed engine against the naive scan.</summary>
[MemoryDiagnoser]
public class RoutingBenchmarks
{
    private const int EngineCycles = 2_000;
    private const int NaiveCycles = 20;

    private EngineWorkload _engine = null!;
    private NaiveRouter _naive = null!;

    [GlobalSetup(Target = nameof(Engine))]
    public void SetUpEngine() => _engine = new EngineWorkload();

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
