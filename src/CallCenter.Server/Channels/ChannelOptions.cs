using System.ComponentModel.DataAnnotations;
using CallCenter.Core.Channels;

namespace CallCenter.Server.Channels;

/// <summary>Non-phone channels: categories and due times, ACD queues per channel, intake limits, reply senders, surveys.</summary>
public sealed class ChannelOptions
{
    public const string SectionName = "Channels";

    /// <summary>The hotline number whose business calendar e-mail and web requests follow (SMS follows the number texted); null: the only flow's.</summary>
    public string? Line { get; set; }

    /// <summary>Request categories with their due times in working time; empty means <see cref="DefaultCategories"/>.</summary>
    public List<CategoryOptions> Categories { get; set; } = [];

    /// <summary>The category of requests that name no other.</summary>
    [Required]
    public string DefaultCategory { get; set; } = "general";

    /// <summary>The ACD queue (from the Acd section) that serves each channel; its required skill is the channel skill.</summary>
    public Dictionary<RequestChannel, string> Queues { get; set; } = [];

    public EmailIntakeOptions Email { get; set; } = new();

    public WebFormOptions Web { get; set; } = new();

    public SmtpOptions Smtp { get; set; } = new();

    public SurveyOptions Surveys { get; set; } = new();

    /// <summary>The ACD queue of a channel: the configured one, else the channel's name in lower case.</summary>
    public string QueueOf(RequestChannel channel) => Queues.GetValueOrDefault(channel) ?? channel.ToString().ToLowerInvariant();

    /// <summary>Used when no category is configured: a bank's usual answer times.</summary>
    public static IReadOnlyList<RequestCategory> DefaultCategories { get; } =
    [
        new("general", TimeSpan.FromHours(8), []),
        new("cards", TimeSpan.FromHours(4), ["card", "卡"]),
        new("payments", TimeSpan.FromHours(4), ["transfer", "payment", "转账", "汇款"]),
        new("complaints", TimeSpan.FromHours(24), ["complain", "投诉"]),
    ];

    /// <summary>The policy these options describe.</summary>
    public ServiceRequestPolicy Policy() => new(
        Categories.Count == 0 ? DefaultCategories : Categories.Select(c => new RequestCategory(c.Name.Trim().ToLowerInvariant(), c.DueWithin, c.Keywords)),
        DefaultCategory);
}

/// <summary>One request category as configured.</summary>
public sealed class CategoryOptions
{
    [Required]
    public string Name { get; set; } = "";

    /// <summary>Working time on the line's calendar from arrival to the due time.</summary>
    public TimeSpan DueWithin { get; set; } = TimeSpan.FromHours(8);

    public List<string> Keywords { get; set; } = [];
}

/// <summary>The mail gateway's endpoint: who may post and how big a message may be.</summary>
public sealed class EmailIntakeOptions
{
    /// <summary>Shared secret the gateway sends in X-Mail-Gateway-Key (environment Channels__Email__GatewayKey); empty refuses every post.</summary>
    public string GatewayKey { get; set; } = "";

    /// <summary>Largest whole post (text and attachments), checked before the body is read.</summary>
    [Range(1024, 100 * 1024 * 1024)]
    public long MaxMessageBytes { get; set; } = 10 * 1024 * 1024;

    [Range(1, 100 * 1024 * 1024)]
    public long MaxAttachmentBytes { get; set; } = 5 * 1024 * 1024;

    [Range(0, 50)]
    public int MaxAttachments { get; set; } = 10;

    [Range(1, 1_000_000)]
    public int MaxTextLength { get; set; } = 100_000;
}

/// <summary>The public web contact form.</summary>
public sealed class WebFormOptions
{
    /// <summary>Posts one client address may make per <see cref="Window"/>.</summary>
    [Range(1, 10_000)]
    public int PermitsPerWindow { get; set; } = 5;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    [Range(1, 100_000)]
    public int MaxMessageLength { get; set; } = 4000;
}

/// <summary>The SMTP relay replies go out through (secrets from the environment: Channels__Smtp__Password).</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 25;

    /// <summary>STARTTLS when the relay offers it is always used; true demands it.</summary>
    public bool RequireTls { get; set; }

    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary>The centre's sender address.</summary>
    public string From { get; set; } = "service@bank.example";

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Satisfaction surveys: how often a customer may be asked, how long an answer is taken, what counts as satisfied.</summary>
public sealed class SurveyOptions
{
    /// <summary>At most one survey per customer per period.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long after sending an answer is still taken.</summary>
    public TimeSpan AnswerWindow { get; set; } = TimeSpan.FromDays(7);

    [Range(1, 5)]
    public int SatisfiedFrom { get; set; } = 4;

    /// <summary>Bump whenever <see cref="SatisfiedFrom"/> changes: stored satisfaction rows keep the version that counted them.</summary>
    [Range(1, int.MaxValue)]
    public int PolicyVersion { get; set; } = 1;

    [Range(0.0, 1.0)]
    public double Target { get; set; } = 0.85;

    /// <summary>Whether a caller still on the line when the agent ends the call goes to the IVR flow's survey node.</summary>
    public bool AfterCalls { get; set; } = true;

    public SatisfactionPolicy Policy => new(SatisfiedFrom, Target);
}
