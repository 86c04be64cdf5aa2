using BenchmarkDotNet.Running;
using CallCenter.Benchmarks;

if (args.Length > 0 && args[0] == "--latency")
{
    LatencyRun.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000);
    return;
}

if (args.Length > 0 && args[0] == "--redis-claims")
{
    // --redis-claims [redis] [processes] [seconds timed] [seconds of warm-up before]
    RedisClaimRun.Run(args.Length > 1 ? args[1] : "127.0.0.1:56379",
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2,
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20,
        args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 20);
    return;
}

if (args.Length > 5 && args[0] == "--redis-claims-worker")
{
    await RedisClaimRun.WorkerAsync(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args.Length > 0 && args[0] == "--redis-open")
{
    // --redis-open [redis] [processes] [calls/s arriving, all processes] [seconds timed] [seconds of warm-up before]
    RedisOpenLoopRun.Run(args.Length > 1 ? args[1] : "127.0.0.1:56379",
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 2,
        args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 1000,
        args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 20,
        args.Length > 5 ? int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 20);
    return;
}

if (args.Length > 6 && args[0] == "--redis-open-worker")
{
    await RedisOpenLoopRun.WorkerAsync(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture),
        double.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[6], System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args.Length > 4 && args[0] == "--redis-floor")
{
    // --redis-floor <redis> <sync|async> <callers> <seconds>
    await RedisFloorRun.RunAsync(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture));
    return;
}

if (args.Length > 1 && args[0] == "--cycles")
{
    // Steady state only, for an external profiler.
    var workload = new EngineWorkload();
    for (var i = 0; i < int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture); i++)
        workload.Cycle();
    return;
}

if (args.Length > 1 && args[0] == "--archive-finalise")
{
    await ArchiveRuns.FinaliseAsync(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1000);
    return;
}

if (args.Length > 1 && args[0] == "--archive-sweep")
{
    await ArchiveRuns.SweepAsync(args[1], args.Length > 2 ? long.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10_000_000);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(RoutingBenchmarks).Assembly).Run(args);
