namespace CallCenter.Server.CoreBanking;

/// <summary>How a call to the core system ended, so the IVR can choose: continue, refuse, or offer an agent.</summary>
public enum CoreOutcome
{
    Succeeded,
    /// <summary>The core system answered and said no (wrong PIN, unknown card).</summary>
    Declined,
    /// <summary>Slow, failing or circuit open: the caller should be offered an agent, not kept waiting.</summary>
    Unavailable,
}

/// <summary>A core-system answer with its outcome.</summary>
public sealed record CoreResult<T>(CoreOutcome Outcome, T? Value);

/// <summary>Shorthands for building <see cref="CoreResult{T}"/>.</summary>
public static class CoreResult
{
    public static CoreResult<T> Success<T>(T value) => new(CoreOutcome.Succeeded, value);
    public static CoreResult<T> Declined<T>() => new(CoreOutcome.Declined, default);
    public static CoreResult<T> Unavailable<T>() => new(CoreOutcome.Unavailable, default);
}

/// <summary>VIP tiers as the bank's customer record has them, lowest first.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<CustomerTier>))]
public enum CustomerTier
{
    Ordinary,
    Platinum,
    PrivateBanking,
}

/// <summary>A customer the core system has verified from card number and telephone PIN.</summary>
public sealed record VerifiedCustomer(string CustomerId, CustomerTier Tier, string PreferredName);

/// <summary>One account's available balance, with the account number masked by the core system.</summary>
public sealed record AccountBalance(string MaskedAccount, string Currency, decimal Available);

/// <summary>One posted transaction, for the "recent transactions" self-service.</summary>
public sealed record AccountTransaction(DateTimeOffset PostedAt, string Description, string Currency, decimal Amount);

/// <summary>The core system's receipt for a card-loss report.</summary>
public sealed record CardLossReceipt(string ReportId, DateTimeOffset BlockedAt);

/// <summary>The core system's receipt for a card-bill payment.</summary>
public sealed record BillPaymentReceipt(string PaymentId, string Currency, decimal Amount);
