using System.Text;
using System.Text.Json;
using CallCenter.Server.CallLog;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Degraded;

/// <summary>A change to the <c>calls</c> row of a call: started (insert if absent) or a Twilio status (never replacing a final one).</summary>
public sealed record CallRowChange(string CallSid, DateTimeOffset At, string Status, bool Started = false,
    string? AccountSid = null, string? From = null, string? To = null, string? Direction = null, int? DurationSeconds = null);

/// <summary>One spooled write, in arrival order: a call event or a change to a call's row.</summary>
public sealed record SpoolEntry(NewCallEvent? Event = null, CallRowChange? Call = null);

/// <summary>
/// The call log's write-ahead spool for PostgreSQL outages: a local append-only file of JSON lines, fsynced before a
/// webhook is answered, plus a file holding how far it has been written to the database. Local disk rather than a
/// Redis stream because it needs nothing else to be up (Redis may be the next thing to fail), its durability is an
/// fsync we control instead of Redis's persistence settings (infra/local runs Redis without any), and one instance's
/// order is the file's order. Once anything is spooled, every later write of this instance is spooled behind it until
/// the drain has caught up, so the database sees one order. A crash between a database write and the offset update
/// repeats a few entries, which the call log's idempotency key (call, step) turns into no-ops.
/// </summary>
public sealed class CallLogSpool : IDisposable
{
    private const string DataFile = "call-log.spool";
    private const string OffsetFile = "call-log.spool.offset";
    private const string LockFile = "spool.lock";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly Lock _gate = new();
    private readonly string _directory;
    private readonly FileStream _lock;
    private FileStream? _append;
    private long _length;
    private long _committed;
    private long _entries;

    public CallLogSpool(IOptions<DegradedModeOptions> options, ILogger<CallLogSpool> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _directory = options.Value.SpoolDirectory;
        _lock = LockFolder(_directory);
        var data = Path.Combine(_directory, DataFile);
        if (!File.Exists(data)) return;

        // Left by an earlier run: keep complete lines only (a torn last line was never acknowledged to anyone).
        var bytes = File.ReadAllBytes(data);
        var end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        if (end < bytes.Length)
        {
            logger.LogWarning("Spool {File} ends in a torn entry ({Bytes} bytes) that was never acknowledged; dropping it", data, bytes.Length - end);
            using var truncate = new FileStream(data, FileMode.Open, FileAccess.Write);
            truncate.SetLength(end);
            truncate.Flush(flushToDisk: true);
        }
        _length = end;
        var offsetPath = Path.Combine(_directory, OffsetFile);
        _committed = File.Exists(offsetPath) && long.TryParse(File.ReadAllText(offsetPath), out var offset) && offset <= end ? offset : 0;
        _entries = bytes.AsSpan((int)_committed, (int)(end - _committed)).Count((byte)'\n');
        if (_entries > 0)
            logger.LogWarning("Spool {File} holds {Count} call-log writes not yet in PostgreSQL; they are written first", data, _entries);
    }

    /// <summary>Entries not yet written to the database.</summary>
    public long Depth
    {
        get { lock (_gate) return _entries; }
    }

    public bool HasPending => Depth > 0;

    /// <summary>Appends (and fsyncs) only while something is already waiting, so nothing overtakes it; false otherwise.</summary>
    public bool AppendIfPending(IReadOnlyList<SpoolEntry> entries)
    {
        lock (_gate)
        {
            if (_entries == 0) return false;
            AppendLocked(entries);
            return true;
        }
    }

    /// <summary>Appends and fsyncs; when this returns, the entries survive a crash.</summary>
    public void Append(IReadOnlyList<SpoolEntry> entries)
    {
        lock (_gate) AppendLocked(entries);
    }

    private void AppendLocked(IReadOnlyList<SpoolEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (_append is null)
        {
            Directory.CreateDirectory(_directory);
            // Not FileMode.Append: the drain truncates the file once everything is written.
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, Share = FileShare.Read };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            _append = new FileStream(Path.Combine(_directory, DataFile), options);
            _append.SetLength(_length);
            _append.Position = _length;
        }
        var buffer = new MemoryStream();
        foreach (var entry in entries)
        {
            JsonSerializer.Serialize(buffer, entry, Json);
            buffer.WriteByte((byte)'\n');
        }
        _append.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        _append.Flush(flushToDisk: true);
        _length += buffer.Length;
        _entries += entries.Count;
    }

    /// <summary>The oldest entries not yet written (at most <paramref name="max"/>), each with the offset just past it.</summary>
    public IReadOnlyList<(SpoolEntry Entry, long End)> ReadPending(int max)
    {
        long from, to;
        lock (_gate)
        {
            if (_entries == 0) return [];
            (from, to) = (_committed, _length);
        }
        var result = new List<(SpoolEntry, long)>();
        using var read = new FileStream(Path.Combine(_directory, DataFile), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        read.Position = from;
        using var reader = new StreamReader(read, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        var position = from;
        while (result.Count < max && position < to && reader.ReadLine() is { } line)
        {
            position += Encoding.UTF8.GetByteCount(line) + 1;
            result.Add((JsonSerializer.Deserialize<SpoolEntry>(line, Json)!, position));
        }
        return result;
    }

    /// <summary>
    /// Records that everything before <paramref name="end"/> (covering <paramref name="count"/> entries) is in the database;
    /// when nothing is left, the file starts over empty.
    /// </summary>
    public void Commit(long end, int count)
    {
        lock (_gate)
        {
            _committed = end;
            _entries -= count;
            if (_entries == 0)
            {
                // The data first, then the offset: a crash in between leaves an offset past the end, which reads as 0.
                if (_append is null) File.WriteAllBytes(Path.Combine(_directory, DataFile), []);
                else
                {
                    _append.SetLength(0);
                    _append.Position = 0;
                    _append.Flush(flushToDisk: true);
                }
                _length = 0;
                _committed = 0;
            }
            WriteOffset(_committed);
        }
    }

    private void WriteOffset(long offset)
    {
        using var file = new FileStream(Path.Combine(_directory, OffsetFile), FileMode.Create, FileAccess.Write);
        file.Write(Encoding.ASCII.GetBytes(offset.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        file.Flush(flushToDisk: true);
    }

    // Two processes appending to one spool would interleave their entries and each drain the other's, so the order per
    // instance and the offset would both be lost. A lock held for the process lifetime (flock on Unix, a share lock on
    // Windows; the OS drops it when the process dies, so a crash leaves no stale lock) makes the second one fail at start.
    // Failing beats a per-instance subfolder: a subfolder left by an instance that is not started again is never drained.
    private static FileStream LockFolder(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, LockFile);
        try
        {
            var held = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            held.SetLength(0);
            held.Write(Encoding.ASCII.GetBytes($"{Environment.MachineName} pid {Environment.ProcessId}\n"));
            held.Flush(flushToDisk: true);
            return held;
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException(
                $"The call-log spool folder {directory} is in use by another process (lock {path} is held). Every instance needs its own " +
                "Degraded:SpoolDirectory: two processes sharing one would mix their spooled call events and lose their order.", ex);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _append?.Dispose();
            _lock.Dispose();
        }
    }
}
