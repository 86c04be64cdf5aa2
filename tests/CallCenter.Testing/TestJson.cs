using System.Text.Json;
using System.Text.Json.Serialization;

namespace CallCenter.Testing;

/// <summary>Reads API responses the way the server writes them: web casing, enums by name.</summary>
public static class TestJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
}
