using System.Globalization;
using CallCenter.Core.Privacy;
using Npgsql;
using NpgsqlTypes;

namespace CallCenter.MetricsLoad;

/// <summary>
/// A reproducible bank-hotline history: daytime-heavy arrivals, 15% self-service only, then answered (85%),
/// abandoned (10%) or callback (5%) with exponential waits and handle times, and a customer pool small
/// enough that repeat contacts happen.
/// </summary>
internal sealed class CallGenerator(int seed, DateTimeOffset from, int days, int calls)
{
    private static readonly string[] Queues = ["general", "cards", "loans", "payments", "loss", "complaints", "wealth", "private", "corporate", "english", "mortgage", "fraud"];
    private static readonly string[] Reasons = ["cards", "payments", "loss-report", "balance", "fees", "loans", "complaint", "password"];
    private static readonly string[] Choices = ["accounts", "payments", "loss", "complaints", "agent"];
    // Share of the day's calls per local hour: night trickle, morning and early-afternoon peaks.
    private static readonly double[] HourProfile = [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4, 7, 8, 7.5, 6, 6.5, 7.5, 7, 6.5, 5.5, 4, 3, 2.5, 1.8, 1.2, 0.6];
    private const string Line = "+862100000000";

    private Random _random = new(seed);
    private readonly int _customers = Math.Max(1, calls / 3);

