using System.Buffers.Binary;
using System.Security.Cryptography;

namespace CallCenter.Core.Archive;

/// <summary>The outcome of sealing a recording: its plaintext length and SHA-256, and how many bytes were written.</summary>
public sealed record SealedRecording(long PlaintextBytes, byte[] Sha256, long StoredBytes);

/// <summary>
/// The archive's file format: a 16-byte header (magic "CCREC01\0", chunk size, reserved) and the recording in
/// fixed-size chunks, each sealed with AES-256-GCM under the recording's own data key. Chunk i uses nonce
/// (0,0,0,0, i as 8 bytes big-endian) — unique because the key is used for one file only — and authenticates the
/// header, its index and whether it is the last chunk, so chunks cannot be reordered, swapped or cut off. The
/// last chunk is always shorter than a full one (empty when the length is a multiple of the chunk size), which
/// lets a reader find any plaintext offset from the file length alone: playback seeks without reading the rest.
/// </summary>
public static class RecordingEnvelope
{
    public const int HeaderSize = 16;
    public const int TagSize = 16;
    public const int NonceSize = 12;
    public const int KeySize = 32;
    /// <summary>64 KiB: large enough for full speed, small enough that a seek decrypts little.</summary>
    public const int DefaultChunkSize = 64 * 1024;

    private static ReadOnlySpan<byte> Magic => "CCREC01\0"u8;

    /// <summary>A fresh random 256-bit data key.</summary>
    public static byte[] NewDataKey() => RandomNumberGenerator.GetBytes(KeySize);

    /// <summary>
    /// Reads <paramref name="source"/> to its end, writing the sealed form to <paramref name="destination"/> while
    /// hashing the plaintext. Memory stays at two chunks whatever the recording's length.
    /// </summary>
    public static async Task<SealedRecording> SealAsync(Stream source, Stream destination, byte[] dataKey,
        CancellationToken cancellationToken, int chunkSize = DefaultChunkSize)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(dataKey);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1024);
        var header = Header(chunkSize);
        await destination.WriteAsync(header, cancellationToken);
        using var aes = new AesGcm(dataKey, TagSize);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var plain = new byte[chunkSize];
        var sealedChunk = new byte[chunkSize + TagSize];
        var nonce = new byte[NonceSize];
        var aad = new byte[HeaderSize + 9];
        header.CopyTo(aad, 0);
        long total = 0, stored = HeaderSize;
        for (long index = 0; ; index++)
        {
            var read = await source.ReadAtLeastAsync(plain, chunkSize, throwOnEndOfStream: false, cancellationToken);
            var final = read < chunkSize;
            sha.AppendData(plain, 0, read);
            Seal(aes, index, final, plain.AsSpan(0, read), sealedChunk.AsSpan(0, read + TagSize), nonce, aad);
            await destination.WriteAsync(sealedChunk.AsMemory(0, read + TagSize), cancellationToken);
            total += read;
            stored += read + TagSize;
            if (final) break;
        }
        return new SealedRecording(total, sha.GetHashAndReset(), stored);
    }

    /// <summary>Decrypts a whole sealed file (every tag checked) and returns the plaintext's length and SHA-256.</summary>
    public static async Task<(long Bytes, byte[] Sha256)> VerifyAsync(Stream sealedFile, byte[] dataKey, CancellationToken cancellationToken)
    {
        await using var plain = new RecordingDecryptStream(sealedFile, dataKey, leaveOpen: true);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[DefaultChunkSize];
        int read;
        while ((read = await plain.ReadAsync(buffer, cancellationToken)) > 0) sha.AppendData(buffer, 0, read);
        return (plain.Length, sha.GetHashAndReset());
    }

    internal static byte[] Header(int chunkSize)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), chunkSize);
        return header;
    }

    /// <summary>Checks the magic and returns the chunk size; throws <see cref="InvalidDataException"/> for anything else.</summary>
    internal static int ReadHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < HeaderSize || !header[..8].SequenceEqual(Magic))
            throw new InvalidDataException("Not a sealed recording (bad magic).");
        var chunkSize = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        if (chunkSize is < 1024 or > 16 * 1024 * 1024) throw new InvalidDataException($"Not a sealed recording (chunk size {chunkSize}).");
        return chunkSize;
    }

    private static void Seal(AesGcm aes, long index, bool final, ReadOnlySpan<byte> plain, Span<byte> output, byte[] nonce, byte[] aad)
    {
        ChunkNonceAndAad(index, final, nonce, aad);
        aes.Encrypt(nonce, plain, output[..plain.Length], output.Slice(plain.Length, TagSize), aad);
    }

    internal static void Open(AesGcm aes, long index, bool final, ReadOnlySpan<byte> sealedChunk, Span<byte> plain, byte[] nonce, byte[] aad)
    {
        ChunkNonceAndAad(index, final, nonce, aad);
        var length = sealedChunk.Length - TagSize;
        aes.Decrypt(nonce, sealedChunk[..length], sealedChunk[length..], plain[..length], aad);
    }

    /// <summary>aad already holds the header in its first 16 bytes.</summary>
    private static void ChunkNonceAndAad(long index, bool final, byte[] nonce, byte[] aad)
    {
        Array.Clear(nonce, 0, 4);
        BinaryPrimitives.WriteInt64BigEndian(nonce.AsSpan(4), index);
        BinaryPrimitives.WriteInt64BigEndian(aad.AsSpan(HeaderSize), index);
        aad[HeaderSize + 8] = final ? (byte)1 : (byte)0;
    }
}

