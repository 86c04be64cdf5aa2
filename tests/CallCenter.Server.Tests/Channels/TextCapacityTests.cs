using System.Net;
using System.Text.Json;
using CallCenter.Server.Channels;

namespace CallCenter.Server.Tests.Channels;

/// <summary>An SMS agent holds several requests at once (Acd:TextCapacity, 3 in appsettings.json) and answers each in turn.</summary>
public sealed class TextCapacityTests
{
    private static string NewCustomer() => "+86137" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Test]
    public async Task An_sms_agent_holds_two_requests_at_once_and_wraps_up_only_after_answering_the_last()
    {
        await using var h = ChannelHarness.At(2026, 11, 25, 10, 0);
        using var agent = await h.Acd.AvailableAgentAsync(("sms", 1));
        using (await h.TextAsync(NewCustomer(), "Please raise my card limit")) { }
        var first = await ChannelHarness.OfferedReferenceAsync(agent);
        using (var accept = await agent.AcceptAsync(ServiceRequest.StreamOf(first)))
            Assert.That(accept.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await accept.Content.ReadAsStringAsync());

        using (await h.TextAsync(NewCustomer(), "What is the transfer fee abroad?")) { }
        var second = await ChannelHarness.OfferedReferenceAsync(agent);
        using (var accept = await agent.AcceptAsync(ServiceRequest.StreamOf(second)))
            Assert.That(accept.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await accept.Content.ReadAsStringAsync());
        var holding = await agent.MeAsync();

        using var firstReply = await ChannelHarness.ReplyAsync(agent, first, "Done: your limit is raised.");
        var afterFirst = await agent.MeAsync();
        using var secondReply = await ChannelHarness.ReplyAsync(agent, second, "It is free within the bank.");
        var afterSecond = await agent.MeAsync();

        Assert.That(second, Is.Not.EqualTo(first));
        Assert.That(holding.GetProperty("state").GetString(), Is.EqualTo("OnText"));
        Assert.That(Streams(holding), Is.EqualTo(new[] { ServiceRequest.StreamOf(first), ServiceRequest.StreamOf(second) }));
        Assert.That(firstReply.StatusCode, Is.EqualTo(HttpStatusCode.OK), await firstReply.Content.ReadAsStringAsync());
        Assert.That(afterFirst.GetProperty("state").GetString(), Is.EqualTo("OnText"), "one request still in hand: no wrap-up yet");
        Assert.That(Streams(afterFirst), Is.EqualTo(new[] { ServiceRequest.StreamOf(second) }));
        Assert.That(secondReply.StatusCode, Is.EqualTo(HttpStatusCode.OK), await secondReply.Content.ReadAsStringAsync());
        Assert.That(afterSecond.GetProperty("state").GetString(), Is.EqualTo("WrapUp"));
        Assert.That(Streams(afterSecond), Is.Empty);
    }

    private static string?[] Streams(JsonElement me) =>
        [.. me.GetProperty("texts").EnumerateArray().Where(t => t.GetProperty("accepted").GetBoolean()).Select(t => t.GetProperty("callSid").GetString())];
}
