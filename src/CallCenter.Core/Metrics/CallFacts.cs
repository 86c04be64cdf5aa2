namespace CallCenter.Core.Metrics;

/// <summary>One call-log event as the reports read it: its kind, instant and the payload fields they use.</summary>
public sealed record CallFactEvent(string Type, DateTimeOffset At, IReadOnlyDictionary<string, string?> Fields)
{
    /// <summary>A field of the payload, or null when absent or empty.</summary>
    public string? this[string name] => Fields.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;
}

/// <summary>
/// Everything the reports need about one call, folded from its call-log events. Instants keep the earliest
/// value seen, so a late or repeated event (a status callback arriving minutes later, a retried webhook)
/// folds to the same facts in any order.
/// </summary>
public sealed record CallFacts(string CallSid)
{
    /// <summary>The number the caller dialled: the hotline line.</summary>
    public string? Line { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>Who the customer is for repeat contacts: the verified customer id once the IVR verified one, else the caller's number.</summary>
    public string? CustomerKey { get; init; }
    public bool Verified { get; init; }
    /// <summary>The first IVR menu choice's target: what the caller asked for.</summary>
    public string? FirstChoice { get; init; }
    /// <summary>The queue where the call first entered human service; it keeps this queue for the reports.</summary>
    public string? Queue { get; init; }
    public DateTimeOffset? QueuedAt { get; init; }
    public DateTimeOffset? AnsweredAt { get; init; }
    public string? Agent { get; init; }
    public DateTimeOffset? AbandonedAt { get; init; }
    public DateTimeOffset? CallbackRequestedAt { get; init; }
    /// <summary>The agent leg ended (talk + hold end here; wrap-up starts).</summary>
    public DateTimeOffset? CompletedAt { get; init; }
    public DateTimeOffset? WrappedUpAt { get; init; }
    public string? ReasonFamily { get; init; }
    public bool Resolved { get; init; }
    /// <summary>Moves to another queue after entering human service: overflow rules or an agent's transfer.</summary>
    public int Transfers { get; init; }
    public int? SurveyScore { get; init; }
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>The earliest later agent-handled contact by the same customer about the same reason family.</summary>
    public DateTimeOffset? NextContactAt { get; init; }

    /// <summary>When the need was raised, for first-call resolution: entry into human service.</summary>
    public DateTimeOffset? ContactAt => AnsweredAt is null ? null : QueuedAt ?? StartedAt ?? AnsweredAt;

    /// <summary>First-call resolution (art. 17): the agent marked it resolved and no repeat came within the window.</summary>
    public bool ResolvedFirstTime(TimeSpan window) =>
        AnsweredAt is not null && Resolved && (NextContactAt is not { } next || ContactAt is not { } at || next > at + window);

    /// <summary>How the call left the queue, as service level and connect rate count it.</summary>
    public QueuedCall? Queued => QueuedAt is not { } entered ? null
        : AnsweredAt is { } answered ? new QueuedCall(answered - entered, QueueOutcome.Answered)
        : CallbackRequestedAt is { } callback ? new QueuedCall(callback - entered, QueueOutcome.CallbackRequested)
        : AbandonedAt is { } abandoned ? new QueuedCall(abandoned - entered, QueueOutcome.Abandoned)
        : new QueuedCall(TimeSpan.Zero, QueueOutcome.Waiting);

    /// <summary>Talk (with any hold) from answer to the end of the agent leg.</summary>
    public TimeSpan? TalkTime => AnsweredAt is { } a && CompletedAt is { } c && c >= a ? c - a : null;

    /// <summary>After-call work from the end of the agent leg to the wrap-up.</summary>
    public TimeSpan? WrapUpTime => CompletedAt is { } c && WrappedUpAt is { } w && w >= c ? w - c : null;

    /// <summary>Folds one more event in; events this report model does not read leave the facts unchanged.</summary>
    public CallFacts Apply(CallFactEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Type switch
        {
            "call.incoming" => this with { StartedAt = Earliest(StartedAt, e.At), Line = Line ?? e["to"] },
            "ivr.verified" when e["customer"] is { } customer => this with { CustomerKey = customer, Verified = true },
            "ivr.menu_choice" when FirstChoice is null => this with { FirstChoice = e["target"] },
            "acd.queued" => Queue is null || QueuedAt is null || e.At < QueuedAt
                ? this with { Queue = e["queue"] ?? Queue, QueuedAt = Earliest(QueuedAt, e.At) }
                : e["queue"] is { } queue && queue != Queue ? this with { Transfers = Transfers + 1 } : this,
            "acd.overflowed" => this with { Transfers = Transfers + 1 },
            "acd.answered" => this with { AnsweredAt = Earliest(AnsweredAt, e.At), Agent = Agent ?? e["agent"] },
            "acd.abandoned" => this with { AbandonedAt = Earliest(AbandonedAt, e.At) },
            "acd.callback_requested" => this with { CallbackRequestedAt = Earliest(CallbackRequestedAt, e.At) },
            // A caller who chose a callback asked for one at that moment, whether or not the message that follows arrives.
            "acd.limit_reached" when e["limit"] == "CallerChoice" => this with { CallbackRequestedAt = Earliest(CallbackRequestedAt, e.At) },
            "acd.completed" => this with { CompletedAt = Earliest(CompletedAt, e.At) },
            "agent.wrap_up" when WrappedUpAt is null => this with
            {
                WrappedUpAt = e.At,
                ReasonFamily = e["reasonFamily"],
                Resolved = bool.TryParse(e["resolved"], out var resolved) && resolved,
            },
            "ivr.survey_answer" when int.TryParse(e["score"], out var score) => this with { SurveyScore = SurveyScore ?? score },
            "call.status" when e["status"] is "completed" or "busy" or "failed" or "no-answer" or "canceled" =>
                this with { EndedAt = Earliest(EndedAt, e.At) },
            _ => this,
        };
    }

    private static DateTimeOffset Earliest(DateTimeOffset? current, DateTimeOffset candidate) =>
        current is { } c && c <= candidate ? c : candidate;
}
