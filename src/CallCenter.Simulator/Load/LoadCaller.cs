using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace CallCenter.Simulator.Load;

/// <summary>
/// One simulated caller on its own keep-alive HTTP/1.1 connection, one request in flight. It dials in, picks a language,
/// then walks main menu → accounts menu → back, following each reply's gather action as Twilio does, until it has taken
/// its steps per call: then it hangs up, and Twilio's final status callback (CallStatus=completed) goes to the server at
/// once, before the next request dials a new call. A reply without a gather action (or an error) ends the call too, without
/// a status callback. Requests are written straight into a reused buffer and signed (X-Twilio-Signature) with a reused HMAC,
/// because the generator runs on the cores of the server it measures.
/// </summary>
internal sealed class LoadCaller : IDisposable
{
    private const string IncomingPath = "/twilio/voice/incoming";
    private const string StatusPath = "/twilio/voice/status";
    private const string AccountSid = "AC00000000000000000000000000000001";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    // The form fields in the order they are sent; the signature takes them sorted by name (Twilio's rule).
    private static readonly string[] IncomingFields = ["From", "To", "CallStatus", "CallSid", "AccountSid"];
    private static readonly string[] StepFields = ["Digits", "CallStatus", "CallSid", "AccountSid"];
    private static readonly string[] StatusFields = ["CallStatus", "CallDuration", "Direction", "From", "To", "CallSid", "AccountSid"];
    private static readonly int[] IncomingSigned = SortedByName(IncomingFields);
    private static readonly int[] StepSigned = SortedByName(StepFields);
    private static readonly int[] StatusSigned = SortedByName(StatusFields);
    private static readonly string[] StatusTexts = [.. Enumerable.Range(0, 600).Select(s => s.ToString(CultureInfo.InvariantCulture))];

    private readonly EndPoint _server;
    private readonly byte[] _requestHead;
    private readonly byte[] _publicBase;
    private readonly string _to;
    private readonly int _stepsPerCall;
    private readonly IncrementalHash _hmac;
    private readonly byte[] _request = new byte[4096];
    private readonly byte[] _body = new byte[2048];
    private readonly byte[] _signed = new byte[4096];
    private readonly string[] _values = new string[StatusFields.Length];
    private byte[] _receive = new byte[16 * 1024];
    private Socket? _socket;
    private string? _callSid;
    private string _from = "";
    private long _dialledAt;
    private int _steps;
    private string? _next;
    private string _menuKey = "1";

    // The watchdog's view of the request in flight: it closes a connection whose request has waited too long.
    private readonly Lock _flight = new();
    private long _sentAt;
    private bool _timedOut;

    public LoadCaller(EndPoint server, string host, Uri publicUrl, string authToken, string to, int stepsPerCall)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepsPerCall, 1);
        _server = server;
        _to = to;
        _stepsPerCall = stepsPerCall;
        _requestHead = Encoding.ASCII.GetBytes($" HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Twilio-Signature: ");
        _publicBase = Encoding.UTF8.GetBytes(publicUrl.ToString().TrimEnd('/'));
