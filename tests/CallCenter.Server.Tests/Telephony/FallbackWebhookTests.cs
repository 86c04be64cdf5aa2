using System.Net;
using System.Xml.Linq;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Telephony;

public sealed class FallbackWebhookTests
{
    [Test]
    public async Task The_fallback_url_reaches_a_person_even_for_a_call_the_server_never_saw()
    {
        using var response = await AssemblySetUp.Server.CreateTwilioClient()
            .PostSignedAsync("/twilio/voice/fallback", TwilioForms.Incoming(TwilioForms.NewCallSid()));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(twiml.Root?.Element("Enqueue")?.Value, Is.EqualTo("general"));
    }

    [Test]
    public async Task The_fallback_url_checks_the_signature_too()
    {
        using var response = await AssemblySetUp.Server.CreateTwilioClient()
            .PostAsync("/twilio/voice/fallback", TwilioForms.Incoming(TwilioForms.NewCallSid()), signature: "forged");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public void With_a_backup_number_configured_the_fallback_dials_it()
    {
        var twiml = XDocument.Parse(CallCenter.Server.Telephony.FallbackWebhook.Build("+862100009999").ToString());

        Assert.That(twiml.Root?.Element("Dial")?.Value, Is.EqualTo("+862100009999"));
    }
}
