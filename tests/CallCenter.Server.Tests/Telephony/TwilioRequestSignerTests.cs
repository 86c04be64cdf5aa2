using CallCenter.Server.Telephony;
using Twilio.Security;

namespace CallCenter.Server.Tests.Telephony;

public sealed class TwilioRequestSignerTests
{
    // Twilio's own published vector (twilio-csharp RequestValidatorTest).
    private static readonly Dictionary<string, string> Form = new()
    {
        ["CallSid"] = "CA1234567890ABCDE",
        ["From"] = "+14158675309",
        ["Digits"] = "1234",
        ["To"] = "+18005551212",
        ["Caller"] = "+14158675309",
    };

    private const string Url = "https://mycompany.com/myapp.php?foo=1&bar=2";

    [Test]
    public void Signs_twilios_known_answer_vector()
    {
        Assert.That(TwilioRequestSigner.Sign("12345", Url, Form), Is.EqualTo("RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    [Test]
    public void Twilios_validator_accepts_what_the_signer_produces()
    {
        var form = new Dictionary<string, string>(Form) { ["SpeechResult"] = "人工服务", ["Confidence"] = "0.91" };
        var signature = TwilioRequestSigner.Sign("another-token", "https://hotline.bank.test/twilio/voice/incoming", form);

        Assert.That(new RequestValidator("another-token").Validate("https://hotline.bank.test/twilio/voice/incoming", form, signature), Is.True);
    }

    [Test]
    public void A_changed_parameter_no_longer_matches()
    {
        var signature = TwilioRequestSigner.Sign("12345", Url, Form);
        var tampered = new Dictionary<string, string>(Form) { ["Digits"] = "1235" };

        Assert.That(new RequestValidator("12345").Validate(Url, tampered, signature), Is.False);
    }
}
