var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/health/live", () => "ok");
app.Run();

/// <summary>The host's entry point, visible to integration tests.</summary>
public partial class Program;
