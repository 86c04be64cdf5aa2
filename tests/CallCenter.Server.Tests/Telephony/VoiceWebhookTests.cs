using System.Net;
using System.Xml.Linq;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Telephony;

public sealed class VoiceWebhookTests
{
    private static CallCenterServerFactory Server => AssemblySetUp.Server;

    private static async Task<List<CallEventRecord>> EventsOfAsync(string callSid)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        // The IVR's own steps are covered elsewhere; these tests are about the call's lifecycle events.
        return await db.CallEvents.Where(e => e.CallSid == callSid && e.Type.StartsWith("call.")).OrderBy(e => e.CallSeq).ToListAsync();
    }

    private static async Task<CallRecord?> CallAsync(string callSid)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CallCenterDbContext>();
        return await db.Calls.AsNoTracking().SingleOrDefaultAsync(c => c.CallSid == callSid);
    }

    [Test]
    public async Task A_signed_incoming_call_is_recorded_and_answered_with_a_gather_offering_an_agent()
    {
        var sid = TwilioForms.NewCallSid();

        using var response = await Server.CreateTwilioClient().PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(sid));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/xml"));
        var twiml = XDocument.Parse(await response.Content.ReadAsStringAsync());
        var gather = twiml.Root?.Element("Gather");
        Assert.That(gather?.Attribute("input")?.Value, Is.EqualTo("dtmf speech"));
        Assert.That(gather?.Attribute("hints")?.Value, Does.Contain("人工"));
        Assert.That(gather?.Attribute("actionOnEmptyResult")?.Value, Is.EqualTo("true"));

        var call = await CallAsync(sid);
        var events = await EventsOfAsync(sid);
        Assert.That(call?.FromNumber, Is.EqualTo("+8613812345678"));
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { "call.incoming" }));
        Assert.That(events[0].Payload, Does.Contain("+86138****5678").And.Not.Contain("+8613812345678"));
    }

    [Test]
    public async Task An_unsigned_incoming_call_is_refused_with_403_and_nothing_is_written()
    {
        var sid = TwilioForms.NewCallSid();

        using var response = await Server.CreateTwilioClient().PostAsync("/twilio/voice/incoming", TwilioForms.Incoming(sid), signature: null);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await CallAsync(sid), Is.Null);
        Assert.That(await EventsOfAsync(sid), Is.Empty);
    }

    [Test]
    public async Task A_request_signed_with_another_token_is_refused()
    {
        var sid = TwilioForms.NewCallSid();
        var form = TwilioForms.Incoming(sid);
        var forged = CallCenter.Server.Telephony.TwilioRequestSigner.Sign("not-our-token", "https://hotline.bank.test/twilio/voice/incoming", form);

        using var response = await Server.CreateTwilioClient().PostAsync("/twilio/voice/incoming", form, forged);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await CallAsync(sid), Is.Null);
    }

    [Test]
    public async Task A_form_changed_after_signing_is_refused()
    {
        var sid = TwilioForms.NewCallSid();
        var form = TwilioForms.Incoming(sid);
        var signature = CallCenter.Server.Telephony.TwilioRequestSigner.Sign(CallCenterServerFactory.AuthToken, "https://hotline.bank.test/twilio/voice/incoming", form);
        form["From"] = "+8613900000000";

        using var response = await Server.CreateTwilioClient().PostAsync("/twilio/voice/incoming", form, signature);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await CallAsync(sid), Is.Null);
    }

    [Test]
    public async Task A_replayed_incoming_call_gets_the_same_answer_and_no_second_event()
    {
        var sid = TwilioForms.NewCallSid();
        var twilio = Server.CreateTwilioClient();

        using var first = await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(sid));
        using var replay = await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(sid));

        Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await replay.Content.ReadAsStringAsync(), Is.EqualTo(await first.Content.ReadAsStringAsync()));
        Assert.That(await EventsOfAsync(sid), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task An_incoming_call_without_a_caller_number_is_400_and_writes_nothing()
    {
        var sid = TwilioForms.NewCallSid();
        var form = TwilioForms.Incoming(sid);
        form.Remove("From");

        using var response = await Server.CreateTwilioClient().PostSignedAsync("/twilio/voice/incoming", form);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("From is required"));
        Assert.That(await CallAsync(sid), Is.Null);
    }

    [Test]
    public async Task A_status_callback_for_an_unknown_call_is_400_and_writes_nothing()
    {
        var sid = TwilioForms.NewCallSid();

        using var response = await Server.CreateTwilioClient().PostSignedAsync("/twilio/voice/status", TwilioForms.Status(sid, "completed", 30));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Unknown CallSid"));
        Assert.That(await EventsOfAsync(sid), Is.Empty);
    }

    [TestCase("CallSid", "not-a-sid", "CallSid must be")]
    [TestCase("CallStatus", "exploded", "is not a Twilio call status")]
    [TestCase("CallDuration", "-4", "CallDuration must be")]
    public async Task A_malformed_status_callback_is_400_naming_the_field(string field, string value, string message)
    {
        var sid = TwilioForms.NewCallSid();
        var twilio = Server.CreateTwilioClient();
        using var _ = await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(sid));
        var form = TwilioForms.Status(sid, "completed", 30);
        form[field] = value;

        using var response = await twilio.PostSignedAsync("/twilio/voice/status", form);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain(message));
        Assert.That(await EventsOfAsync(sid), Has.Count.EqualTo(1));
        Assert.That((await CallAsync(sid))?.Status, Is.EqualTo("ringing"));
    }

    [Test]
    public async Task A_completed_status_ends_the_call_once_even_when_twilio_retries()
    {
        var sid = TwilioForms.NewCallSid();
        var twilio = Server.CreateTwilioClient();
        using var _ = await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(sid));

        using var first = await twilio.PostSignedAsync("/twilio/voice/status", TwilioForms.Status(sid, "completed", 42));
        using var retry = await twilio.PostSignedAsync("/twilio/voice/status", TwilioForms.Status(sid, "completed", 42));

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        var call = await CallAsync(sid);
        Assert.That(call?.Status, Is.EqualTo("completed"));
        Assert.That(call?.DurationSeconds, Is.EqualTo(42));
        Assert.That(call?.EndedAt, Is.EqualTo(Server.Clock.GetUtcNow()));
        Assert.That((await EventsOfAsync(sid)).Select(e => e.StepKey), Is.EqualTo(new[] { "incoming", "status:completed" }));
    }

    [Test]
    public async Task A_late_in_progress_callback_does_not_reopen_a_completed_call()
    {
        var sid = TwilioForms.NewCallSid();
        var twilio = Server.CreateTwilioClient();
        using var _ = await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(sid));
        using var __ = await twilio.PostSignedAsync("/twilio/voice/status", TwilioForms.Status(sid, "completed", 12));

        using var late = await twilio.PostSignedAsync("/twilio/voice/status", TwilioForms.Status(sid, "in-progress"));

        Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That((await CallAsync(sid))?.Status, Is.EqualTo("completed"));
        Assert.That(await EventsOfAsync(sid), Has.Count.EqualTo(3), "the late callback is still logged as it arrived");
    }
}