#pragma warning disable CA5350 // Twilio defines the signature as HMAC-SHA1; we must match it.
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, Encoding.UTF8.GetBytes(authToken));
#pragma warning restore CA5350
    }

    /// <summary>The incoming-call webhooks, on the schedule.</summary>
    public LatencyRecorder Incoming { get; } = new();

    /// <summary>The menu-step webhooks (gather actions), on the schedule.</summary>
    public LatencyRecorder Steps { get; } = new();

    /// <summary>The final status callbacks, each sent as its call's last step is answered (off the schedule, timed from sending).</summary>
    public LatencyRecorder StatusCallbacks { get; } = new();

    /// <summary>Calls this caller dialled (warm-up included).</summary>
    public int CallsPlaced { get; private set; }

    /// <summary>Sends the next request of the walk and records its latency from <paramref name="due"/>, its scheduled send time.</summary>
    // Pooled: one request at a time per caller, so its state machine box is reused instead of allocated per request.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ServeAsync(long due, long measuredFrom, Stopwatch clock)
    {
        var path = NextRequest(clock);
        var incoming = ReferenceEquals(path, IncomingPath);
        var (outcome, status, action) = await ExchangeAsync(path, incoming ? IncomingFields : StepFields, incoming ? IncomingSigned : StepSigned, clock);
        _next = status == 200 ? action : null;
        _menuKey = incoming || _menuKey == "9" ? "1" : "9";
        if (!incoming) _steps++;
        var measured = due >= measuredFrom;
        if (measured) (incoming ? Incoming : Steps).Record((clock.ElapsedTicks - due) * 1000.0 / Stopwatch.Frequency, outcome);
        if (_next is null || _steps < _stepsPerCall) return;

        // The caller hangs up: Twilio posts the call's final status, and the next request dials a new call.
        _next = null;
        WriteStatusForm(clock);
        var sent = clock.ElapsedTicks;
        (outcome, _, _) = await ExchangeAsync(StatusPath, StatusFields, StatusSigned, clock);
        if (measured) StatusCallbacks.Record((clock.ElapsedTicks - sent) * 1000.0 / Stopwatch.Frequency, outcome);
    }

    // One request and its reply: the outcome (status code, or what went wrong), the status code, and the reply's gather action.
    private async ValueTask<(string Outcome, int Status, string? Action)> ExchangeAsync(string path, string[] fields, int[] signedOrder, Stopwatch clock)
    {
        var length = WriteRequest(path, fields, signedOrder);
        lock (_flight)
        {
            _sentAt = clock.ElapsedTicks;
            _timedOut = false;
        }
        try
        {
            var reply = await SendAndReceiveAsync(length);
            if (reply.Close) Disconnect();
            var action = reply.Status == 200 ? HttpReply.GatherAction(_receive.AsSpan(reply.BodyStart, reply.BodyLength)) : null;
            var outcome = reply.Status < StatusTexts.Length ? StatusTexts[reply.Status] : reply.Status.ToString(CultureInfo.InvariantCulture);
            return (outcome, reply.Status, action);
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException or InvalidDataException)
        {
            var outcome = TimedOut() ? "Timeout" : ex.GetType().Name;
            Disconnect();
            return (outcome, 0, null);
        }
        finally
        {
            lock (_flight) _sentAt = 0;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<HttpReply.Parsed> SendAndReceiveAsync(int length)
    {
        for (var attempt = 0; ; attempt++)
        {
            var reused = _socket is not null;
            _socket ??= await ConnectAsync();
            var filled = 0;
            try
            {
                await _socket.SendAsync(_request.AsMemory(0, length));
                while (true)
                {
                    if (filled == _receive.Length) Array.Resize(ref _receive, _receive.Length * 2);
                    var read = await _socket.ReceiveAsync(_receive.AsMemory(filled));
                    if (read == 0) throw new IOException("The server closed the connection before its reply ended.");
                    filled += read;
                    switch (HttpReply.TryParse(_receive.AsSpan(0, filled), out var reply))
                    {
                        case HttpReplyProgress.NeedMore:
                            continue;
                        case HttpReplyProgress.Invalid:
                            throw new InvalidDataException("The server's reply is not HTTP/1.1 this generator reads.");
                        default:
                            // One request in flight: anything past the reply is a protocol error.
                            if (reply.Consumed != filled) throw new InvalidDataException("The server sent more than one reply.");
                            return reply;
                    }
                }
            }
            // A connection kept since an earlier request may have been closed by the server meanwhile (its keep-alive timeout):
            // that shows before any reply byte arrives, and the request is sent once more on a new connection.
            catch (Exception ex) when (attempt == 0 && reused && filled == 0 && !TimedOut() && ex is SocketException or IOException)
            {
                Disconnect();
            }
        }
    }

    private async ValueTask<Socket> ConnectAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(_server);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // Builds the form of the next step of the walk (or of a new call), exactly as Twilio would post it.
    private string NextRequest(Stopwatch clock)
    {
        if (_callSid is null || _next is null)
        {
            _callSid = "CA" + Guid.NewGuid().ToString("N");
            CallsPlaced++;
            _steps = 0;
            _dialledAt = clock.ElapsedTicks;
            _from = "+86139" + Random.Shared.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);
            _values[0] = _from;
            _values[1] = _to;
            _values[2] = "ringing";
            _values[3] = _callSid;
            _values[4] = AccountSid;
            return IncomingPath;
        }
        // Language menu: 1 = Mandarin; then alternate main menu 1 (accounts) and accounts menu 9 (back).
        _values[0] = _menuKey;
        _values[1] = "in-progress";
        _values[2] = _callSid;
        _values[3] = AccountSid;
        return _next;
    }

    // Twilio's status callback of a call that ended normally, with its length in whole seconds.
    private void WriteStatusForm(Stopwatch clock)
    {
        _values[0] = "completed";
        _values[1] = ((clock.ElapsedTicks - _dialledAt) / Stopwatch.Frequency).ToString(CultureInfo.InvariantCulture);
        _values[2] = "inbound";
        _values[3] = _from;
        _values[4] = _to;
        _values[5] = _callSid!;
        _values[6] = AccountSid;
    }

    private int WriteRequest(string path, string[] fields, int[] signedOrder)
    {
        var body = 0;
        for (var i = 0; i < fields.Length; i++)
        {
            if (i > 0) _body[body++] = (byte)'&';
            body += Encoding.ASCII.GetBytes(fields[i], _body.AsSpan(body));
            _body[body++] = (byte)'=';
            body += FormEncode(_values[i], _body.AsSpan(body));
        }

        // X-Twilio-Signature: base64 HMAC-SHA1 of the public URL, then each field's name and value, sorted by name; gathered
        // into one buffer so that the native HMAC is called once.
        _publicBase.CopyTo(_signed, 0);
        var signed = _publicBase.Length;
        signed += Encoding.UTF8.GetBytes(path, _signed.AsSpan(signed));
        foreach (var i in signedOrder)
        {
            signed += Encoding.UTF8.GetBytes(fields[i], _signed.AsSpan(signed));
            signed += Encoding.UTF8.GetBytes(_values[i], _signed.AsSpan(signed));
        }
        _hmac.AppendData(_signed, 0, signed);
        Span<byte> mac = stackalloc byte[20];
        _hmac.GetHashAndReset(mac);

        var at = 0;
        at += Encoding.ASCII.GetBytes("POST ", _request);
        at += Encoding.UTF8.GetBytes(path, _request.AsSpan(at));
        _requestHead.CopyTo(_request.AsSpan(at));
        at += _requestHead.Length;
        Base64.EncodeToUtf8(mac, _request.AsSpan(at), out _, out var signature);
        at += signature;
        at += Encoding.ASCII.GetBytes("\r\nContent-Length: ", _request.AsSpan(at));
        Utf8Formatter.TryFormat(body, _request.AsSpan(at), out var digits);
        at += digits;
        at += Encoding.ASCII.GetBytes("\r\n\r\n", _request.AsSpan(at));
        _body.AsSpan(0, body).CopyTo(_request.AsSpan(at));
        return at + body;
    }

    // application/x-www-form-urlencoded as HttpClient's FormUrlEncodedContent writes it: unreserved characters as they are,
    // a space as '+', every other UTF-8 byte as %XX.
    internal static int FormEncode(string value, Span<byte> destination)
    {
        Span<byte> utf8 = stackalloc byte[4];
        var at = 0;
        foreach (var rune in value.EnumerateRunes())
        {
            var bytes = rune.EncodeToUtf8(utf8);
            for (var i = 0; i < bytes; i++)
            {
                var b = utf8[i];
                if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~') destination[at++] = b;
                else if (b == (byte)' ') destination[at++] = (byte)'+';
                else
                {
                    destination[at++] = (byte)'%';
                    destination[at++] = (byte)"0123456789ABCDEF"[b >> 4];
                    destination[at++] = (byte)"0123456789ABCDEF"[b & 0xF];
                }
            }
        }
        return at;
    }

    /// <summary>Closes the connection when its request was sent before <paramref name="sentBefore"/> and is still unanswered.</summary>
    public void AbortIfStuck(long sentBefore)
    {
        lock (_flight)
        {
            if (_sentAt == 0 || _sentAt >= sentBefore) return;
            _timedOut = true;
            _socket?.Dispose();
        }
    }

    public static long Timeout => (long)(RequestTimeout.TotalSeconds * Stopwatch.Frequency);

    private bool TimedOut()
    {
        lock (_flight) return _timedOut;
    }

    private void Disconnect()
    {
        _socket?.Dispose();
        _socket = null;
    }

    public void Dispose()
    {
        Disconnect();
        _hmac.Dispose();
    }

    private static int[] SortedByName(string[] fields) =>
        [.. Enumerable.Range(0, fields.Length).OrderBy(i => fields[i], StringComparer.Ordinal)];
}
