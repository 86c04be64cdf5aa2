using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Archive;

/// <summary>Where an S3-compatible bucket is and how to reach it (Archive:S3:*; keys from the environment).</summary>
public sealed class S3StorageOptions
{
    /// <summary>The endpoint, e.g. https://s3.example-bank.internal; path-style addressing is used, as most S3-compatible stores need.</summary>
    public Uri? ServiceUrl { get; set; }

    public string Bucket { get; set; } = "";

    /// <summary>Prepended to every key, so several systems can share a bucket.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>The signing region; S3-compatible stores usually accept any.</summary>
    public string Region { get; set; } = "us-east-1";

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }
}

/// <summary>
/// Archive storage in an S3-compatible bucket. A write goes to a local temp file first and becomes one PUT at
/// commit: an object appears whole or not at all, so the bucket never holds a half-written recording. Reads are
/// seekable through ranged GETs, which Range playback needs.
/// </summary>
public sealed class S3ArchiveStorage : IArchiveStorage, IDisposable
{
    private readonly AmazonS3Client _s3;
    private readonly string _bucket;
    private readonly string _prefix;

    public S3ArchiveStorage(IOptions<ArchiveOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var s3 = options.Value.S3;
        if (s3.ServiceUrl is null || string.IsNullOrEmpty(s3.Bucket))
            throw new InvalidOperationException("Archive:Storage is S3 but Archive:S3:ServiceUrl or Archive:S3:Bucket is not set.");
        _bucket = s3.Bucket;
        _prefix = s3.Prefix.Length == 0 ? "" : s3.Prefix.TrimEnd('/') + "/";
        var config = new AmazonS3Config
        {
            ServiceURL = s3.ServiceUrl.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = s3.Region,
            // Checksums only where the API demands them: many S3-compatible stores reject the SDK's newer trailing checksums.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        _s3 = new AmazonS3Client(new BasicAWSCredentials(s3.AccessKey ?? "", s3.SecretKey ?? ""), config);
    }

    public Task<IArchiveFileWrite> CreateAsync(string key, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(Path.GetTempPath(), "callcenter-archive-" + Guid.NewGuid().ToString("N"));
        var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        return Task.FromResult<IArchiveFileWrite>(new S3Write(this, ObjectKey(key), stream));
    }

    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await _s3.GetObjectMetadataAsync(_bucket, ObjectKey(key), cancellationToken);
            return new RangedReadStream(this, ObjectKey(key), head.ContentLength);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await _s3.DeleteObjectAsync(_bucket, ObjectKey(key), cancellationToken);

    public async Task<IReadOnlyList<string>> ListAsync(string folderKey, string namePrefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(folderKey);
        var folder = folderKey.TrimEnd('/') + "/";
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = ObjectKey(folder) + namePrefix };
        var keys = new List<string>();
        ListObjectsV2Response page;
        do
        {
            page = await _s3.ListObjectsV2Async(request, cancellationToken);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key[_prefix.Length..]));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
        return keys;
    }

    public void Dispose() => _s3.Dispose();

    private string ObjectKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.StartsWith('/') || key.Split('/').Any(part => part is ".." or "."))
            throw new ArgumentException($"Archive key '{key}' is not a plain relative key.", nameof(key));
        return _prefix + key;
    }

    private sealed class S3Write(S3ArchiveStorage storage, string objectKey, FileStream temp) : IArchiveFileWrite
    {
        public Stream Content => temp;

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await temp.FlushAsync(cancellationToken);
            temp.Position = 0;
            await storage._s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = storage._bucket,
                Key = objectKey,
                InputStream = temp,
                AutoCloseStream = false,
                // A plain body with Content-Length: what every S3-compatible store understands.
                UseChunkEncoding = false,
                ContentType = "application/octet-stream",
            }, cancellationToken);
        }

        // The temp file goes with the stream (DeleteOnClose); an uncommitted write leaves nothing in the bucket.
        public ValueTask DisposeAsync() => temp.DisposeAsync();
    }

    /// <summary>A read-only seekable view of an object: each buffer refill is one ranged GET.</summary>
    private sealed class RangedReadStream(S3ArchiveStorage storage, string objectKey, long length) : Stream
    {
        private const int BlockSize = 1 << 20;
        private byte[] _block = [];
        private long _blockStart = -1;
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => _position = value is >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value));
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position >= length || buffer.Length == 0) return 0;
            if (_blockStart < 0 || _position < _blockStart || _position >= _blockStart + _block.Length)
                await FetchAsync(_position, cancellationToken);
            var from = (int)(_position - _blockStart);
            var n = Math.Min(buffer.Length, _block.Length - from);
            _block.AsMemory(from, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private async Task FetchAsync(long start, CancellationToken ct)
        {
            var end = Math.Min(start + BlockSize, length) - 1;
            using var response = await storage._s3.GetObjectAsync(new GetObjectRequest
            {
                BucketName = storage._bucket, Key = objectKey, ByteRange = new ByteRange(start, end),
            }, ct);
            var block = new byte[end - start + 1];
            await response.ResponseStream.ReadExactlyAsync(block, ct);
            (_block, _blockStart) = (block, start);
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
