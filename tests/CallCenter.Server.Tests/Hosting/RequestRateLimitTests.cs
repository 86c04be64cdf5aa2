using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.Data;
using CallCenter.Server.Staff;
using CallCenter.Testing;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Hosting;

/// <summary>One address cannot try sign-ins or forged webhooks without limit; Twilio's signed traffic is never slowed.</summary>
public sealed class RequestRateLimitTests
{
    private static WebApplicationFactory<Program> ServerWithLimits(int loginPermits = 100_000, int webhookRefusals = 100_000) =>
        AssemblySetUp.Server.WithWebHostBuilder(b =>
        {
            b.UseSetting("RateLimits:LoginPermits", loginPermits.ToString(System.Globalization.CultureInfo.InvariantCulture));
            b.UseSetting("RateLimits:WebhookRefusals", webhookRefusals.ToString(System.Globalization.CultureInfo.InvariantCulture));
        });

    private static Task<HttpResponseMessage> SignInAsync(HttpClient client, string workNumber, string password) =>
        client.PostAsJsonAsync("/api/auth/login", new StaffApi.LoginRequest(workNumber, password));

    [Test]
    public async Task Sign_ins_over_the_limit_from_one_address_get_429_and_never_reach_the_password_check()
    {
        await using var server = ServerWithLimits(loginPermits: 3);
        using var client = server.CreateClient();
        var victim = await server.Services.CreateStaffAsync(StaffRole.Agent);

        for (var i = 0; i < 3; i++)
        {
            using var guess = await SignInAsync(client, StaffBuilder.NewWorkNumber(), "guess-" + i);
            Assert.That(guess.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), $"attempt {i + 1} is within the limit");
        }
        using var limited = await SignInAsync(client, victim, "wrong-password");

        Assert.That(limited.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(limited.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero), "says when to try again");
        var problem = await limited.Content.ReadFromJsonAsync<ProblemDetails>();
        Assert.That(problem!.Title, Is.EqualTo("Too many requests"));
        await using var scope = server.Services.CreateAsyncScope();
        var member = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().StaffMembers.SingleAsync(m => m.WorkNumber == victim);
        Assert.That(member.FailedLogins, Is.Zero, "the refused attempt did not count towards the victim's lockout");
    }

    [Test]
    public async Task An_address_sending_forged_webhooks_is_turned_away_even_with_a_good_signature_until_the_window_passes()
    {
        await using var server = ServerWithLimits(webhookRefusals: 2);
        var twilio = server.CreateTwilioClient();
        var callSid = TwilioForms.NewCallSid();

        for (var i = 0; i < 2; i++)
        {
            using var forged = await twilio.PostAsync("/twilio/voice/incoming", TwilioForms.Incoming(callSid), "forged");
            Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        }
        using var signed = await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(callSid));

        Assert.That(signed.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(signed.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromMinutes(1)));
    }

    [Test]
    public async Task Signed_webhooks_are_never_limited_however_many_arrive()
    {
        await using var server = ServerWithLimits(webhookRefusals: 1);
        var twilio = server.CreateTwilioClient();

        for (var i = 0; i < 30; i++)
        {
            using var response = await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(TwilioForms.NewCallSid()));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"webhook {i + 1}");
        }
    }
}
