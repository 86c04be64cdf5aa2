using System.Text;
using CallCenter.Simulator.Load;

namespace CallCenter.Simulator.Tests;

/// <summary>The load generator follows the menu by the gather's action it finds in each reply.</summary>
public sealed class LoadReplyTests
{
    [Test]
    public void The_gather_action_is_found_and_its_xml_escaping_undone()
    {
        const string twiml = """
            <?xml version="1.0" encoding="utf-8"?>
            <Response><Say language="en-US">Welcome.</Say><Gather input="dtmf speech" action="/twilio/voice/ivr?step=4&amp;lang=en" method="POST"><Say>Press 1.</Say></Gather></Response>
            """;

        Assert.That(HttpReply.GatherAction(Encoding.UTF8.GetBytes(twiml)), Is.EqualTo("/twilio/voice/ivr?step=4&lang=en"));
    }

    [TestCase("""<Response><Enqueue waitUrl="/twilio/voice/queue-wait" action="/elsewhere">general</Enqueue></Response>""")]
    [TestCase("""<Response><Gather input="dtmf"><Say>No action here.</Say></Gather><Redirect action="/x"/></Response>""")]
    public void A_reply_without_a_gather_action_ends_the_simulated_call(string twiml) =>
        Assert.That(HttpReply.GatherAction(Encoding.UTF8.GetBytes(twiml)), Is.Null);
}
