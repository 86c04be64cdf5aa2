using System.CommandLine;

namespace CallCenter.Simulator;

/// <summary>URL options: System.CommandLine does not parse <see cref="Uri"/> by itself.</summary>
internal static class UriOptions
{
    public static Option<Uri> BaseUrl() => new("--base-url")
    {
        DefaultValueFactory = _ => new Uri("http://127.0.0.1:5080"), CustomParser = r => new Uri(r.Tokens[0].Value), Description = "The server.",
    };

    public static Option<Uri?> PublicUrl() => new("--public-url")
    {
        CustomParser = r => new Uri(r.Tokens[0].Value), Description = "The URL the server signs against (Twilio:PublicBaseUrl); default --base-url.",
    };
}
