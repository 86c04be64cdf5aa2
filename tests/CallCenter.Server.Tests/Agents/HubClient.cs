using System.Text.Json.Serialization;
using CallCenter.Server.Agents;
using CallCenter.Testing;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Agents;

/// <summary>A console's live channel in tests: the real agent hub over the test server, signed in with the staff cookie.</summary>
internal static class HubClient
{
    /// <summary>A started connection whose groups are joined (the hub said "ready").</summary>
    public static async Task<HubConnection> ConnectAsync(WebApplicationFactory<Program> server, string workNumber, Action<HubConnection> handlers)
    {
        using var raw = server.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });
        using var login = await StaffBuilder.LoginAsync(raw, workNumber);
        var cookie = login.Headers.GetValues("Set-Cookie").First().Split(';')[0];
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(server.Server.BaseAddress, AgentHub.Path), o =>
            {
                o.HttpMessageHandlerFactory = _ => server.Server.CreateHandler();
                o.Transports = HttpTransportType.LongPolling;
                o.Headers["Cookie"] = cookie;
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter()))
            .Build();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.On<string>("ready", _ => ready.TrySetResult());
        handlers(hub);
        await hub.StartAsync();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(15));
        return hub;
    }
}
