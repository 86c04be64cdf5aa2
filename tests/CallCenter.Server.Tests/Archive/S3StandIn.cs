using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security;
using System.Text;
using WireMock;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace CallCenter.Server.Tests.Archive;

/// <summary>
/// WireMock playing an S3-compatible bucket in memory (no object store runs on this machine): PUT, HEAD, ranged GET,
/// DELETE and ListObjectsV2 with path-style addressing, as the AWS SDK sends them.
/// </summary>
internal sealed class S3StandIn : IDisposable
{
    public const string Bucket = "recordings";
    private readonly ConcurrentDictionary<string, byte[]> _objects = new(StringComparer.Ordinal);

    public S3StandIn()
    {
        Server = WireMockServer.Start();
        Server.Given(Request.Create().WithPath(new WireMock.Matchers.WildcardMatcher($"/{Bucket}*")))
            .RespondWith(Response.Create().WithCallback(Handle));
    }

    public WireMockServer Server { get; }

    public IReadOnlyCollection<string> Keys => [.. _objects.Keys];

    public Dictionary<string, string> Settings(string prefix = "") => new()
    {
        ["Archive:Storage"] = "S3",
        ["Archive:S3:ServiceUrl"] = Server.Urls[0],
        ["Archive:S3:Bucket"] = Bucket,
        ["Archive:S3:Prefix"] = prefix,
        ["Archive:S3:AccessKey"] = "test-access-key",
        ["Archive:S3:SecretKey"] = "test-secret-key",
    };

    /// <summary>Flips one byte of a stored object, as bit rot in the bucket would.</summary>
    public void Corrupt(string key, int offset) => _objects[key][offset] ^= 0xFF;

    private ResponseMessage Handle(IRequestMessage request)
    {
        var key = Uri.UnescapeDataString(request.Path.TrimStart('/')[Bucket.Length..].TrimStart('/'));
        return (request.Method, key.Length) switch
        {
            ("GET", 0) => List(request.Query?.TryGetValue("prefix", out var p) == true ? p.ToString() ?? "" : ""),
            ("PUT", _) => Put(key, request.BodyAsBytes ?? []),
            ("HEAD", _) => _objects.TryGetValue(key, out var head) ? Reply(HttpStatusCode.OK, [], ("Content-Length", head.Length.ToString(CultureInfo.InvariantCulture)))
                : Reply(HttpStatusCode.NotFound, []),
            ("GET", _) => Get(key, request.Headers?.TryGetValue("Range", out var range) == true ? range.ToString() : null),
            ("DELETE", _) => Delete(key),
            _ => Reply(HttpStatusCode.MethodNotAllowed, []),
        };
    }

    private ResponseMessage Put(string key, byte[] body)
    {
        _objects[key] = body;
        return Reply(HttpStatusCode.OK, [], ("ETag", "\"" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(body))[..32] + "\""));
    }

    private ResponseMessage Delete(string key)
    {
        _objects.TryRemove(key, out _);
        return Reply(HttpStatusCode.NoContent, []);
    }

    private ResponseMessage Get(string key, string? range)
    {
        if (!_objects.TryGetValue(key, out var data))
            return Reply(HttpStatusCode.NotFound, Encoding.UTF8.GetBytes("<Error><Code>NoSuchKey</Code><Message>missing</Message></Error>"),
                ("Content-Type", "application/xml"));
        if (range is null || !range.StartsWith("bytes=", StringComparison.Ordinal))
            return Reply(HttpStatusCode.OK, data, ("Content-Type", "application/octet-stream"));
        var bounds = range["bytes=".Length..].Split('-');
        var start = long.Parse(bounds[0], CultureInfo.InvariantCulture);
        var end = Math.Min(bounds[1].Length == 0 ? data.Length - 1 : long.Parse(bounds[1], CultureInfo.InvariantCulture), data.Length - 1);
        return Reply(HttpStatusCode.PartialContent, data[(int)start..(int)(end + 1)],
            ("Content-Range", $"bytes {start}-{end}/{data.Length}"), ("Content-Type", "application/octet-stream"));
    }

    private ResponseMessage List(string prefix)
    {
        var matches = _objects.Where(o => o.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(o => o.Key, StringComparer.Ordinal).ToList();
        var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">")
            .Append(CultureInfo.InvariantCulture, $"<Name>{Bucket}</Name><Prefix>{SecurityElement.Escape(prefix)}</Prefix><KeyCount>{matches.Count}</KeyCount>")
            .Append("<MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>");
        foreach (var (key, data) in matches)
            xml.Append(CultureInfo.InvariantCulture, $"<Contents><Key>{SecurityElement.Escape(key)}</Key><Size>{data.Length}</Size>")
                .Append("<LastModified>2026-11-28T00:00:00.000Z</LastModified><ETag>\"0\"</ETag><StorageClass>STANDARD</StorageClass></Contents>");
        xml.Append("</ListBucketResult>");
        return Reply(HttpStatusCode.OK, Encoding.UTF8.GetBytes(xml.ToString()), ("Content-Type", "application/xml"));
    }

    private static ResponseMessage Reply(HttpStatusCode status, byte[] body, params (string Name, string Value)[] headers)
    {
        var message = new ResponseMessage
        {
            StatusCode = (int)status,
            Headers = headers.ToDictionary(h => h.Name, h => new WireMockList<string>(h.Value)),
        };
        if (body.Length > 0) message.BodyData = new BodyData { BodyAsBytes = body, DetectedBodyType = BodyType.Bytes };
        return message;
    }

    public void Dispose()
    {
        Server.Stop();
        Server.Dispose();
    }
}
