using System.Net;

namespace CallCenter.Simulator.Fault;

/// <summary>
/// The load balancer in front of several server instances, as an HTTP handler: each request goes to the next instance
/// in turn; a request that cannot connect, is cut off, or is answered 502/503/504 is sent again to the next instance
/// (each instance at most twice), and the last answer is returned when none takes it. Twilio, the agents' consoles and
/// the simulator's administrator all reach the servers through it, so a killed instance shows as failovers, not errors.
/// </summary>
public sealed class LoadBalancer : DelegatingHandler
{
    private readonly IReadOnlyList<Uri> _instances;
    private int _next;
    private int _failovers;

    public LoadBalancer(IReadOnlyList<Uri> instances)
        : base(new SocketsHttpHandler { MaxConnectionsPerServer = 256, ConnectTimeout = TimeSpan.FromSeconds(2), UseCookies = false })
    {
        ArgumentNullException.ThrowIfNull(instances);
        if (instances.Count == 0) throw new ArgumentException("At least one server instance is needed.", nameof(instances));
        _instances = instances;
    }

    /// <summary>The address requests are written against; the balancer puts the chosen instance's scheme, host and port in.</summary>
    public static Uri VirtualAddress { get; } = new("http://servers.invalid");

    /// <summary>Requests sent again to another instance after one failed to take them.</summary>
    public int Failovers => Volatile.Read(ref _failovers);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        // The body is read once so that every attempt can send it again.
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var first = (int)((uint)Interlocked.Increment(ref _next) % (uint)_instances.Count);
        var attempts = _instances.Count * 2;
        for (var attempt = 0; ; attempt++)
        {
            var instance = _instances[(first + attempt) % _instances.Count];
            using var copy = Copy(request, instance, body);
            var last = attempt == attempts - 1;
            try
            {
                var response = await base.SendAsync(copy, cancellationToken);
                if (last || response.StatusCode is not (HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout))
                    return response;
                response.Dispose();
            }
            catch (HttpRequestException) when (!last)
            {
            }
            Interlocked.Increment(ref _failovers);
            // Once round all instances, a short pause: a restarting instance or dependency gets a moment.
            if ((attempt + 1) % _instances.Count == 0) await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    private static HttpRequestMessage Copy(HttpRequestMessage request, Uri instance, byte[]? body)
    {
        var target = new UriBuilder(request.RequestUri!) { Scheme = instance.Scheme, Host = instance.Host, Port = instance.Port }.Uri;
        var copy = new HttpRequestMessage(request.Method, target) { Version = request.Version };
        foreach (var header in request.Headers) copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            foreach (var header in request.Content!.Headers) copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        return copy;
    }
}
