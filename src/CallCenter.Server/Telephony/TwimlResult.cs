using Twilio.TwiML;

namespace CallCenter.Server.Telephony;

/// <summary>An HTTP 200 carrying TwiML, the only answer Twilio's voice webhooks act on.</summary>
internal static class Twiml
{
    public static IResult Ok(TwiML response) => Ok(response.ToString());

    public static IResult Ok(string twiml) => TypedResults.Content(twiml, "application/xml; charset=utf-8");
}
