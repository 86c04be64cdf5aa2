using System.Globalization;
using CallCenter.Server.CoreBanking;
using CoreRequest = CallCenter.Core.Ivr.CoreRequest;
using IvrCoreResult = CallCenter.Core.Ivr.CoreResult;

namespace CallCenter.Server.Ivr;

/// <summary>Carries out the interpreter's core-system requests and turns the answers into words the prompts speak.</summary>
public sealed class CoreBankingBridge(CoreBankingClient bank)
{
    public async Task<IvrCoreResult> ExecuteAsync(string callSid, string stepKey, CoreRequest request, string language, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var culture = CultureInfo.GetCultureInfo(language);
        switch (request.Operation)
        {
            case Core.Ivr.CoreOperation.Verify:
            {
                var result = await bank.VerifyCallerAsync(request.CardNumber ?? "", request.Pin ?? "", ct);
                if (result is not { Outcome: CoreOutcome.Succeeded, Value: { } customer })
                    return Failure(result.Outcome);
                return new IvrCoreResult(true, customer.CustomerId, new Dictionary<string, string>
                {
                    ["tier"] = customer.Tier.ToString(),
                    // VIPs are served first (service manuals): private banking above platinum above ordinary.
                    ["priority"] = ((int)customer.Tier * 5).ToString(CultureInfo.InvariantCulture),
                });
            }
            case Core.Ivr.CoreOperation.Balance when request.CustomerId is { } id:
            {
                var result = await bank.GetBalancesAsync(id, ct);
                if (result is not { Outcome: CoreOutcome.Succeeded, Value: { Count: > 0 } balances }) return Failure(result.Outcome);
                return Spoken("balance", balances[0].Available.ToString("N2", culture));
            }
            case Core.Ivr.CoreOperation.RecentTransactions when request.CustomerId is { } id:
            {
                var result = await bank.GetRecentTransactionsAsync(id, 3, ct);
                if (result is not { Outcome: CoreOutcome.Succeeded, Value: { } items }) return Failure(result.Outcome);
                var separator = language.StartsWith("zh", StringComparison.OrdinalIgnoreCase) ? "；" : "; ";
                return Spoken("transactions", string.Join(separator, items.Select(t =>
                    $"{t.PostedAt.ToString("M", culture)} {t.Description} {t.Amount.ToString("N2", culture)}")));
            }
            case Core.Ivr.CoreOperation.ReportLoss when request.CustomerId is { } id:
            {
                // The idempotency key is the call and the interpreter's step: a retried webhook blocks the card once.
                var result = await bank.ReportCardLossAsync(id, LastFour(request.CardNumber), $"{callSid}:{stepKey}", ct);
                return result.Outcome == CoreOutcome.Succeeded ? new IvrCoreResult(true) : Failure(result.Outcome);
            }
            case Core.Ivr.CoreOperation.BillPayment when request.CustomerId is { } id:
            {
                var result = await bank.PayCardBillAsync(id, $"{callSid}:{stepKey}", ct);
                if (result is not { Outcome: CoreOutcome.Succeeded, Value: { } receipt }) return Failure(result.Outcome);
                return Spoken("amount", receipt.Amount.ToString("N2", culture));
            }
            default:
                return new IvrCoreResult(false);
        }
    }

    private static IvrCoreResult Spoken(string name, string value) => new(true, null, new Dictionary<string, string> { [name] = value });

    private static IvrCoreResult Failure(CoreOutcome outcome) =>
        new(false, null, new Dictionary<string, string> { ["outcome"] = outcome.ToString() }) { Unavailable = outcome == CoreOutcome.Unavailable };

    private static string? LastFour(string? card) => card is { Length: >= 4 } ? card[^4..] : null;
}
