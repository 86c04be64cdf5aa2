using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Archive;

/// <summary>
/// Where sealed recordings live. A key is a relative path ("2026/11/27/RE….ccrec"). A write becomes visible under
/// its key only when committed, durably, so a crash never leaves a half-written file under a real key.
/// </summary>
public interface IArchiveStorage
{
    /// <summary>Starts writing a new file; nothing exists under <paramref name="key"/> until the write is committed.</summary>
    Task<IArchiveFileWrite> CreateAsync(string key, CancellationToken cancellationToken);

    /// <summary>A seekable read stream, or null when there is no such file.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes the file if it exists.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every file (committed or not) in the folder of <paramref name="folderKey"/> whose name starts with <paramref name="namePrefix"/>.</summary>
    Task<IReadOnlyList<string>> ListAsync(string folderKey, string namePrefix, CancellationToken cancellationToken);
}

/// <summary>A file being written; disposing without committing leaves nothing visible under the key.</summary>
public interface IArchiveFileWrite : IAsyncDisposable
{
    Stream Content { get; }

    /// <summary>Flushes the bytes to disk, renames the file into place and makes the rename durable.</summary>
    Task CommitAsync(CancellationToken cancellationToken);
}

/// <summary>The default storage: a local folder. Temp file, fsync, atomic rename, fsync of the folder.</summary>
public sealed class LocalFolderArchiveStorage : IArchiveStorage
{
    public const string TempSuffix = ".tmp";
    private readonly string _root;

    public LocalFolderArchiveStorage(IOptions<ArchiveOptions> options) : this(options?.Value.StorageDirectory ?? throw new ArgumentNullException(nameof(options))) { }

    public LocalFolderArchiveStorage(string root) => _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));

    public Task<IArchiveFileWrite> CreateAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + TempSuffix;
        var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        return Task.FromResult<IArchiveFileWrite>(new LocalWrite(stream, temp, path));
    }

    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult<Stream?>(new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.RandomAccess));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (File.Exists(path))
        {
            File.Delete(path);
            SyncDirectory(Path.GetDirectoryName(path)!);
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListAsync(string folderKey, string namePrefix, CancellationToken cancellationToken)
    {
        var folder = PathOf(folderKey);
        if (!Directory.Exists(folder)) return Task.FromResult<IReadOnlyList<string>>([]);
        var relative = folderKey.TrimEnd('/');
        return Task.FromResult<IReadOnlyList<string>>(
            [.. Directory.EnumerateFiles(folder, namePrefix + "*").Select(f => relative + "/" + Path.GetFileName(f))]);
    }

    private string PathOf(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var path = Path.GetFullPath(Path.Combine(_root, key));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"Archive key '{key}' leaves the archive folder.", nameof(key));
        return path;
    }

    /// <summary>Makes a rename or delete in <paramref name="directory"/> durable (POSIX needs an fsync of the folder itself).</summary>
    internal static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        var fd = NativeMethods.open(System.Text.Encoding.UTF8.GetBytes(directory + "\0"), NativeMethods.O_RDONLY | (OperatingSystem.IsLinux() ? NativeMethods.O_DIRECTORY_LINUX : 0));
        if (fd < 0) throw new IOException($"Cannot open folder {directory} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (NativeMethods.fsync(fd) != 0) throw new IOException($"fsync of folder {directory} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = NativeMethods.close(fd);
        }
    }

    private sealed class LocalWrite(FileStream stream, string temp, string path) : IArchiveFileWrite
    {
        private bool _committed;

        public Stream Content => stream;

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
            await stream.DisposeAsync();
            File.Move(temp, path, overwrite: false);
            SyncDirectory(Path.GetDirectoryName(path)!);
            _committed = true;
        }

        // A write abandoned by an exception is removed here; one cut short by a crash leaves only a ".tmp" file,
        // which the next attempt for the same recording deletes.
        public async ValueTask DisposeAsync()
        {
            await stream.DisposeAsync();
            if (!_committed) File.Delete(temp);
        }
    }

    private static partial class NativeMethods
    {
        public const int O_RDONLY = 0;
        public const int O_DIRECTORY_LINUX = 0x10000;

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int open(byte[] nullTerminatedUtf8Path, int flags);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int close(int fd);
    }
}
