using System.Diagnostics;
using CallCenter.Server.CoreBanking;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace CallCenter.Server.Tests.CoreBanking;

/// <summary>The core system is the bank's; WireMock stands in for it, the resilience pipeline is ours and real.</summary>
public sealed class CoreBankingClientTests
{
    private sealed class Harness : IDisposable
    {
        public WireMockServer Bank { get; } = WireMockServer.Start();
        private readonly IHost _host;

        public Harness(string totalTimeout = "00:00:02.500", string attemptTimeout = "00:00:01")
        {
            // WireMock's first request pays for its own JIT; keep that out of the timeouts under test.
            Bank.Given(Request.Create().WithPath("/warm-up")).RespondWith(Response.Create().WithStatusCode(204));
            using (var warm = new HttpClient()) warm.GetAsync(Bank.Urls[0] + "/warm-up").GetAwaiter().GetResult().Dispose();

            var builder = Host.CreateApplicationBuilder();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["CoreBanking:BaseUrl"] = Bank.Urls[0] + "/api/v1",
                ["CoreBanking:ApiKey"] = "test-key",
                ["CoreBanking:TotalTimeout"] = totalTimeout,
                ["CoreBanking:AttemptTimeout"] = attemptTimeout,
            });
            builder.AddCoreBanking();
            _host = builder.Build();
        }

        public CoreBankingClient Client => _host.Services.GetRequiredService<CoreBankingClient>();

        public int CallsTo(string path) => Bank.LogEntries.Count(e => e.RequestMessage?.Path == path);

        public void Dispose()
        {
            _host.Dispose();
            Bank.Stop();
            Bank.Dispose();
        }
    }

    [Test]
    public async Task A_right_pin_verifies_the_caller_with_their_tier()
    {
        using var h = new Harness();
        h.Bank.Given(Request.Create().WithPath("/api/v1/customers/verify").UsingPost()
                .WithHeader("Authorization", "Bearer test-key")
                .WithBody(b => b != null && b.Contains("\"cardNumber\":\"6222020200112233445\"", StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithBodyAsJson(new { verified = true, customerId = "C-1001", tier = "PrivateBanking", preferredName = "王先生" }));

        var result = await h.Client.VerifyCallerAsync("6222020200112233445", "123456", CancellationToken.None);

        Assert.That(result.Outcome, Is.EqualTo(CoreOutcome.Succeeded));
        Assert.That(result.Value, Is.EqualTo(new VerifiedCustomer("C-1001", CustomerTier.PrivateBanking, "王先生")));
    }

    [Test]
    public async Task A_wrong_pin_is_declined_not_retried()
    {
        using var h = new Harness();
        h.Bank.Given(Request.Create().WithPath("/api/v1/customers/verify").UsingPost())
            .RespondWith(Response.Create().WithBodyAsJson(new { verified = false }));

        var result = await h.Client.VerifyCallerAsync("6222020200112233445", "000000", CancellationToken.None);

        Assert.That(result.Outcome, Is.EqualTo(CoreOutcome.Declined));
        Assert.That(h.CallsTo("/api/v1/customers/verify"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_read_is_retried_after_a_transient_failure()
    {
        using var h = new Harness();
        h.Bank.Given(Request.Create().WithPath("/api/v1/customers/C-1/balances").UsingGet())
            .InScenario("flaky").WillSetStateTo("recovered")
            .RespondWith(Response.Create().WithStatusCode(503));
        h.Bank.Given(Request.Create().WithPath("/api/v1/customers/C-1/balances").UsingGet())
            .InScenario("flaky").WhenStateIs("recovered")
            .RespondWith(Response.Create().WithBodyAsJson(new[] { new { maskedAccount = "6222****3344", currency = "CNY", available = 1234.56m } }));

        var result = await h.Client.GetBalancesAsync("C-1", CancellationToken.None);

        Assert.That(result.Outcome, Is.EqualTo(CoreOutcome.Succeeded));
        Assert.That(result.Value, Is.EqualTo(new[] { new AccountBalance("6222****3344", "CNY", 1234.56m) }));
        Assert.That(h.CallsTo("/api/v1/customers/C-1/balances"), Is.EqualTo(2));
    }

    [Test]
    public async Task A_card_loss_report_is_sent_once_with_its_idempotency_key_even_when_it_fails()
    {
        using var h = new Harness();
        h.Bank.Given(Request.Create().WithPath("/api/v1/cards/loss-reports").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(503));

        var result = await h.Client.ReportCardLossAsync("C-1", "3344", "CA123:loss-report", CancellationToken.None);

        Assert.That(result.Outcome, Is.EqualTo(CoreOutcome.Unavailable));
        var sent = h.Bank.LogEntries.Where(e => e.RequestMessage?.Path == "/api/v1/cards/loss-reports").ToList();
        Assert.That(sent, Has.Count.EqualTo(1));
        Assert.That(sent[0].RequestMessage!.Headers!["Idempotency-Key"].ToString(), Is.EqualTo("CA123:loss-report"));
    }

    [Test]
    public async Task A_slow_core_system_is_given_up_on_within_the_total_timeout()
    {
        using var h = new Harness(totalTimeout: "00:00:00.800", attemptTimeout: "00:00:00.300");
        h.Bank.Given(Request.Create().WithPath("/api/v1/customers/C-1/transactions").UsingGet())
            .RespondWith(Response.Create().WithDelay(TimeSpan.FromSeconds(5)).WithBodyAsJson(Array.Empty<object>()));
        var watch = Stopwatch.StartNew();

        var result = await h.Client.GetRecentTransactionsAsync("C-1", 5, CancellationToken.None);

        Assert.That(result.Outcome, Is.EqualTo(CoreOutcome.Unavailable));
        // Bounded by the pipeline, not by the 5 s the bank would take; generous margin for a loaded CI machine.
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public async Task A_hanging_verification_is_given_up_on_within_the_attempt_timeout()
    {
        using var h = new Harness(attemptTimeout: "00:00:00.300");
        h.Bank.Given(Request.Create().WithPath("/api/v1/customers/verify").UsingPost())
            .RespondWith(Response.Create().WithDelay(TimeSpan.FromSeconds(20)).WithBodyAsJson(new { verified = true, customerId = "C-1" }));
        var watch = Stopwatch.StartNew();

        var result = await h.Client.VerifyCallerAsync("6222020200112233445", "123456", CancellationToken.None);

        Assert.That(result.Outcome, Is.EqualTo(CoreOutcome.Unavailable));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
    }

    [Test]
    public async Task Repeated_failures_open_the_circuit_and_later_calls_do_not_reach_the_bank()
    {
        using var h = new Harness();
        h.Bank.Given(Request.Create().WithPath("/api/v1/customers/verify").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(500));

        for (var i = 0; i < 8; i++)
            await h.Client.VerifyCallerAsync("6222020200112233445", "123456", CancellationToken.None);
        var before = h.CallsTo("/api/v1/customers/verify");
        var result = await h.Client.VerifyCallerAsync("6222020200112233445", "123456", CancellationToken.None);

        Assert.That(result.Outcome, Is.EqualTo(CoreOutcome.Unavailable));
        Assert.That(before, Is.LessThan(8), "the breaker opened before all eight attempts were sent");
        Assert.That(h.CallsTo("/api/v1/customers/verify"), Is.EqualTo(before));
    }
}
