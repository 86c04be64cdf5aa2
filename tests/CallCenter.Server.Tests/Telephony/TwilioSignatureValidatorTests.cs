using CallCenter.Server.Telephony;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace CallCenter.Server.Tests.Telephony;

/// <summary>The webhooks' signature check against Twilio's published vector and the URL forms Twilio's validator accepts.</summary>
public sealed class TwilioSignatureValidatorTests
{
    // Twilio's own published vector (twilio-csharp RequestValidatorTest): https://mycompany.com/myapp.php?foo=1&bar=2, token 12345.
    private static readonly Dictionary<string, string> Form = new()
    {
        ["CallSid"] = "CA1234567890ABCDE",
        ["From"] = "+14158675309",
        ["Digits"] = "1234",
        ["To"] = "+18005551212",
        ["Caller"] = "+14158675309",
    };

    private const string PathAndQuery = "/myapp.php?foo=1&bar=2";

    private static TwilioSignatureValidator Validator(string publicBase, string token = "12345") =>
        new(Options.Create(new TwilioOptions { AuthToken = token, PublicBaseUrl = new Uri(publicBase) }));

    private static FormCollection Posted(IDictionary<string, string> form) =>
        new(form.ToDictionary(f => f.Key, f => new StringValues(f.Value)));

    [Test]
    public void Accepts_twilios_known_answer_vector() =>
        Assert.That(Validator("https://mycompany.com").IsValid(PathAndQuery, Posted(Form), "RSOYDt4T1cUTdK1PDd93/VVr8B8="), Is.True);

    [TestCase("https://mycompany.com", "https://mycompany.com:443")]
    [TestCase("https://mycompany.com:443", "https://mycompany.com")]
    [TestCase("http://127.0.0.1:5080", "http://127.0.0.1:5080")]
    [TestCase("http://127.0.0.1:5080", "http://127.0.0.1")]
    public void Accepts_a_signature_over_the_public_url_with_or_without_its_port(string publicBase, string signedBase)
    {
        var signature = TwilioRequestSigner.Sign("12345", signedBase + PathAndQuery, Form);

        Assert.That(Validator(publicBase).IsValid(PathAndQuery, Posted(Form), signature), Is.True);
    }

    [Test]
    public void Refuses_a_changed_field_a_changed_path_another_token_and_no_signature()
    {
        var validator = Validator("https://mycompany.com");
        var signature = TwilioRequestSigner.Sign("12345", "https://mycompany.com" + PathAndQuery, Form);
        Assert.Multiple(() =>
        {
            Assert.That(validator.IsValid(PathAndQuery, Posted(new Dictionary<string, string>(Form) { ["Digits"] = "1235" }), signature), Is.False);
            Assert.That(validator.IsValid(PathAndQuery, Posted(new Dictionary<string, string>(Form) { ["Extra"] = "" }), signature), Is.False);
            Assert.That(validator.IsValid("/myapp.php?foo=1&bar=3", Posted(Form), signature), Is.False);
            Assert.That(Validator("https://mycompany.com", "54321").IsValid(PathAndQuery, Posted(Form), signature), Is.False);
            Assert.That(validator.IsValid(PathAndQuery, Posted(Form), ""), Is.False);
            Assert.That(validator.IsValid(PathAndQuery, Posted(Form), signature[..^1]), Is.False);
        });
    }

    [Test]
    public void Signs_a_repeated_field_as_its_values_joined_with_commas_and_a_request_without_a_form_by_its_url()
    {
        var validator = Validator("https://hotline.bank.test");
        var repeated = new FormCollection(new Dictionary<string, StringValues> { ["Digits"] = new(["1", "2"]), ["SpeechResult"] = "人工服务" });
        var joined = TwilioRequestSigner.Sign("12345", "https://hotline.bank.test/twilio/voice/ivr?step=2",
            new Dictionary<string, string> { ["Digits"] = "1,2", ["SpeechResult"] = "人工服务" });
        var bare = TwilioRequestSigner.Sign("12345", "https://hotline.bank.test/twilio/voice/queue-wait", []);
        Assert.Multiple(() =>
        {
            Assert.That(validator.IsValid("/twilio/voice/ivr?step=2", repeated, joined), Is.True);
            Assert.That(validator.IsValid("/twilio/voice/queue-wait", null, bare), Is.True);
        });
    }
}
