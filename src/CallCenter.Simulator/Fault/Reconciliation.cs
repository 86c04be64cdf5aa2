using System.Diagnostics;
using System.Text.Json;
using CallCenter.Server.CallLog;
using CallCenter.Simulator.Day;
using Npgsql;

namespace CallCenter.Simulator.Fault;

/// <summary>One call the reconciliation found wrong, with why.</summary>
public sealed record CallProblem(string CallSid, string Problem);

/// <summary>
/// The end of a fault run: every call the simulator placed against the call log. Lost: the log has no trace of a call the
/// server took, or lacks events it must hold (a gap in the call's numbering, no final status). Duplicated: an event that
/// happens once per call (answered, completed, abandoned, wrapped up, callback requested; queued once per queue) is there twice. Mismatched:
/// the log's end state is not what the caller and agent lived through. Calls Twilio sent to the fallback URL were never
/// the server's: they must hold no answer.
/// </summary>
public sealed record ReconciliationReport(
    int CallsChecked, int CallsAtFallback, int EventsChecked, long ChainEventsVerified, string? ChainViolation,
    IReadOnlyList<CallProblem> Lost, IReadOnlyList<CallProblem> Duplicated, IReadOnlyList<CallProblem> Mismatched, double SecondsToReconcile)
{
    public bool Clean => Lost.Count == 0 && Duplicated.Count == 0 && Mismatched.Count == 0 && ChainViolation is null;
}

/// <summary>
/// Reads the call log straight from PostgreSQL, as an auditor would: the check must not go through the code it checks
/// (the server's own APIs), and it also verifies the hash chain over the whole log, which the spool's late writes extend.
/// </summary>
public static class Reconciliation
{
    // Events a call has at most once. A retried webhook or a failed-over request that ran twice would show here.
    // acd.queued is once per queue: an overflow (acd.overflowed) queues the call again in the queue it moves to.
    private static readonly string[] OncePerCall =
        ["call.incoming", "acd.answered", "acd.completed", "acd.abandoned", "acd.callback_requested", "agent.wrap_up"];

    private sealed record LoggedEvent(int CallSeq, string Type, string StepKey, string Payload);

