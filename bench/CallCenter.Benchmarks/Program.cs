using BenchmarkDotNet.Running;
using CallCenter.Benchmarks;

if (args.Length > 0 && args[0] == "--latency")
{
    LatencyRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(RoutingBenchmarks).Assembly).Run(args);
