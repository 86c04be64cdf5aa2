using CallCenter.Server.Data;
using CallCenter.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddCallCenter();

var app = builder.Build();
await app.MigrateDatabaseIfConfiguredAsync();
app.MapCallCenter();
await app.RunAsync();

/// <summary>The host's entry point, visible to integration tests.</summary>
public partial class Program;
