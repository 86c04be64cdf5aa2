using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace CallCenter.Server.CoreBanking;

/// <summary>
/// The bank's core system as the IVR needs it: caller verification and self-service. Reads are
/// retried; writes carry an idempotency key and are never retried blindly. Card numbers and PINs
/// travel only in request bodies so that no URL, log line or trace attribute carries them.
/// </summary>
public sealed class CoreBankingClient(HttpClient http, ILogger<CoreBankingClient> logger)
{
    public const string HttpClientName = "core-banking";

    private sealed record VerifyRequest(string CardNumber, string Pin);

    private sealed record VerifyResponse(bool Verified, string? CustomerId, CustomerTier Tier, string? PreferredName);

    private sealed record LossReportRequest(string CustomerId, string? CardLast4);

    public async Task<CoreResult<VerifiedCustomer>> VerifyCallerAsync(string cardNumber, string pin, CancellationToken ct)
    {
        var result = await SendAsync<VerifyResponse>(
            () => new HttpRequestMessage(HttpMethod.Post, "customers/verify") { Content = JsonContent.Create(new VerifyRequest(cardNumber, pin)) }, ct);
        return result.Outcome switch
        {
            CoreOutcome.Succeeded when result.Value is { Verified: true, CustomerId: { } id } v =>
                CoreResult.Success<VerifiedCustomer>(new VerifiedCustomer(id, v.Tier, v.PreferredName ?? "")),
            CoreOutcome.Unavailable => CoreResult.Unavailable<VerifiedCustomer>(),
            _ => CoreResult.Declined<VerifiedCustomer>(),
        };
    }

    public Task<CoreResult<IReadOnlyList<AccountBalance>>> GetBalancesAsync(string customerId, CancellationToken ct) =>
        SendAsync<IReadOnlyList<AccountBalance>>(
            () => new HttpRequestMessage(HttpMethod.Get, $"customers/{Uri.EscapeDataString(customerId)}/balances"), ct);

    public Task<CoreResult<IReadOnlyList<AccountTransaction>>> GetRecentTransactionsAsync(string customerId, int count, CancellationToken ct) =>
        SendAsync<IReadOnlyList<AccountTransaction>>(
            () => new HttpRequestMessage(HttpMethod.Get, $"customers/{Uri.EscapeDataString(customerId)}/transactions?limit={count}"), ct);

    /// <summary>Blocks the caller's card. The idempotency key (stable per call and step) makes a repeat harmless.</summary>
    public Task<CoreResult<CardLossReceipt>> ReportCardLossAsync(string customerId, string? cardLast4, string idempotencyKey, CancellationToken ct) =>
        SendAsync<CardLossReceipt>(() => WithIdempotencyKey(
            new HttpRequestMessage(HttpMethod.Post, "cards/loss-reports") { Content = JsonContent.Create(new LossReportRequest(customerId, cardLast4)) },
            idempotencyKey), ct);

    /// <summary>Pays the customer's outstanding card bill from their linked account; idempotent by key.</summary>
    public Task<CoreResult<BillPaymentReceipt>> PayCardBillAsync(string customerId, string idempotencyKey, CancellationToken ct) =>
        SendAsync<BillPaymentReceipt>(() => WithIdempotencyKey(
            new HttpRequestMessage(HttpMethod.Post, $"customers/{Uri.EscapeDataString(customerId)}/card-bill/payments"),
            idempotencyKey), ct);

    private static HttpRequestMessage WithIdempotencyKey(HttpRequestMessage request, string key)
    {
        request.Headers.Add("Idempotency-Key", key);
        return request;
    }

    private async Task<CoreResult<T>> SendAsync<T>(Func<HttpRequestMessage> createRequest, CancellationToken ct)
    {
        using var request = createRequest();
        try
        {
            using var response = await http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                var value = await response.Content.ReadFromJsonAsync<T>(ct);
                return value is null ? CoreResult.Unavailable<T>() : CoreResult.Success<T>(value);
            }
            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden or HttpStatusCode.UnprocessableEntity or HttpStatusCode.Conflict)
                return CoreResult.Declined<T>();
            logger.LogWarning("Core system answered {Status} to {Method} {Path}", (int)response.StatusCode, request.Method, request.RequestUri?.AbsolutePath);
            return CoreResult.Unavailable<T>();
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
                                   or System.Text.Json.JsonException || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            logger.LogWarning("Core system unavailable for {Method} {Path}: {Reason}", request.Method, request.RequestUri?.AbsolutePath, ex.GetType().Name);
            return CoreResult.Unavailable<T>();
        }
    }
}

/// <summary>Registers the core-system client with its resilience pipeline.</summary>
public static class CoreBankingExtensions
{
    public static IHostApplicationBuilder AddCoreBanking(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(CoreBankingOptions.SectionName);
        builder.Services.AddOptions<CoreBankingOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        var options = section.Get<CoreBankingOptions>() ?? new CoreBankingOptions();

        builder.Services.AddHttpClient<CoreBankingClient>(CoreBankingClient.HttpClientName, http =>
            {
                // Unconfigured: requests fail fast and the IVR offers an agent.
                http.BaseAddress = options.BaseUrl is { } url ? new Uri(url.ToString().TrimEnd('/') + "/") : new Uri("http://core-banking.invalid/");
                if (options.ApiKey is { Length: > 0 } key) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
                // The resilience pipeline owns time; HttpClient's own limit must not cut it short.
                http.Timeout = Timeout.InfiniteTimeSpan;
            })
            .AddResilienceHandler("core-banking", pipeline =>
            {
                // Network waits are wall-clock time: the server's TimeProvider may run simulated (Simulation:ClockRate, tests),
                // and on a clock that does not move these timeouts would never fire and a webhook would wait for the bank.
                pipeline.TimeProvider = TimeProvider.System;
                var retry = new HttpRetryStrategyOptions { MaxRetryAttempts = 2, Delay = TimeSpan.FromMilliseconds(50) };
                // A card-loss report or payment must never be sent twice because an answer was slow.
                retry.DisableForUnsafeHttpMethods();
                pipeline.AddTimeout(options.TotalTimeout)
                    .AddRetry(retry)
                    .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                    {
                        SamplingDuration = TimeSpan.FromSeconds(Math.Max(10, options.AttemptTimeout.TotalSeconds * 2)),
                        MinimumThroughput = 5,
                        FailureRatio = 0.5,
                        BreakDuration = TimeSpan.FromSeconds(15),
                    })
                    .AddTimeout(options.AttemptTimeout);
            });
        return builder;
    }
}
