using System.Text;
using CallCenter.Server.Metrics;

namespace CallCenter.Server.Tests.Metrics;

/// <summary>How the metrics worker reads call-log payloads: the fields the call facts fold, as the payload states them.</summary>
public sealed class PayloadReaderTests
{
    private static PayloadFields Read(PayloadReader reader, string json) => reader.Read(Encoding.UTF8.GetBytes(json));

    [Test]
    public void An_ivr_events_data_is_flattened_in_and_scalars_keep_their_json_text()
    {
        var fields = Read(new PayloadReader(), """
            {"node":"main-menu","data":{"key":"1","target":"cards","nested":{"x":"y"}},"list":[1,2],"score":4,"resolved":true,
             "verified":false,"none":null,"escaped":"a\"b\u00e9"}
            """);

        Assert.That(fields.ToDictionary(), Is.EquivalentTo(new Dictionary<string, string?>
        {
            ["node"] = "main-menu", ["key"] = "1", ["target"] = "cards", ["score"] = "4", ["resolved"] = "true",
            ["verified"] = "false", ["escaped"] = "a\"bé",
        }));
        Assert.That(fields.TryGetValue("nested", out _), Is.False);
    }

    [Test]
    public void A_later_field_of_the_same_name_wins()
    {
        var fields = Read(new PayloadReader(), """{"queue":"general","data":{"queue":"cards"}}""");

        Assert.That(fields["queue"], Is.EqualTo("cards"));
        Assert.That(fields.Count, Is.EqualTo(1));
    }

    [Test]
    public void Texts_repeated_across_one_batchs_payloads_are_one_string()
    {
        var reader = new PayloadReader();
        var first = Read(reader, """{"queue":"general","agent":"A0042"}""");
        var second = Read(reader, """{"agent":"A0042","queue":"general"}""");

        Assert.That(second["queue"], Is.SameAs(first["queue"]));
        Assert.That(second["agent"], Is.SameAs(first["agent"]));
        Assert.That(second.Keys.First(), Is.SameAs(first.Keys.Last()));
    }

    [Test]
    public void Texts_too_long_to_share_are_read_whole()
    {
        var note = new string('x', 300);
        var fields = Read(new PayloadReader(), $$"""{"note":"{{note}}","n":{{new string('7', 200)}}}""");

        Assert.That(fields["note"], Is.EqualTo(note));
        Assert.That(fields["n"], Is.EqualTo(new string('7', 200)));
    }
}
