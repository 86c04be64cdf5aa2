using CallCenter.Server.Agents;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace CallCenter.Server.Console;

/// <summary>Where the built web console (web/console, `vite build`) is read from.</summary>
public sealed class ConsoleOptions
{
    public const string SectionName = "Console";

    /// <summary>The folder holding index.html and assets/; by default web/console/dist of the checkout the server runs from.</summary>
    public string? Directory { get; set; }
}

/// <summary>
/// Serves the agent and supervisor consoles at /console/ (a single-page app: unknown paths get index.html)
/// and wires the console's own endpoints. The server starts without a built console; /console/ then says how to build it.
/// </summary>
public static class ConsoleHosting
{
    public const string BasePath = "/console";

    public static IServiceCollection AddConsole(this IServiceCollection services)
    {
        services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.SectionName);
        services.AddOptions<VoiceTokenOptions>().BindConfiguration(VoiceTokenOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddScoped<ScreenPopBuilder>();
        return services;
    }

    public static WebApplication MapConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapSupervisorApi();
        app.MapVoiceTokenApi();

        var configured = app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.Directory;
        var root = Path.GetFullPath(configured ?? Path.Combine(app.Environment.ContentRootPath, "..", "..", "web", "console", "dist"));
        var files = System.IO.Directory.Exists(root) ? new PhysicalFileProvider(root) : null;
        if (files is null)
            app.Logger.LogWarning("No web console in {Directory}; /console/ answers 404 until web/console/build.sh has run and the server restarts", root);
        var types = new FileExtensionContentTypeProvider();

        // The catch-all also matches /console itself, which is sent to /console/ so relative links resolve.
        app.MapGet(BasePath + "/{**path}", (string? path, HttpContext http) =>
        {
            if (!http.Request.Path.Value!.EndsWith('/') && string.IsNullOrEmpty(path)) return Results.Redirect(BasePath + "/");
            if (files is null || files.GetFileInfo("index.html") is not { Exists: true } index)
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Console not built",
                    detail: "The web console is not built on this server: run ./run.sh, or web/console/build.sh.");
            // PhysicalFileProvider refuses paths that leave the root, so "../" cannot reach other files.
            var file = string.IsNullOrEmpty(path) ? index : files.GetFileInfo(path);
            var isAsset = file is { Exists: true, IsDirectory: false } && file.PhysicalPath is not null;
            if (!isAsset) file = index;
            // Built assets carry a content hash in their names; index.html must be fetched fresh to pick up a new build.
            http.Response.Headers[HeaderNames.CacheControl] = isAsset && path is not null && path.StartsWith("assets/", StringComparison.Ordinal)
                ? "public, max-age=31536000, immutable"
                : "no-cache";
            http.Response.Headers["X-Content-Type-Options"] = "nosniff";
            http.Response.Headers["X-Frame-Options"] = "DENY";
            http.Response.Headers["Referrer-Policy"] = "same-origin";
            // Scripts only from the built bundle; the QR code is a data: image; recordings stream from this host (blob:
            // for players that buffer); the softphone talks to Twilio's signalling and media hosts.
            http.Response.Headers["Content-Security-Policy"] = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                + "img-src 'self' data:; media-src 'self' blob:; connect-src 'self' https://*.twilio.com wss://*.twilio.com; "
                + "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";
            var contentType = types.TryGetContentType(file.Name, out var t) ? t : "application/octet-stream";
            return Results.File(file.PhysicalPath!, contentType);
        }).ExcludeFromDescription().AllowAnonymous();
        return app;
    }
}