    public async Task CopyAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var copy = await connection.BeginBinaryImportAsync("""
            COPY call_facts (call_sid, line, started_at, customer_key, verified, first_choice, queue, queued_at, answered_at, agent,
                abandoned_at, callback_requested_at, completed_at, wrapped_up_at, reason_family, resolved, transfers,
                survey_score, ended_at) FROM STDIN (FORMAT BINARY)
            """);
        var cumulative = HourProfile.Select((_, h) => HourProfile.Take(h + 1).Sum() / HourProfile.Sum()).ToArray();
        for (var i = 0; i < calls; i++)
        {
            var day = i / (calls / days + 1);
            var hour = Array.FindIndex(cumulative, c => c >= _random.NextDouble());
            var started = from.AddDays(day).AddHours(Math.Max(hour, 0)).AddSeconds(_random.NextDouble() * 3600);
            var c = Call(Sid(i), started);
            await copy.StartRowAsync();
            await copy.WriteAsync(c.Sid, NpgsqlDbType.Varchar);
            await copy.WriteAsync(Line, NpgsqlDbType.Varchar);
            await copy.WriteAsync(c.Started, NpgsqlDbType.TimestampTz);
            await copy.WriteAsync(c.Customer, NpgsqlDbType.Varchar);
            await copy.WriteAsync(c.Verified, NpgsqlDbType.Boolean);
            await copy.WriteAsync(c.Choice, NpgsqlDbType.Varchar);
            await Nullable(copy, c.Queue, NpgsqlDbType.Varchar);
            await Nullable(copy, c.Queued, NpgsqlDbType.TimestampTz);
            await Nullable(copy, c.Answered, NpgsqlDbType.TimestampTz);
            await Nullable(copy, c.Agent, NpgsqlDbType.Varchar);
            await Nullable(copy, c.Abandoned, NpgsqlDbType.TimestampTz);
            await Nullable(copy, c.Callback, NpgsqlDbType.TimestampTz);
            await Nullable(copy, c.Completed, NpgsqlDbType.TimestampTz);
            await Nullable(copy, c.Wrapped, NpgsqlDbType.TimestampTz);
            await Nullable(copy, c.Reason, NpgsqlDbType.Varchar);
            await copy.WriteAsync(c.Resolved, NpgsqlDbType.Boolean);
            await copy.WriteAsync(c.Transfers, NpgsqlDbType.Integer);
            await Nullable(copy, c.Score, NpgsqlDbType.Integer);
            await copy.WriteAsync(c.Ended, NpgsqlDbType.TimestampTz);
        }
        await copy.CompleteAsync();
    }

    /// <summary>
    /// The one-off equivalent of the worker's repeat-contact linking for bulk-loaded history: each wrapped-up need
    /// gets the next wrapped-up contact of the same customer about the same reason, within the longest window.
    /// </summary>
    public const string LinkRepeatsSql = """
        UPDATE call_facts f SET next_contact_at = n.next
        FROM (SELECT call_sid, queued_at,
                     lead(queued_at) OVER (PARTITION BY customer_key, coalesce(reason_family, '') ORDER BY queued_at) AS next
              FROM call_facts WHERE wrapped_up_at IS NOT NULL) n
        WHERE f.call_sid = n.call_sid AND n.next IS NOT NULL AND n.next <= n.queued_at + interval '30 days'
        """;

    /// <summary>The call-log events of <paramref name="count"/> answered calls arriving in the 15 minutes from <paramref name="start"/>.</summary>
    /// <summary>
    /// One interval's new calls as call-log events. With <paramref name="randomSids"/>, each new call's SID sorts at a random
    /// place among the loaded calls' SIDs, as a live call's random Twilio SID does among the stored ones (the loaded SIDs are
    /// sequential, so a real random SID would sort after all of them): its primary-key entry lands on a random leaf instead
    /// of on the few leaves the interval's sequential SIDs share.
    /// </summary>
    public IEnumerable<(string Sid, string Type, string Key, DateTimeOffset At, string Payload, string? Caller)> IntervalEvents(DateTimeOffset start, int count,
        bool randomSids)
    {
        // Each interval draws its own callers: with one seed per process, every run's first interval would bring back the
        // previous run's callers, all of them "repeat contacts" of a few pages of rows.
        var interval = (int)(start.ToUnixTimeSeconds() / 900);
        _random = new Random(unchecked(seed * 31 + interval));
        // Its own generator, so both kinds of SID come with the same calls.
        var places = new Random(unchecked(seed * 17 + interval));
        for (var i = 0; i < count; i++)
        {
            var index = calls + (int)(start.ToUnixTimeSeconds() % 1_000_000) * 10_000 + i;
            // A loaded call's SID plus the new call's own index: unique, and just after that loaded call's entry.
            var sid = randomSids ? Sid(places.Next(calls)) + index.ToString("x8", CultureInfo.InvariantCulture) : Sid(index);
            var c = Call(sid, start.AddSeconds(_random.NextDouble() * 600));
            yield return (c.Sid, "call.incoming", "incoming", c.Started, Json($$"""{"from":"{{PhoneNumberMask.Mask(c.Customer)}}","to":"{{Line}}","direction":"inbound"}"""), c.Customer);
            yield return (c.Sid, "ivr.menu_choice", "001.1.ivr.menu_choice", c.Started.AddSeconds(8), Json($$$"""{"node":"main-menu","flow":"bank-hotline","data":{"key":"1","via":"dtmf","target":"{{{c.Choice}}}"}}"""), null);
            if (c.Queued is not { } queued) continue;
            yield return (c.Sid, "acd.queued", "acd.queued#1", queued, Json($$"""{"queue":"{{c.Queue}}","waitedSeconds":0}"""), null);
            if (c.Answered is { } answered)
            {
                yield return (c.Sid, "acd.answered", "acd.answered#1", answered, Json($$"""{"queue":"{{c.Queue}}","agent":"{{c.Agent}}"}"""), null);
                yield return (c.Sid, "acd.completed", "acd.completed#1", c.Completed!.Value, Json($$"""{"queue":"{{c.Queue}}","agent":"{{c.Agent}}"}"""), null);
                yield return (c.Sid, "agent.wrap_up", "agent.wrap_up", c.Wrapped!.Value,
                    Json($$"""{"agent":"{{c.Agent}}","disposition":"resolved","reasonFamily":"{{c.Reason}}","resolved":{{(c.Resolved ? "true" : "false")}}}"""), null);
                // The agent's own stream, as the ACD writes it: the refresh recuts their available/handling time too.
                foreach (var (at, from, to) in new[] { (answered, "Available", "OnCall"), (c.Completed!.Value, "OnCall", "WrapUp"), (c.Wrapped!.Value, "WrapUp", "Available") })
                    yield return ("agent:" + c.Agent, "agent.state_changed", $"{at.UtcTicks}:{from}>{to}:{c.Sid}", at,
                        Json($$"""{"agent":"{{c.Agent}}","from":"{{from}}","to":"{{to}}","call":"{{c.Sid}}"}"""), null);
            }
            else if (c.Abandoned is { } abandoned)
                yield return (c.Sid, "acd.abandoned", "acd.abandoned#1", abandoned, Json($$"""{"queue":"{{c.Queue}}"}"""), null);
            else if (c.Callback is { } callback)
                yield return (c.Sid, "acd.callback_requested", "acd.callback_requested", callback, Json("""{"queue":"general"}"""), null);
            yield return (c.Sid, "call.status", "status:completed", c.Ended, Json("""{"status":"completed","duration":200}"""), null);
        }
    }

    private static string Json(string text) => text;

    private sealed record GeneratedCall(string Sid, DateTimeOffset Started, string Customer, bool Verified, string Choice, string? Queue,
        DateTimeOffset? Queued, DateTimeOffset? Answered, string? Agent, DateTimeOffset? Abandoned, DateTimeOffset? Callback,
        DateTimeOffset? Completed, DateTimeOffset? Wrapped, string? Reason, bool Resolved, int Transfers, int? Score, DateTimeOffset Ended);

    private static string Sid(int index) => "CA" + index.ToString("x32", CultureInfo.InvariantCulture);

    private GeneratedCall Call(string sid, DateTimeOffset started)
    {
        var customer = "+86138" + _random.Next(_customers).ToString("D8", CultureInfo.InvariantCulture);
        var choice = Choices[_random.Next(Choices.Length)];
        var verified = _random.NextDouble() < 0.5;
        if (_random.NextDouble() < 0.15)
            return new GeneratedCall(sid, started, customer, verified, choice, null, null, null, null, null, null, null, null, null, false, 0, null, started.AddSeconds(60 + _random.Next(120)));
        var queue = Queues[Math.Min(Queues.Length - 1, (int)(-Math.Log(1 - _random.NextDouble()) * 3))];
        var queued = started.AddSeconds(20 + _random.Next(70));
        var outcome = _random.NextDouble();
        var transfers = _random.NextDouble() < 0.03 ? 1 : 0;
        if (outcome < 0.85)
        {
            var answered = queued.AddSeconds(Math.Min(600, Exp(15)));
            var completed = answered.AddSeconds(Math.Max(10, Exp(180)));
            var wrapped = completed.AddSeconds(5 + _random.Next(55));
            int? score = _random.NextDouble() < 0.3 ? Math.Min(5, 1 + (int)(_random.NextDouble() * 5.6)) : null;
            return new GeneratedCall(sid, started, customer, verified, choice, queue, queued, answered, "A" + _random.Next(400).ToString("D4", CultureInfo.InvariantCulture),
                null, null, completed, wrapped, Reasons[_random.Next(Reasons.Length)], _random.NextDouble() < 0.75, transfers, score, wrapped.AddSeconds(30));
        }
        if (outcome < 0.95)
        {
            var abandoned = queued.AddSeconds(Exp(40));
            return new GeneratedCall(sid, started, customer, verified, choice, queue, queued, null, null, abandoned, null, null, null, null, false, transfers, null, abandoned);
        }
        var callback = queued.AddSeconds(Exp(60));
        return new GeneratedCall(sid, started, customer, verified, choice, queue, queued, null, null, null, callback, null, null, null, false, transfers, null, callback.AddSeconds(20));
    }

    private double Exp(double mean) => -Math.Log(1 - _random.NextDouble()) * mean;

    private static async Task Nullable<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type)
    {
        if (value is null) await copy.WriteNullAsync();
        else await copy.WriteAsync(value, type);
    }
}

