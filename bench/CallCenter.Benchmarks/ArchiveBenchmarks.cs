extern alias server;

using BenchmarkDotNet.Attributes;
using CallCenter.Core.Archive;
using server::CallCenter.Server.Archive;

namespace CallCenter.Benchmarks;

/// <summary>
/// Archive ingest throughput: a 64 MB WAV already downloaded (in memory) hashed, sealed with AES-256-GCM and
/// written through the local archive storage (temp file, fsync, rename, fsync of the folder), as the ingest
/// worker does; and the same without the disk, to show what the crypto alone costs.
/// </summary>
[MemoryDiagnoser]
public class ArchiveBenchmarks
{
    public const int WavBytes = 64 * 1024 * 1024;
    private byte[] _wav = [];
    private byte[] _dataKey = [];
    private string _folder = "";
    private LocalFolderArchiveStorage _storage = null!;
    private int _n;

    [GlobalSetup]
    public void Setup()
    {
        _wav = new byte[WavBytes];
        new Random(7).NextBytes(_wav);
        _dataKey = RecordingEnvelope.NewDataKey();
        _folder = Path.Combine(Environment.GetEnvironmentVariable("ARCHIVE_BENCH_DIR") ?? Path.GetTempPath(), "callcenter-archive-bench-" + Guid.NewGuid().ToString("N"));
        _storage = new LocalFolderArchiveStorage(_folder);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    [Benchmark(Description = "ingest 64 MB WAV: SHA-256 + AES-256-GCM + temp file + fsync + rename + folder fsync")]
    public async Task<long> IngestToDisk()
    {
        var key = $"2026/11/28/RE{_n++:D32}.ccrec";
        await using (var write = await _storage.CreateAsync(key, CancellationToken.None))
        {
            await RecordingEnvelope.SealAsync(new MemoryStream(_wav, writable: false), write.Content, _dataKey, CancellationToken.None);
            await write.CommitAsync(CancellationToken.None);
        }
        // Keeps the disk from filling over thousands of iterations; an unlink is negligible beside 64 MB.
        await _storage.DeleteAsync(key, CancellationToken.None);
        return _n;
    }

    [Benchmark(Description = "seal 64 MB WAV only: SHA-256 + AES-256-GCM to Stream.Null")]
    public Task<SealedRecording> SealOnly() =>
        RecordingEnvelope.SealAsync(new MemoryStream(_wav, writable: false), Stream.Null, _dataKey, CancellationToken.None);
}
