using System.Text.Json;
using System.Text.Json.Serialization;

namespace CallCenter.Simulator.Day;

/// <summary>JSON as the server writes it (camelCase, enums by name), for reading its answers and writing the report.</summary>
internal static class DayJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static readonly JsonSerializerOptions Indented = new(Options) { WriteIndented = true };
}