/// <summary>
/// A read-only, seekable view of a sealed recording's plaintext: each read decrypts (and authenticates) only
/// the chunk it touches, so HTTP Range playback starts anywhere without decrypting what comes before.
/// A tampered chunk throws <see cref="CryptographicException"/> instead of returning bytes.
/// </summary>
public sealed class RecordingDecryptStream : Stream
{
    private readonly Stream _sealed;
    private readonly bool _leaveOpen;
    private readonly AesGcm _aes;
    private readonly int _chunkSize;
    private readonly long _chunkCount;
    private readonly long _length;
    private readonly byte[] _sealedChunk;
    private readonly byte[] _plainChunk;
    private readonly byte[] _nonce = new byte[RecordingEnvelope.NonceSize];
    private readonly byte[] _aad = new byte[RecordingEnvelope.HeaderSize + 9];
    private long _cachedIndex = -1;
    private int _cachedLength;
    private long _position;
    private bool _finalVerified;

    /// <summary>Reads the header at once; throws <see cref="InvalidDataException"/> for a file that is not a sealed recording.</summary>
    public RecordingDecryptStream(Stream sealedFile, byte[] dataKey, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(sealedFile);
        ArgumentNullException.ThrowIfNull(dataKey);
        if (!sealedFile.CanSeek) throw new ArgumentException("The sealed file must be seekable.", nameof(sealedFile));
        _sealed = sealedFile;
        _leaveOpen = leaveOpen;
        var header = new byte[RecordingEnvelope.HeaderSize];
        _sealed.Position = 0;
        _sealed.ReadExactly(header);
        _chunkSize = RecordingEnvelope.ReadHeader(header);
        header.CopyTo(_aad, 0);
        var body = _sealed.Length - RecordingEnvelope.HeaderSize;
        if (body < RecordingEnvelope.TagSize) throw new InvalidDataException("Sealed recording is truncated.");
        var full = _chunkSize + RecordingEnvelope.TagSize;
        // Every chunk but the last is full; the last holds fewer than chunkSize bytes plus its tag.
        _chunkCount = ((body - RecordingEnvelope.TagSize) / full) + 1;
        _length = body - (_chunkCount * RecordingEnvelope.TagSize);
        _sealedChunk = new byte[full];
        _plainChunk = new byte[_chunkSize];
        _aes = new AesGcm(dataKey, RecordingEnvelope.TagSize);
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        if (_position >= _length)
        {
            // End of data: the last chunk (empty when the length is a multiple of the chunk size) must still
            // authenticate, or a file cut at a chunk boundary would read as complete.
            if (!_finalVerified) LoadChunk(_chunkCount - 1);
            return 0;
        }
        var index = _position / _chunkSize;
        LoadChunk(index);
        var within = (int)(_position - (index * _chunkSize));
        var n = Math.Min(buffer.Length, _cachedLength - within);
        _plainChunk.AsSpan(within, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void LoadChunk(long index)
    {
        if (index == _cachedIndex) return;
        var final = index == _chunkCount - 1;
        var full = _chunkSize + RecordingEnvelope.TagSize;
        var sealedLength = final ? (int)(_sealed.Length - RecordingEnvelope.HeaderSize - (index * full)) : full;
        _sealed.Position = RecordingEnvelope.HeaderSize + (index * full);
        _sealed.ReadExactly(_sealedChunk, 0, sealedLength);
        _cachedIndex = -1;
        RecordingEnvelope.Open(_aes, index, final, _sealedChunk.AsSpan(0, sealedLength), _plainChunk, _nonce, _aad);
        _cachedIndex = index;
        _cachedLength = sealedLength - RecordingEnvelope.TagSize;
        _finalVerified |= final;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => _length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes.Dispose();
            if (!_leaveOpen) _sealed.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>
/// Wraps a recording's data key under a master key (AES-256-GCM, the recording SID authenticated with it), so the
/// catalogue holds only wrapped keys and destroying the wrapped key makes the file unreadable for good.
/// </summary>
public static class DataKeyWrap
{
    /// <summary>nonce (12) + wrapped key (32) + tag (16).</summary>
    public const int WrappedSize = RecordingEnvelope.NonceSize + RecordingEnvelope.KeySize + RecordingEnvelope.TagSize;

    public static byte[] Wrap(byte[] masterKey, byte[] dataKey, string recordingSid)
    {
        ArgumentNullException.ThrowIfNull(dataKey);
        ArgumentException.ThrowIfNullOrEmpty(recordingSid);
        var wrapped = new byte[WrappedSize];
        RandomNumberGenerator.Fill(wrapped.AsSpan(0, RecordingEnvelope.NonceSize));
        using var aes = new AesGcm(masterKey, RecordingEnvelope.TagSize);
        aes.Encrypt(wrapped.AsSpan(0, RecordingEnvelope.NonceSize), dataKey,
            wrapped.AsSpan(RecordingEnvelope.NonceSize, RecordingEnvelope.KeySize),
            wrapped.AsSpan(RecordingEnvelope.NonceSize + RecordingEnvelope.KeySize), System.Text.Encoding.UTF8.GetBytes(recordingSid));
        return wrapped;
    }

    /// <summary>Throws <see cref="CryptographicException"/> when the master key or recording SID does not match.</summary>
    public static byte[] Unwrap(byte[] masterKey, byte[] wrapped, string recordingSid)
    {
        ArgumentNullException.ThrowIfNull(wrapped);
        if (wrapped.Length != WrappedSize) throw new CryptographicException("Wrapped data key has the wrong length.");
        var dataKey = new byte[RecordingEnvelope.KeySize];
        using var aes = new AesGcm(masterKey, RecordingEnvelope.TagSize);
        aes.Decrypt(wrapped.AsSpan(0, RecordingEnvelope.NonceSize), wrapped.AsSpan(RecordingEnvelope.NonceSize, RecordingEnvelope.KeySize),
            wrapped.AsSpan(RecordingEnvelope.NonceSize + RecordingEnvelope.KeySize), dataKey, System.Text.Encoding.UTF8.GetBytes(recordingSid));
        return dataKey;
    }
}
