using System.Buffers.Text;
using System.Net;
using System.Text;

namespace CallCenter.Simulator.Load;

/// <summary>How far a reply in the receive buffer has arrived.</summary>
internal enum HttpReplyProgress
{
    NeedMore,
    Complete,
    Invalid,
}

/// <summary>
/// A minimal HTTP/1.1 reply reader for the load generator: the status line, Content-Length or chunked framing,
/// whether the server closes the connection, and the gather action of a TwiML body. The generator shares the cores with
/// the server it measures, so it reads only what a caller following the TwiML needs.
/// </summary>
internal static class HttpReply
{
    /// <summary>One parsed reply: its status, where its (de-chunked) body lies in the buffer, its length on the wire.</summary>
    public readonly record struct Parsed(int Status, int BodyStart, int BodyLength, int Consumed, bool Close);

    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;
    private static ReadOnlySpan<byte> Crlf => "\r\n"u8;

    /// <summary>
    /// Parses the reply at the start of <paramref name="buffer"/>; once it is complete, a chunked body is joined in place
    /// so that the body is one span.
    /// </summary>
    public static HttpReplyProgress TryParse(Span<byte> buffer, out Parsed reply)
    {
        reply = default;
        var headerEnd = buffer.IndexOf(HeaderEnd);
        if (headerEnd < 0) return HttpReplyProgress.NeedMore;
        var head = buffer[..headerEnd];
        // "HTTP/1.1 200 OK"
        if (head.Length < 12 || !head.StartsWith("HTTP/1."u8) || head[8] != (byte)' '
            || !Utf8Parser.TryParse(head.Slice(9, 3), out int status, out var statusDigits) || statusDigits != 3)
            return HttpReplyProgress.Invalid;

        long contentLength = -1;
        var chunked = false;
        var close = head[7] == (byte)'0';
        var line = head.IndexOf(Crlf) is var first and >= 0 ? head[(first + 2)..] : [];
        while (!line.IsEmpty)
        {
            var end = line.IndexOf(Crlf);
            var header = end < 0 ? line : line[..end];
            line = end < 0 ? [] : line[(end + 2)..];
            var colon = header.IndexOf((byte)':');
            if (colon <= 0) return HttpReplyProgress.Invalid;
            var name = header[..colon];
            var value = header[(colon + 1)..].Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out contentLength, out var used) || used != value.Length || contentLength < 0)
                    return HttpReplyProgress.Invalid;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                chunked = Ascii.EqualsIgnoreCase(value, "chunked"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                close = Ascii.EqualsIgnoreCase(value, "close"u8);
            }
        }

        var bodyStart = headerEnd + HeaderEnd.Length;
        if (chunked) return Dechunk(buffer, bodyStart, status, close, out reply);
        // 1xx, 204 and 304 have no body; a reply with neither framing would end at the close, which a keep-alive server never sends.
        if (contentLength < 0)
        {
            if (status is >= 200 and not 204 and not 304) return HttpReplyProgress.Invalid;
            contentLength = 0;
        }
        if (buffer.Length - bodyStart < contentLength) return HttpReplyProgress.NeedMore;
        reply = new Parsed(status, bodyStart, (int)contentLength, bodyStart + (int)contentLength, close);
        return HttpReplyProgress.Complete;
    }

    // Walks the chunks without touching the buffer until the last one has arrived, then moves their data together.
    private static HttpReplyProgress Dechunk(Span<byte> buffer, int bodyStart, int status, bool close, out Parsed reply)
    {
        reply = default;
        var position = bodyStart;
        while (true)
        {
            var header = ChunkHeader(buffer[position..], out var size, out var line);
            if (header != HttpReplyProgress.Complete) return header;
            position += line;
            if (size == 0)
            {
                // No trailers from our server: the last chunk is followed by an empty line.
                if (buffer.Length - position < 2) return HttpReplyProgress.NeedMore;
                if (!buffer.Slice(position, 2).SequenceEqual(Crlf)) return HttpReplyProgress.Invalid;
                position += 2;
                break;
            }
            if (buffer.Length - position < size + 2) return HttpReplyProgress.NeedMore;
            if (!buffer.Slice(position + size, 2).SequenceEqual(Crlf)) return HttpReplyProgress.Invalid;
            position += size + 2;
        }

        var read = bodyStart;
        var written = bodyStart;
        while (ChunkHeader(buffer[read..], out var size, out var line) == HttpReplyProgress.Complete && size > 0)
        {
            read += line;
            buffer.Slice(read, size).CopyTo(buffer[written..]);
            written += size;
            read += size + 2;
        }
        reply = new Parsed(status, bodyStart, written - bodyStart, position, close);
        return HttpReplyProgress.Complete;
    }

    // A chunk's size line ("1a;ext=x\r\n"): the size in hex and the line's length with its CRLF.
    private static HttpReplyProgress ChunkHeader(ReadOnlySpan<byte> rest, out int size, out int line)
    {
        size = 0;
        line = 0;
        var end = rest.IndexOf(Crlf);
        if (end < 0) return HttpReplyProgress.NeedMore;
        var field = rest[..end];
        if (field.IndexOf((byte)';') is var extension and >= 0) field = field[..extension];
        if (!Utf8Parser.TryParse(field, out size, out var used, 'X') || used != field.Length || size < 0) return HttpReplyProgress.Invalid;
        line = end + 2;
        return HttpReplyProgress.Complete;
    }

    /// <summary>The action of the reply's first &lt;Gather&gt;, XML escaping undone; null when there is none (the call ends).</summary>
    public static string? GatherAction(ReadOnlySpan<byte> twiml)
    {
        var gather = twiml.IndexOf("<Gather "u8);
        if (gather < 0) return null;
        var rest = twiml[gather..];
        var close = rest.IndexOf((byte)'>');
        var start = rest.IndexOf(" action=\""u8);
        if (start < 0 || start > close) return null;
        var value = rest[(start + " action=\"".Length)..];
        var end = value.IndexOf((byte)'"');
        if (end < 0) return null;
        var action = Encoding.UTF8.GetString(value[..end]);
        return action.Contains('&', StringComparison.Ordinal) ? WebUtility.HtmlDecode(action) : action;
    }
}
