using System.Text.Encodings.Web;
using System.Text.Json;

namespace CallCenter.Server.CallLog;

/// <summary>Serialises event payloads as plain readable JSON (Chinese text and '+' unescaped) for auditors.</summary>
public static class CallEventPayload
{
    // Payloads are stored and hashed, never written raw into HTML, so relaxed escaping is safe here.
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Serialize<T>(T payload) => JsonSerializer.Serialize(payload, Options);
}