    /// <summary>
    /// Waits (at most <paramref name="within"/>, real time) until <paramref name="settled"/> says every instance has drained
    /// its spool, then checks; while problems remain it reads again until the deadline, since late writes may still land.
    /// </summary>
    public static async Task<ReconciliationReport> RunAsync(string postgres, IReadOnlyCollection<SimulatedCallRecord> calls,
        Func<CancellationToken, Task<bool>> settled, TimeSpan within, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(settled);
        var started = Stopwatch.StartNew();
        while (started.Elapsed < within && !await settled(ct)) await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        await using var dataSource = NpgsqlDataSource.Create(postgres);
        while (true)
        {
            var report = await CheckAsync(dataSource, calls, ct);
            if (report.Clean || started.Elapsed >= within) return report with { SecondsToReconcile = Math.Round(started.Elapsed.TotalSeconds, 1) };
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    private static async Task<ReconciliationReport> CheckAsync(NpgsqlDataSource dataSource, IReadOnlyCollection<SimulatedCallRecord> calls, CancellationToken ct)
    {
        var sids = calls.Select(c => c.CallSid).ToArray();
        var events = new Dictionary<string, List<LoggedEvent>>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand(
                         "SELECT call_sid, call_seq, type, step_key, payload::text FROM call_events WHERE call_sid = ANY(@sids) ORDER BY call_sid, call_seq"))
        {
            command.Parameters.Add(new NpgsqlParameter<string[]>("sids", sids));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var sid = reader.GetString(0);
                if (!events.TryGetValue(sid, out var list)) events[sid] = list = [];
                list.Add(new LoggedEvent(reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
            }
        }
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("SELECT call_sid, status FROM calls WHERE call_sid = ANY(@sids)"))
        {
            command.Parameters.Add(new NpgsqlParameter<string[]>("sids", sids));
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) statuses[reader.GetString(0)] = reader.GetString(1);
        }
        var chain = await CallEventChainAudit.VerifyAsync(dataSource, ct);

        List<CallProblem> lost = [], duplicated = [], mismatched = [];
        foreach (var call in calls)
        {
            var log = events.GetValueOrDefault(call.CallSid) ?? [];
            var status = statuses.GetValueOrDefault(call.CallSid);
            int Count(string type) => log.Count(e => e.Type == type);
            if (call.ReachedFallback && log.Count == 0 && status is null) continue; // never the server's call, and none of it logged

            if (log.Count == 0 && status is null)
            {
                lost.Add(new(call.CallSid, "no calls row and no events"));
                continue;
            }
            if (log.Select(e => e.CallSeq).SequenceEqual(Enumerable.Range(1, log.Count)) is false)
                lost.Add(new(call.CallSid, $"gap in the call's event numbers: {string.Join(",", log.Select(e => e.CallSeq))}{Story(call, log)}"));
            if (status != "completed" || Count("call.status") == 0)
                lost.Add(new(call.CallSid, $"final status missing (calls row: {status ?? "none"}, call.status events: {Count("call.status")})"));
            foreach (var type in OncePerCall.Where(t => Count(t) > 1))
                duplicated.Add(new(call.CallSid, $"{type} ×{Count(type)}{Story(call, log)}"));
            if (Count("acd.queued") > 1 + Count("acd.overflowed"))
                duplicated.Add(new(call.CallSid, $"acd.queued ×{Count("acd.queued")} with {Count("acd.overflowed")} overflows{Story(call, log)}"));

            var ends = Count("acd.completed") + Count("acd.abandoned") + Count("acd.callback_requested") + Count("acd.limit_reached");
            if (Count("acd.queued") > 0 && ends == 0)
                mismatched.Add(new(call.CallSid, "queued but no end in the queue (completed, abandoned or callback)"));
            var expected = call.ReachedFallback ? "fallback" : call.Outcome.ToString();
            var problem = call.Outcome switch
            {
                _ when call.ReachedFallback => Count("acd.answered") > 0 ? "answered by the server though Twilio took the fallback" : null,
                CallOutcome.Answered when Count("acd.answered") == 0 || Count("acd.completed") == 0 => "answered by an agent, but the log has no answer and completion",
                CallOutcome.Answered when AgentOf(log.First(e => e.Type == "acd.answered")) != call.Agent =>
                    $"answered by {call.Agent}, the log says {AgentOf(log.First(e => e.Type == "acd.answered"))}",
                CallOutcome.Answered when call.Resolved is { } resolved && !log.Any(e => e.Type == "agent.wrap_up" && ResolvedOf(e) == resolved) =>
                    "wrapped up by the agent, but no matching wrap-up in the log",
                CallOutcome.Abandoned when Count("acd.abandoned") == 0 && Count("acd.callback_requested") == 0 => "abandoned in the queue, not logged so",
                CallOutcome.Abandoned or CallOutcome.CallbackRequested or CallOutcome.EndedInIvr when Count("acd.answered") > 0 =>
                    "never talked to an agent, but the log has an answer",
                CallOutcome.CallbackRequested when Count("acd.callback_requested") == 0 => "left a callback request, not logged",
                _ => null,
            };
            if (problem is not null)
                mismatched.Add(new(call.CallSid, $"{expected}: {problem}{Story(call, log)}"));
        }
        return new ReconciliationReport(calls.Count, calls.Count(c => c.ReachedFallback), events.Values.Sum(l => l.Count), chain.EventsChecked,
            chain.FirstViolation?.ToString(), lost, duplicated, mismatched, 0);
    }

    // What the caller lived through and what the log holds, side by side, so a problem can be followed without the server's logs.
    private static string Story(SimulatedCallRecord call, List<LoggedEvent> log) =>
        $" (the caller ran {string.Join(" | ", call.Trail)}; the log holds {string.Join(", ", log.Select(e => e.Type + "@" + e.StepKey))})";

    private static string? AgentOf(LoggedEvent e)
    {
        using var json = JsonDocument.Parse(e.Payload);
        return json.RootElement.TryGetProperty("agent", out var agent) ? agent.GetString() : null;
    }

    private static bool? ResolvedOf(LoggedEvent e)
    {
        using var json = JsonDocument.Parse(e.Payload);
        return json.RootElement.TryGetProperty("resolved", out var resolved) ? resolved.GetBoolean() : null;
    }
}
