using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace CallCenter.Server.Metrics;

/// <summary>A call-log payload's fields (<see cref="PayloadReader"/>): a handful, so one array searched in order.</summary>
internal sealed class PayloadFields : IReadOnlyDictionary<string, string?>
{
    private readonly KeyValuePair<string, string?>[] _fields;

    /// <summary>The fields, in the payload's order.</summary>
    public PayloadFields(KeyValuePair<string, string?>[] fields) => _fields = fields;

    public string? this[string key] => TryGetValue(key, out var value) ? value : throw new KeyNotFoundException(key);

    public IEnumerable<string> Keys => _fields.Select(f => f.Key);

    public IEnumerable<string?> Values => _fields.Select(f => f.Value);

    public int Count => _fields.Length;

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string? value)
    {
        foreach (var field in _fields)
        {
            if (field.Key != key) continue;
            value = field.Value;
            return true;
        }
        value = null;
        return false;
    }

    public IEnumerator<KeyValuePair<string, string?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, string?>>)_fields).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// Reads one batch's payloads (UTF-8 JSON) with a forward-only reader. A refresh reads thousands of payloads that repeat the
/// same names and most values (queues, agents, states), so each distinct text becomes one string per batch: a new string per
/// field, and a dictionary per payload, were most of what a refresh allocated, and the garbage collections that caused copied
/// them. Per batch, not per process, so the strings kept cannot grow without bound.
/// </summary>
internal sealed class PayloadReader
{
    private const int Pooled = 128;
    private readonly Dictionary<string, string> _strings;
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private readonly List<KeyValuePair<string, string?>> _fields = new(8);

    public PayloadReader()
    {
        _strings = new(StringComparer.Ordinal);
        _bySpan = _strings.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The payload's scalar fields, with an IVR event's "data" object flattened in; a later field of the same name wins.</summary>
    public PayloadFields Read(ReadOnlySpan<byte> utf8)
    {
        _fields.Clear();
        var reader = new Utf8JsonReader(utf8);
        if (reader.Read() && reader.TokenType == JsonTokenType.StartObject) Flatten(ref reader);
        return new PayloadFields([.. _fields]);
    }

    private void Flatten(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = Text(ref reader);
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject when name == "data": Flatten(ref reader); break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray: reader.Skip(); break;
                case JsonTokenType.String: Set(name, Text(ref reader)); break;
                // Numbers and booleans as their JSON text.
                case JsonTokenType.Number: Set(name, Text(reader.ValueSpan)); break;
                case JsonTokenType.True: Set(name, "true"); break;
                case JsonTokenType.False: Set(name, "false"); break;
            }
        }
    }

    private void Set(string name, string value)
    {
        for (var i = 0; i < _fields.Count; i++)
        {
            if (_fields[i].Key != name) continue;
            _fields[i] = new(name, value);
            return;
        }
        _fields.Add(new(name, value));
    }

    /// <summary>The current property name or string value, unescaped.</summary>
    private string Text(ref Utf8JsonReader reader)
    {
        if (reader.ValueSpan.Length > Pooled || reader.HasValueSequence) return reader.GetString()!;
        Span<char> chars = stackalloc char[Pooled];
        return Text(chars[..reader.CopyString(chars)]);
    }

    private string Text(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > Pooled) return Encoding.UTF8.GetString(utf8);
        Span<char> chars = stackalloc char[Pooled];
        return Text(chars[..Encoding.UTF8.GetChars(utf8, chars)]);
    }

    private string Text(ReadOnlySpan<char> text)
    {
        if (_bySpan.TryGetValue(text, out var pooled)) return pooled;
        var created = text.ToString();
        _strings.Add(created, created);
        return created;
    }
}
