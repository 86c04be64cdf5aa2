using Twilio.TwiML;

namespace CallCenter.Server.Telephony;

/// <summary>An HTTP 200 carrying TwiML, the only answer Twilio's voice webhooks act on.</summary>
internal static class Twiml
{
    public static IResult Ok(TwiML response) =>
        TypedResults.Content(response.ToString(), "application/xml; charset=utf-8");
}