/// <summary>Appends events through the database's own append function, in the call-log writer's batch size.</summary>
internal sealed class NpgsqlBatchWriter(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public async Task AppendAsync(IEnumerable<(string Sid, string Type, string Key, DateTimeOffset At, string Payload, string? Caller)> events)
    {
        foreach (var batch in events.Chunk(512))
        {
            await using var insertCalls = dataSource.CreateCommand("""
                INSERT INTO calls (call_sid, account_sid, from_number, to_number, direction, status, started_at, updated_at)
                SELECT sid, 'AC0', caller, '+862100000000', 'inbound', 'completed', at, at FROM unnest(@sids, @callers, @times) AS u(sid, caller, at)
                ON CONFLICT (call_sid) DO NOTHING
                """);
            var incoming = batch.Where(e => e.Type == "call.incoming").ToArray();
            insertCalls.Parameters.AddWithValue("sids", incoming.Select(e => e.Sid).ToArray());
            insertCalls.Parameters.AddWithValue("callers", incoming.Select(e => e.Caller!).ToArray());
            insertCalls.Parameters.AddWithValue("times", incoming.Select(e => e.At).ToArray());
            await insertCalls.ExecuteNonQueryAsync();
            await using var command = dataSource.CreateCommand("SELECT count(*) FROM append_call_events(@sids, @types, @keys, @times, @payloads)");
            command.Parameters.AddWithValue("sids", batch.Select(e => e.Sid).ToArray());
            command.Parameters.AddWithValue("types", batch.Select(e => e.Type).ToArray());
            command.Parameters.AddWithValue("keys", batch.Select(e => e.Key).ToArray());
            command.Parameters.AddWithValue("times", batch.Select(e => e.At).ToArray());
            command.Parameters.AddWithValue("payloads", batch.Select(e => e.Payload).ToArray());
            await command.ExecuteScalarAsync();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
