using System.Text;
using CallCenter.Simulator.Load;

namespace CallCenter.Simulator.Tests;

/// <summary>The load generator's HTTP/1.1 reply reader: framing, partial arrival and the connection's fate.</summary>
public sealed class HttpReplyTests
{
    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    [Test]
    public void A_reply_with_a_content_length_is_complete_once_its_whole_body_has_arrived()
    {
        var wire = Bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-type: application/xml\r\n\r\nhello");

        for (var arrived = 0; arrived < wire.Length; arrived++)
            Assert.That(HttpReply.TryParse(wire.AsSpan(0, arrived), out _), Is.EqualTo(HttpReplyProgress.NeedMore), $"{arrived} bytes");
        Assert.That(HttpReply.TryParse(wire, out var reply), Is.EqualTo(HttpReplyProgress.Complete));
        Assert.That(Encoding.UTF8.GetString(wire, reply.BodyStart, reply.BodyLength), Is.EqualTo("hello"));
        Assert.That(reply, Is.EqualTo(new HttpReply.Parsed(200, wire.Length - 5, 5, wire.Length, Close: false)));
    }

    [Test]
    public void A_chunked_reply_is_joined_into_one_body_once_its_last_chunk_has_arrived()
    {
        var wire = Bytes("HTTP/1.1 403 Forbidden\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nB;ext=1\r\n\"forbidden\"\r\n1\r\n}\r\n0\r\n\r\n");

        for (var arrived = 0; arrived < wire.Length; arrived++)
            Assert.That(HttpReply.TryParse(wire.AsSpan(0, arrived), out _), Is.EqualTo(HttpReplyProgress.NeedMore), $"{arrived} bytes");
        Assert.That(HttpReply.TryParse(wire, out var reply), Is.EqualTo(HttpReplyProgress.Complete));
        Assert.That(reply.Status, Is.EqualTo(403));
        Assert.That(reply.Consumed, Is.EqualTo(wire.Length));
        Assert.That(Encoding.UTF8.GetString(wire, reply.BodyStart, reply.BodyLength), Is.EqualTo("{\"a\":\"forbidden\"}"));
    }

    [TestCase("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", 204, true)]
    [TestCase("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 200, true)]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200, false)]
    public void A_reply_says_whether_the_server_closes_the_connection(string wire, int status, bool close)
    {
        Assert.That(HttpReply.TryParse(Bytes(wire), out var reply), Is.EqualTo(HttpReplyProgress.Complete));
        Assert.That((reply.Status, reply.Close), Is.EqualTo((status, close)));
    }

    [TestCase("SSH-2.0-OpenSSH\r\n\r\n")]
    [TestCase("HTTP/1.1 200 OK\r\n\r\nno framing")]
    [TestCase("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")]
    [TestCase("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    public void What_is_not_an_HTTP_reply_this_reader_can_frame_is_invalid(string wire) =>
        Assert.That(HttpReply.TryParse(Bytes(wire), out _), Is.EqualTo(HttpReplyProgress.Invalid));
}
