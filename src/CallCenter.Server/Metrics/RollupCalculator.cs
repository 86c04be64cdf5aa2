using CallCenter.Core.Metrics;
using CallCenter.Server.Data;
using CallCenter.Server.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;

namespace CallCenter.Server.Metrics;

/// <summary>
/// Folds new call-log events into one <see cref="CallFacts"/> row per call, then moves the 15-minute queue, agent
/// and line rows and the daily first-call-resolution rows those calls belong to by what changed: each changed call
/// is counted out of its rows as it was and into its rows as it is now, so no interval's calls are read again.
/// A call belongs to the interval (and queue) of its first entry into the ACD, so an abandon or answer
/// arriving minutes later corrects that interval. Each batch moves the watermark in the same transaction
/// as its rows: a crash or restart repeats work but never double-counts.
/// </summary>
public sealed class RollupCalculator(CallCenterDbContext db, NpgsqlDataSource dataSource, Channels.ChannelRollups channels, TimeProvider clock)
{
    public const string WatermarkName = "call-facts";

    /// <summary>Longest repeat window FCR may be asked for; earlier contacts farther back are never linked.</summary>
    public static readonly TimeSpan MaxRepeatWindow = TimeSpan.FromDays(30);

    /// <summary>Runs until caught up; returns how many queue interval rows were written.</summary>
    public async Task<int> RunAsync(MetricsOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var rows = 0;
        while (true)
        {
            var (written, more) = await RunBatchAsync(options, ct);
            rows += written;
            if (!more) break;
        }
        await FinaliseFcrDaysAsync(options, ct);
        return rows;
    }

    /// <summary>
    /// Recomputes every row of the local days covering [from, to) from the stored call facts, one day per
    /// transaction: after a new service-level policy version (its rows are written beside the old ones) or to
    /// backfill. Each day's calls are read once; a call is assumed to reach the queue or an agent within
    /// <see cref="RebuildLookBack"/> of its start. Returns how many queue interval rows were written.
    /// </summary>
    public async Task<int> RebuildAsync(DateTimeOffset from, DateTimeOffset to, MetricsOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var zone = options.Zone;
        var interval = options.Interval;
        var written = 0;
        var days = new HashSet<DateOnly>();
        for (var day = LocalDay(from, zone); LocalMidnight(day, zone) < to; day = day.AddDays(1))
        {
            days.Add(day);
            var (dayStart, dayEnd) = DayBounds(day, zone);
            var facts = await db.CallFacts.AsNoTracking()
                .Where(f => f.StartedAt >= dayStart - RebuildLookBack && f.StartedAt < dayEnd).ToListAsync(ct);
            bool InDay((string, DateTimeOffset Start) key) => key.Start >= dayStart && key.Start < dayEnd;
            var byQueue = Group(facts, f => f.Queue, f => f.QueuedAt, interval, InDay);
            var byAgent = Group(facts, f => f.Agent, f => f.AnsweredAt, interval, InDay);
            var byLine = Group(facts, f => f.Line, f => f.StartedAt, interval, InDay);

            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var now = clock.GetUtcNow();
            await WriteQueueRowsAsync([.. byQueue.Keys], options, now, ct, byQueue);
            await WriteAgentRowsAsync(byAgent.ToDictionary(g => g.Key, g => new Moved([], g.Value)), [], add: false, now, ct);
            await WriteLineRowsAsync(byLine.ToDictionary(g => g.Key, g => new Moved([], g.Value)), add: false, now, ct);
            await channels.RefreshAsync(Connection, Transaction, [], [], (dayStart, dayEnd), interval, now, ct);
            written += byQueue.Count;
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
        }
        await WriteFcrDaysAsync(days, options, clock.GetUtcNow(), ct);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        return written;
    }

    /// <summary>How long before reaching the queue or an agent a rebuilt call may have started.</summary>
    public static readonly TimeSpan RebuildLookBack = TimeSpan.FromHours(6);

    private static Dictionary<(string, DateTimeOffset), List<CallFacts>> Group(List<CallFacts> facts, Func<CallFacts, string?> key,
        Func<CallFacts, DateTimeOffset?> at, TimeSpan interval, Func<(string, DateTimeOffset), bool> keep)
    {
        var groups = new Dictionary<(string, DateTimeOffset), List<CallFacts>>();
        foreach (var f in facts)
        {
            if (key(f) is not { } k || at(f) is not { } t) continue;
            var bucket = (k, Floor(t, interval));
            if (!keep(bucket)) continue;
            if (!groups.TryGetValue(bucket, out var list)) groups[bucket] = list = [];
            list.Add(f);
        }
        return groups;
    }

    /// <summary>Days whose repeat window has closed since they were last computed get their final figure, events or not.</summary>
    private async Task FinaliseFcrDaysAsync(MetricsOptions options, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var window = TimeSpan.FromDays(options.FcrWindowDays);
        var open = await db.FcrDailyRollups.AsNoTracking().Where(r => r.Provisional && r.WindowDays == options.FcrWindowDays)
            .Select(r => r.Day).ToListAsync(ct);
        var closed = open.Where(d => !FirstCallResolution.Provisional(DayBounds(d, options.Zone).To, window, now)).ToHashSet();
        if (closed.Count == 0) return;
        await WriteFcrDaysAsync(closed, options, now, ct);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
    }

    private async Task<(int Rows, bool More)> RunBatchAsync(MetricsOptions options, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // The interval reads are estimated far above their real few hundred rows; compiling them with JIT cost more
        // than running them (15-25 ms each at 10 M calls).
        // The commit need not wait for its WAL (several MB at 15 minutes of calls) to reach the disk: everything the batch
        // writes is derived from the call log, and the watermark moves in the same transaction, so a crash that loses this
        // commit loses all of it, never part, and the next run folds the same events again.
        await db.Database.ExecuteSqlRawAsync("SET LOCAL jit = off; SET LOCAL synchronous_commit = off", ct);
        // The row lock makes instances take turns; creating it first keeps two first runs from colliding.
        await db.Database.ExecuteSqlAsync($"INSERT INTO metrics_watermarks (name, last_global_seq, updated_at) VALUES ({WatermarkName}, 0, {clock.GetUtcNow()}) ON CONFLICT (name) DO NOTHING", ct);
        var watermark = await db.MetricsWatermarks.FromSql($"SELECT * FROM metrics_watermarks WHERE name = {WatermarkName} FOR UPDATE")
            .SingleAsync(ct);

        var (events, agentChanges, requests, lastSeq) = await ReadEventsAsync(watermark.LastGlobalSeq, options.BatchSize, ct);
        if (lastSeq == watermark.LastGlobalSeq) return (0, false);

        var sids = events.Keys.ToArray();
        var before = await db.CallFacts.AsNoTracking().Where(f => sids.Contains(f.CallSid)).ToDictionaryAsync(f => f.CallSid, ct);
        var callers = await CallerNumbersAsync([.. sids.Where(sid => !before.ContainsKey(sid))], ct);
        var changed = new List<(CallFacts? Before, CallFacts After)>();
        foreach (var (sid, callEvents) in events)
        {
            var old = before.GetValueOrDefault(sid);
            var facts = old ?? new CallFacts(sid) { CustomerKey = callers.GetValueOrDefault(sid) };
            foreach (var e in callEvents) facts = facts.Apply(e);
            if (facts != old) changed.Add((old, facts));
        }
        await WriteFactsAsync(changed, ct);
        var relinked = await LinkRepeatContactsAsync(changed, ct);

        var interval = options.Interval;
        var now = clock.GetUtcNow();
        var zone = options.Zone;
        var queueMoves = Moves(changed, f => f.Queue, f => f.QueuedAt, interval);
        var fcrChanges = FcrChanges(changed, relinked, TimeSpan.FromDays(options.FcrWindowDays), zone);

        await MoveQueueRowsAsync(queueMoves, options, now, ct);
        var agentTime = await AgentTimeChangesAsync(agentChanges, watermark.LastGlobalSeq, interval, ct);
        await WriteAgentRowsAsync(Moves(changed, f => f.Agent, f => f.AnsweredAt, interval), agentTime.Added, add: true, now, ct);
        await WriteAgentTimeAsync(agentTime.Recut, now, ct);
        await WriteLineRowsAsync(Moves(changed, f => f.Line, f => f.StartedAt, interval), add: true, now, ct);
        await AdjustFcrDaysAsync(fcrChanges, options, now, ct);
        // Surveys are answered on calls and requests alike; only a survey event can change a call's satisfaction figure.
        var surveyed = events.Where(e => e.Value.Any(v => v.Type.StartsWith("survey.", StringComparison.Ordinal))).Select(e => e.Key);
        await channels.RefreshAsync(Connection, Transaction, requests, [.. requests, .. surveyed], null, interval, now, ct);

        watermark.LastGlobalSeq = lastSeq;
        watermark.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        return (queueMoves.Count, events.Count > 0 && events.Values.Sum(e => e.Count) >= options.BatchSize);
    }

    // Agent state streams ("agent:…") are not calls: they feed the agents' time split, keyed by stream.
    private async Task<(Dictionary<string, List<CallFactEvent>> Events, Dictionary<string, List<(DateTimeOffset At, string To)>> AgentChanges,
        HashSet<string> Requests, long LastSeq)> ReadEventsAsync(long after, int batchSize, CancellationToken ct)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT global_seq, call_sid, type, occurred_at, payload::text FROM call_events
            WHERE global_seq > @after ORDER BY global_seq LIMIT @limit
            """);
        cmd.Parameters.AddWithValue("after", after);
        cmd.Parameters.AddWithValue("limit", batchSize);
        var events = new Dictionary<string, List<CallFactEvent>>(StringComparer.Ordinal);
        var agentChanges = new Dictionary<string, List<(DateTimeOffset At, string To)>>(StringComparer.Ordinal);
        var requests = new HashSet<string>(StringComparer.Ordinal);
        var last = after;
        // Payloads are read as their UTF-8 bytes into one buffer, not as a string each.
        var payloads = new PayloadReader();
        var payload = new byte[4096];
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            last = reader.GetInt64(0);
            var sid = reader.GetString(1);
            // Text requests' streams are not calls: their timeliness and surveys are rolled up from the requests themselves.
            if (Channels.ServiceRequest.IsStream(sid))
            {
                requests.Add(sid[Channels.ServiceRequest.StreamPrefix.Length..]);
                continue;
            }
            var at = reader.GetFieldValue<DateTimeOffset>(3);
            int length;
            // The row is already buffered (no sequential access), so this reads memory; the async form allocated a task per row.
            using (var stream = reader.GetStream(4))
            {
                length = (int)stream.Length;
                if (length > payload.Length) payload = new byte[Math.Max(length, payload.Length * 2)];
                stream.ReadExactly(payload, 0, length);
            }
            var fields = payloads.Read(payload.AsSpan(0, length));
            if (sid.StartsWith(AgentStreamPrefix, StringComparison.Ordinal))
            {
                if (!agentChanges.TryGetValue(sid, out var changes)) agentChanges[sid] = changes = [];
                changes.Add((at, fields.GetValueOrDefault("to") ?? ""));
                continue;
            }
            if (!events.TryGetValue(sid, out var list)) events[sid] = list = [];
            list.Add(new CallFactEvent(reader.GetString(2), at, fields));
        }
        return (events, agentChanges, requests, last);
    }

    private const string AgentStreamPrefix = "agent:";

    /// <summary>An agent interval's time split in ticks: what a batch adds to it, or (recut) what it now is.</summary>
    private sealed record AgentTicks(long Available, long Handling, long Break)
    {
        public static AgentTicks Of(AgentSeconds s) =>
            new(ExactSeconds.Ticks(s.Available), ExactSeconds.Ticks(s.Handling), ExactSeconds.Ticks(s.Break));
    }

    /// <summary>
    /// What each agent's new state changes do to their available, handling and break time per interval; occupancy follows
    /// from those. Time only counts between known changes, so when an agent's new changes all come after their last
    /// earlier one, the time they add is the span from that change on: it is added to the stored rows (one row read per
    /// agent). An agent with a change arriving late, before one already counted, has whole intervals recut instead,
    /// from the start of the earliest new change's interval, in the state the agent was in then.
    /// </summary>
    private async Task<(Dictionary<(string Agent, DateTimeOffset Start), AgentTicks> Added, Dictionary<(string Agent, DateTimeOffset Start), AgentTicks> Recut)>
        AgentTimeChangesAsync(Dictionary<string, List<(DateTimeOffset At, string To)>> newChanges, long watermark, TimeSpan interval, CancellationToken ct)
    {
        var added = new Dictionary<(string, DateTimeOffset), AgentTicks>();
        var recut = new Dictionary<(string, DateTimeOffset), AgentTicks>();
        if (newChanges.Count == 0) return (added, recut);
        var streams = newChanges.Keys.ToArray();
        // The step keys order each stream by time (AcdHost.AgentStepKeyPrefix): the last change counted so far is the
        // first one below the watermark walking the stream's index backwards.
        await using var read = Command("""
            SELECT t.stream, c.occurred_at, c.to_state FROM unnest(@streams) AS t(stream)
            CROSS JOIN LATERAL (SELECT occurred_at, payload ->> 'to' AS to_state FROM call_events
                WHERE call_sid = t.stream AND global_seq <= @watermark ORDER BY step_key DESC LIMIT 1) c
            """);
        read.Parameters.AddWithValue("streams", streams);
        read.Parameters.AddWithValue("watermark", watermark);
        var last = new Dictionary<string, (DateTimeOffset At, string To)>(StringComparer.Ordinal);
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                last[reader.GetString(0)] = (reader.GetFieldValue<DateTimeOffset>(1), reader.IsDBNull(2) ? "" : reader.GetString(2));
        }
        var late = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var (stream, changes) in newChanges)
        {
            var earliest = changes.Min(c => c.At);
            // Ties keep the log's order, as in a recut: the earlier-counted change first.
            if (last.TryGetValue(stream, out var before) && before.At > earliest)
            {
                late[stream] = earliest;
                continue;
            }
            var (state, from) = last.TryGetValue(stream, out before) ? ((string?)before.To, before.At) : (null, earliest);
            foreach (var (start, seconds) in AgentTime.PerInterval(state, changes, from, interval))
                added[(stream[AgentStreamPrefix.Length..], start)] = AgentTicks.Of(seconds);
        }
        if (late.Count > 0) await RecutAgentTimeAsync(late, interval, recut, ct);
        return (added, recut);
    }

    /// <summary>Recuts whole intervals of these agents' time from their earliest new change's interval on, reading all their changes since.</summary>
    private async Task RecutAgentTimeAsync(Dictionary<string, DateTimeOffset> earliestNewChange, TimeSpan interval,
        Dictionary<(string, DateTimeOffset), AgentTicks> recut, CancellationToken ct)
    {
        var streams = earliestNewChange.Keys.ToArray();
        var froms = streams.Select(s => Floor(earliestNewChange[s], interval)).ToArray();
        // Both reads are index ranges however long the agent's history is: the last change before the cut, then every change since.
        await using var read = Command("""
            SELECT t.stream, c.occurred_at, c.to_state FROM unnest(@streams, @froms) AS t(stream, from_key)
            CROSS JOIN LATERAL (
                (SELECT occurred_at, payload ->> 'to' AS to_state FROM call_events
                 WHERE call_sid = t.stream AND step_key < t.from_key ORDER BY step_key DESC LIMIT 1)
                UNION ALL
                (SELECT occurred_at, payload ->> 'to' FROM call_events
                 WHERE call_sid = t.stream AND step_key >= t.from_key ORDER BY call_seq)) c
            """);
        read.Parameters.AddWithValue("streams", streams);
        read.Parameters.AddWithValue("froms", froms.Select(AcdHost.AgentStepKeyPrefix).ToArray());
        var changes = streams.ToDictionary(s => s, _ => new List<(DateTimeOffset At, string To)>(), StringComparer.Ordinal);
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
                changes[reader.GetString(0)].Add((reader.GetFieldValue<DateTimeOffset>(1), reader.IsDBNull(2) ? "" : reader.GetString(2)));
        }
        for (var i = 0; i < streams.Length; i++)
        {
            var (from, agentChanges) = (froms[i], changes[streams[i]]);
            var stateAtFrom = agentChanges.Count > 0 && agentChanges[0].At < from ? agentChanges[0].To : null;
            foreach (var (start, seconds) in AgentTime.PerInterval(stateAtFrom, agentChanges.Where(c => c.At >= from), from, interval))
                recut[(streams[i][AgentStreamPrefix.Length..], start)] = AgentTicks.Of(seconds);
        }
    }

    /// <summary>Sets the recut agent intervals' time split and occupancy (their call sums are left alone).</summary>
    private async Task WriteAgentTimeAsync(Dictionary<(string Agent, DateTimeOffset Start), AgentTicks> recut, DateTimeOffset now, CancellationToken ct)
    {
        if (recut.Count == 0) return;
        await using var write = Command($"""
            INSERT INTO agent_interval_rollups (interval_start, agent, answered, completed, talk_seconds, wrapped_up,
                wrap_up_seconds, marked_resolved, available_seconds, handling_seconds, break_seconds, occupancy, computed_at)
            SELECT t.start, t.agent, 0, 0, 0, 0, 0, 0, t.available / 1e7::float8, t.handling / 1e7::float8, t.break / 1e7::float8,
                {Occupancy("t.available", "t.handling")}, @now
            FROM unnest(@start, @agent, @available, @handling, @break) AS t(start, agent, available, handling, break)
            ON CONFLICT (interval_start, agent) DO UPDATE SET available_seconds = excluded.available_seconds,
                handling_seconds = excluded.handling_seconds, break_seconds = excluded.break_seconds,
                occupancy = excluded.occupancy, computed_at = excluded.computed_at
            """);
        var p = write.Parameters;
        p.AddWithValue("start", recut.Keys.Select(k => k.Start).ToArray());
        p.AddWithValue("agent", recut.Keys.Select(k => k.Agent).ToArray());
        p.AddWithValue("available", recut.Values.Select(t => t.Available).ToArray());
        p.AddWithValue("handling", recut.Values.Select(t => t.Handling).ToArray());
        p.AddWithValue("break", recut.Values.Select(t => t.Break).ToArray());
        p.AddWithValue("now", now);
        await write.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// Occupancy (handling ÷ (handling + available), <see cref="AgentSeconds.Occupancy"/>) in SQL from two tick sums, divided
    /// as the stored seconds are, so it is the same double the C# definition gives for those seconds.
    /// </summary>
    private static string Occupancy(string availableTicks, string handlingTicks) =>
        $"CASE WHEN {availableTicks} / 1e7::float8 + {handlingTicks} / 1e7::float8 > 0 " +
        $"THEN ({handlingTicks} / 1e7::float8) / ({availableTicks} / 1e7::float8 + {handlingTicks} / 1e7::float8) END";

    private async Task<Dictionary<string, string>> CallerNumbersAsync(string[] callSids, CancellationToken ct) =>
        callSids.Length == 0 ? [] : await db.Calls.Where(c => callSids.Contains(c.CallSid)).Select(c => new { c.CallSid, c.FromNumber })
            .ToDictionaryAsync(c => c.CallSid, c => c.FromNumber, ct);

    /// <summary>
    /// Writes the changed calls: the new ones inserted, the others updated, in one round trip. The watermark's row lock
    /// makes this batch the only writer of call_facts, so the rows read before folding tell which calls exist; a plain
    /// insert skips the conflict check's extra primary-key descent per new call that an upsert pays.
    /// </summary>
    private async Task WriteFactsAsync(List<(CallFacts? Before, CallFacts After)> changed, CancellationToken ct)
    {
        if (changed.Count == 0) return;
        var inserted = changed.Where(c => c.Before is null).Select(c => c.After).ToList();
        var updated = changed.Where(c => c.Before is not null).Select(c => c.After).ToList();
        const string Columns = """
            call_sid, line, started_at, customer_key, verified, first_choice, queue, queued_at, answered_at, agent, abandoned_at,
            callback_requested_at, completed_at, wrapped_up_at, reason_family, resolved, transfers, survey_score, ended_at
            """;
        const string Rows = """
            unnest(@sid, @line, @started, @customer, @verified, @choice, @queue, @queued, @answered, @agent,
                @abandoned, @callback, @completed, @wrapped, @reason, @resolved, @transfers, @score, @ended)
            """;
        await using var batch = new NpgsqlBatch(Connection, Transaction);
        if (inserted.Count > 0)
            batch.BatchCommands.Add(FactsCommand($"INSERT INTO call_facts ({Columns}) SELECT * FROM {Rows}", inserted));
        // NextContactAt is owned by the repeat-contact linking, so the facts never overwrite it.
        if (updated.Count > 0)
            batch.BatchCommands.Add(FactsCommand($"""
                UPDATE call_facts f SET line = t.line, started_at = t.started_at, customer_key = t.customer_key, verified = t.verified,
                    first_choice = t.first_choice, queue = t.queue, queued_at = t.queued_at, answered_at = t.answered_at, agent = t.agent,
                    abandoned_at = t.abandoned_at, callback_requested_at = t.callback_requested_at, completed_at = t.completed_at,
                    wrapped_up_at = t.wrapped_up_at, reason_family = t.reason_family, resolved = t.resolved,
                    transfers = t.transfers, survey_score = t.survey_score, ended_at = t.ended_at
                FROM {Rows} AS t({Columns})
                WHERE f.call_sid = t.call_sid
                """, updated));
        await batch.ExecuteNonQueryAsync(ct);

        static NpgsqlBatchCommand FactsCommand(string sql, List<CallFacts> facts)
        {
            var command = new NpgsqlBatchCommand(sql);
            var p = command.Parameters;
            p.AddWithValue("sid", facts.Select(f => f.CallSid).ToArray());
            Text(p, "line", facts.Select(f => f.Line));
            Instant(p, "started", facts.Select(f => f.StartedAt));
            Text(p, "customer", facts.Select(f => f.CustomerKey));
            p.AddWithValue("verified", facts.Select(f => f.Verified).ToArray());
            Text(p, "choice", facts.Select(f => f.FirstChoice));
            Text(p, "queue", facts.Select(f => f.Queue));
            Instant(p, "queued", facts.Select(f => f.QueuedAt));
            Instant(p, "answered", facts.Select(f => f.AnsweredAt));
            Text(p, "agent", facts.Select(f => f.Agent));
            Instant(p, "abandoned", facts.Select(f => f.AbandonedAt));
            Instant(p, "callback", facts.Select(f => f.CallbackRequestedAt));
            Instant(p, "completed", facts.Select(f => f.CompletedAt));
            Instant(p, "wrapped", facts.Select(f => f.WrappedUpAt));
            Text(p, "reason", facts.Select(f => f.ReasonFamily));
            p.AddWithValue("resolved", facts.Select(f => f.Resolved).ToArray());
            p.AddWithValue("transfers", facts.Select(f => f.Transfers).ToArray());
            p.Add(new NpgsqlParameter<int?[]>("score", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. facts.Select(f => f.SurveyScore)] });
            Instant(p, "ended", facts.Select(f => f.EndedAt));
            return command;
        }

        // Typed arrays with null elements: an object[] with DBNull made Npgsql box each value and resolve its converter per element.
        static void Text(NpgsqlParameterCollection p, string name, IEnumerable<string?> values) =>
            p.Add(new NpgsqlParameter<string?[]>(name, NpgsqlDbType.Array | NpgsqlDbType.Varchar) { TypedValue = [.. values] });
        static void Instant(NpgsqlParameterCollection p, string name, IEnumerable<DateTimeOffset?> values) =>
            p.Add(new NpgsqlParameter<DateTimeOffset?[]>(name, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. values] });
    }

    /// <summary>A call whose next contact the linking set: enough of it to classify it before and after.</summary>
    private sealed record Relink(string CallSid, DateTimeOffset? QueuedAt, DateTimeOffset? AnsweredAt, bool Resolved,
        DateTimeOffset? OldNext, DateTimeOffset? NewNext)
    {
        public CallFacts Facts(DateTimeOffset? next) =>
            new(CallSid) { QueuedAt = QueuedAt, AnsweredAt = AnsweredAt, Resolved = Resolved, NextContactAt = next };
    }

    /// <summary>
    /// A need is known once its wrap-up names the reason family. For each newly wrapped-up need: its own next
    /// contact is the earliest later one by the same customer and reason; earlier needs within the longest window
    /// get the earliest of the new needs after them, when sooner than what they had. Needs of this batch are
    /// linked only by the first rule, so no row is updated twice in the statement. Returns every row it changed,
    /// with its next contact before and after.
    /// </summary>
    private async Task<List<Relink>> LinkRepeatContactsAsync(List<(CallFacts? Before, CallFacts After)> changed, CancellationToken ct)
    {
        var needs = changed.Where(c => c.After.WrappedUpAt is not null && c.Before?.WrappedUpAt is null && c.After.ContactAt is not null)
            .Select(c => c.After).ToList();
        if (needs.Count == 0) return [];
        // Every data-modifying part sees the rows as they were before this statement. One index range per need, from the
        // longest window before it onwards, finds both its own next contact and the earlier contacts it may be the next of.
        await using var cmd = Command("""
            WITH need AS (
                SELECT * FROM unnest(@sid, @customer, @reason, @at, @next) AS n(call_sid, customer_key, reason_family, at, next_contact_at)
            ),
            contact AS (
                -- OFFSET 0 keeps one index range per need instead of a join over the whole table.
                SELECT n.call_sid AS need_sid, n.at AS need_at, x.call_sid, x.queued_at, x.next_contact_at
                FROM need n CROSS JOIN LATERAL (
                    SELECT o.call_sid, o.queued_at, o.next_contact_at FROM call_facts o
                    WHERE o.customer_key = n.customer_key AND o.queued_at >= n.at - @window AND o.wrapped_up_at IS NOT NULL
                      AND coalesce(o.reason_family, '') = n.reason_family
                    OFFSET 0) x
            ),
            own AS (
                UPDATE call_facts f SET next_contact_at = later.at
                FROM (SELECT n.call_sid, n.next_contact_at AS old_next, min(c.queued_at) AS at
                      FROM need n LEFT JOIN contact c ON c.need_sid = n.call_sid AND c.queued_at > n.at
                      GROUP BY n.call_sid, n.next_contact_at) later
                -- Most new needs have no later contact yet: leaving their rows alone saves a row version and its index entries.
                WHERE f.call_sid = later.call_sid AND later.old_next IS DISTINCT FROM later.at
                RETURNING f.call_sid, f.queued_at, f.answered_at, f.resolved, later.old_next, f.next_contact_at AS new_next
            ),
            earlier AS (
                UPDATE call_facts e SET next_contact_at = m.at
                -- Only pairs that move a contact's next one earlier are kept: the earliest of them is the earliest of all
                -- whenever any qualifies, and most earlier contacts already have a sooner one, so they are never revisited.
                FROM (SELECT c.call_sid, min(c.next_contact_at) AS old_next, min(c.need_at) AS at
                      FROM contact c
                      WHERE c.queued_at < c.need_at AND (c.next_contact_at IS NULL OR c.next_contact_at > c.need_at)
                        AND c.call_sid NOT IN (SELECT call_sid FROM need)
                      GROUP BY c.call_sid) m
                WHERE e.call_sid = m.call_sid
                RETURNING e.call_sid, e.queued_at, e.answered_at, e.resolved, m.old_next, e.next_contact_at AS new_next
            )
            SELECT * FROM own UNION ALL SELECT * FROM earlier
            """);
        cmd.Parameters.AddWithValue("sid", needs.Select(f => f.CallSid).ToArray());
        cmd.Parameters.AddWithValue("customer", needs.Select(f => f.CustomerKey ?? f.CallSid).ToArray());
        cmd.Parameters.AddWithValue("reason", needs.Select(f => f.ReasonFamily ?? "").ToArray());
        cmd.Parameters.AddWithValue("at", needs.Select(f => f.ContactAt!.Value).ToArray());
        // The upsert never writes next_contact_at, so a need's stored next contact is still the one it had before this batch.
        cmd.Parameters.Add(new NpgsqlParameter<DateTimeOffset?[]>("next", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
            { TypedValue = [.. needs.Select(f => f.NextContactAt)] });
        cmd.Parameters.AddWithValue("window", MaxRepeatWindow);
        var relinked = new List<Relink>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : reader.GetFieldValue<DateTimeOffset>(i);
            relinked.Add(new Relink(reader.GetString(0), At(1), At(2), reader.GetBoolean(3), At(4), At(5)));
        }
        return relinked;
    }

    /// <summary>
    /// What this batch changed in each day's FCR counts: every changed or relinked call is counted out as it was
    /// and in as it is now. Adding these to a provisional day keeps it equal to a recount without reading the day.
    /// </summary>
    private static Dictionary<DateOnly, (int Needs, int Resolved)> FcrChanges(
        List<(CallFacts? Before, CallFacts After)> changed, List<Relink> relinked, TimeSpan window, TimeZoneInfo zone)
    {
        var deltas = new Dictionary<DateOnly, (int Needs, int Resolved)>();
        void Count(CallFacts? f, int sign)
        {
            // The same membership as the recount: answered, by the local day it was queued.
            if (f is not { AnsweredAt: not null, QueuedAt: { } queued }) return;
            var day = LocalDay(queued, zone);
            var (needs, resolved) = deltas.GetValueOrDefault(day);
            deltas[day] = (needs + sign, resolved + (f.ResolvedFirstTime(window) ? sign : 0));
        }
        var links = relinked.ToDictionary(r => r.CallSid, StringComparer.Ordinal);
        foreach (var (before, after) in changed)
        {
            Count(before, -1);
            var next = links.Remove(after.CallSid, out var link) ? link.NewNext : before?.NextContactAt;
            Count(after with { NextContactAt = next }, +1);
        }
        foreach (var link in links.Values)
        {
            Count(link.Facts(link.OldNext), -1);
            Count(link.Facts(link.NewNext), +1);
        }
        return deltas;
    }

    /// <summary>The calls a batch takes out of a row (as they were) and puts into it (as they are now).</summary>
    private sealed record Moved(List<CallFacts> Out, List<CallFacts> In);

    private static Dictionary<(string Key, DateTimeOffset Start), Moved> Moves(IEnumerable<(CallFacts? Before, CallFacts After)> changed,
        Func<CallFacts, string?> key, Func<CallFacts, DateTimeOffset?> at, TimeSpan interval)
    {
        var moves = new Dictionary<(string, DateTimeOffset), Moved>();
        Moved Row(CallFacts f)
        {
            var row = (key(f)!, Floor(at(f)!.Value, interval));
            if (!moves.TryGetValue(row, out var moved)) moves[row] = moved = new Moved([], []);
            return moved;
        }
        foreach (var (before, after) in changed)
        {
            if (before is not null && key(before) is not null && at(before) is not null) Row(before).Out.Add(before);
            if (key(after) is not null && at(after) is not null) Row(after).In.Add(after);
        }
        return moves;
    }

    /// <summary>
    /// Moves each touched queue row by its calls out and in; an interval no row of any version holds yet had no calls, so
    /// it starts from nothing. A row only an older policy version holds, or whose longest wait may have left with a
    /// changed call, is recounted from its interval's calls instead.
    /// </summary>
    private async Task MoveQueueRowsAsync(Dictionary<(string Queue, DateTimeOffset Start), Moved> moves, MetricsOptions options, DateTimeOffset now,
        CancellationToken ct)
    {
        if (moves.Count == 0) return;
        var policy = options.Policy;
        var rows = await QueueRowsAsync([.. moves.Keys], version: null, ct);
        var existing = rows.Where(r => r.PolicyVersion == policy.Version).ToDictionary(r => (r.Queue, r.IntervalStart));
        var counted = rows.Select(r => (r.Queue, r.IntervalStart)).ToHashSet();
        var recount = new HashSet<(string Queue, DateTimeOffset Start)>();
        foreach (var (key, moved) in moves)
        {
            var row = existing.GetValueOrDefault(key);
            var totals = row is null && counted.Contains(key) ? null : (row is null ? QueueTotals.Zero : QueueReport.Totals(row)).Replace(
                QueueTotals.From(moved.Out, policy, options.SatisfiedFrom), QueueTotals.From(moved.In, policy, options.SatisfiedFrom));
            if (totals is null)
            {
                recount.Add(key);
                continue;
            }
            if (row is null)
            {
                row = new QueueIntervalRollup { IntervalStart = key.Start, Queue = key.Queue, PolicyVersion = policy.Version, Definition = policy.Definition };
                db.QueueIntervalRollups.Add(row);
            }
            QueueReport.Fill(row, totals, policy);
            row.ComputedAt = now;
        }
        await WriteQueueRowsAsync(recount, options, now, ct);
    }

    /// <summary>The rows of these queue intervals under one policy version, or under every version when null.</summary>
    private async Task<List<QueueIntervalRollup>> QueueRowsAsync(List<(string Queue, DateTimeOffset Start)> keys, int? version, CancellationToken ct)
    {
        var queues = keys.Select(k => k.Queue).Distinct().ToList();
        var starts = keys.Select(k => k.Start).Distinct().ToList();
        // Tracked: a row already read by the move keeps its state when a recount reads it again.
        var rows = await db.QueueIntervalRollups.Where(r => (version == null || r.PolicyVersion == version) && queues.Contains(r.Queue)
            && starts.Contains(r.IntervalStart)).ToListAsync(ct);
        var wanted = keys.ToHashSet();
        return [.. rows.Where(r => wanted.Contains((r.Queue, r.IntervalStart)))];
    }

    private async Task WriteQueueRowsAsync(HashSet<(string Queue, DateTimeOffset Start)> keys, MetricsOptions options, DateTimeOffset now,
        CancellationToken ct, Dictionary<(string, DateTimeOffset), List<CallFacts>>? read = null)
    {
        if (keys.Count == 0) return;
        var policy = options.Policy;
        var facts = read ?? await QueueFactsAsync(keys, options.Interval, ct);
        var existing = (await QueueRowsAsync([.. keys], policy.Version, ct)).ToDictionary(r => (r.Queue, r.IntervalStart));
        foreach (var key in keys)
        {
            var totals = QueueTotals.From(facts.GetValueOrDefault(key) ?? [], policy, options.SatisfiedFrom);
            if (!existing.TryGetValue(key, out var row))
            {
                row = new QueueIntervalRollup { IntervalStart = key.Start, Queue = key.Queue, PolicyVersion = policy.Version, Definition = policy.Definition };
                db.QueueIntervalRollups.Add(row);
            }
            QueueReport.Fill(row, totals, policy);
            row.ComputedAt = now;
        }
    }

    /// <summary>
    /// One statement for all touched agent intervals: a refresh touches a row per agent who answered or changed state
    /// (hundreds), and tracking each through the change tracker cost more than computing them. With <paramref name="add"/>
    /// the rows move by each key's calls out and in (an agent row holds only sums); without, they are set from the calls in.
    /// The time each agent's new state changes add (<paramref name="time"/>) is added in the same statement; a row whose
    /// time did not move keeps its time split and occupancy as they were.
    /// </summary>
    private async Task WriteAgentRowsAsync(Dictionary<(string Agent, DateTimeOffset Start), Moved> moves,
        Dictionary<(string Agent, DateTimeOffset Start), AgentTicks> time, bool add, DateTimeOffset now, CancellationToken ct)
    {
        var sums = moves.ToDictionary(m => m.Key, m => AgentSums.Of(m.Value.In).Minus(AgentSums.Of(m.Value.Out)));
        var noTime = new AgentTicks(0, 0, 0);
        var rows = sums.Keys.Union(time.Keys)
            .Select(key => (Key: key, Sums: sums.GetValueOrDefault(key) ?? AgentSums.Zero, Time: time.GetValueOrDefault(key) ?? noTime))
            // A re-folded call that kept its agent and interval figures (a survey answer, a status callback) moves nothing.
            .Where(r => !add || r.Sums != AgentSums.Zero || r.Time != noTime).ToList();
        if (rows.Count == 0) return;
        // Durations travel as ticks and are added as ticks, so a moved row equals a recount bit for bit (see ExactSeconds).
        const string Stored = "agent_interval_rollups";
        string Added(string column) => $"round({Stored}.{column} * 1e7::float8) + round(excluded.{column} * 1e7::float8)";
        const string TimeMoved = "(excluded.available_seconds <> 0 OR excluded.handling_seconds <> 0 OR excluded.break_seconds <> 0)";
        await using var cmd = Command($"""
            INSERT INTO agent_interval_rollups (interval_start, agent, answered, completed, talk_seconds, wrapped_up,
                wrap_up_seconds, marked_resolved, available_seconds, handling_seconds, break_seconds, occupancy, computed_at)
            SELECT t.start, t.agent, t.answered, t.completed, t.talk / 1e7::float8, t.wrapped, t.wrap / 1e7::float8, t.resolved,
                t.available / 1e7::float8, t.handling / 1e7::float8, t.break / 1e7::float8, {Occupancy("t.available", "t.handling")}, @now
            FROM unnest(@start, @agent, @answered, @completed, @talk, @wrapped, @wrap, @resolved, @available, @handling, @break)
                AS t(start, agent, answered, completed, talk, wrapped, wrap, resolved, available, handling, break)
            ON CONFLICT (interval_start, agent) DO UPDATE SET
                answered = excluded.answered + CASE WHEN @add THEN {Stored}.answered ELSE 0 END,
                completed = excluded.completed + CASE WHEN @add THEN {Stored}.completed ELSE 0 END,
                talk_seconds = (round(excluded.talk_seconds * 1e7::float8)
                    + CASE WHEN @add THEN round({Stored}.talk_seconds * 1e7::float8) ELSE 0 END) / 1e7::float8,
                wrapped_up = excluded.wrapped_up + CASE WHEN @add THEN {Stored}.wrapped_up ELSE 0 END,
                wrap_up_seconds = (round(excluded.wrap_up_seconds * 1e7::float8)
                    + CASE WHEN @add THEN round({Stored}.wrap_up_seconds * 1e7::float8) ELSE 0 END) / 1e7::float8,
                marked_resolved = excluded.marked_resolved + CASE WHEN @add THEN {Stored}.marked_resolved ELSE 0 END,
                available_seconds = CASE WHEN {TimeMoved} THEN ({Added("available_seconds")}) / 1e7::float8 ELSE {Stored}.available_seconds END,
                handling_seconds = CASE WHEN {TimeMoved} THEN ({Added("handling_seconds")}) / 1e7::float8 ELSE {Stored}.handling_seconds END,
                break_seconds = CASE WHEN {TimeMoved} THEN ({Added("break_seconds")}) / 1e7::float8 ELSE {Stored}.break_seconds END,
                occupancy = CASE WHEN {TimeMoved} THEN {Occupancy($"({Added("available_seconds")})", $"({Added("handling_seconds")})")}
                    ELSE {Stored}.occupancy END,
                computed_at = excluded.computed_at
            """);
        var p = cmd.Parameters;
        p.AddWithValue("start", rows.Select(r => r.Key.Start).ToArray());
        p.AddWithValue("agent", rows.Select(r => r.Key.Agent).ToArray());
        p.AddWithValue("answered", rows.Select(r => r.Sums.Answered).ToArray());
        p.AddWithValue("completed", rows.Select(r => r.Sums.Completed).ToArray());
        p.AddWithValue("talk", rows.Select(r => r.Sums.TalkTicks).ToArray());
        p.AddWithValue("wrapped", rows.Select(r => r.Sums.WrappedUp).ToArray());
        p.AddWithValue("wrap", rows.Select(r => r.Sums.WrapUpTicks).ToArray());
        p.AddWithValue("resolved", rows.Select(r => r.Sums.MarkedResolved).ToArray());
        p.AddWithValue("available", rows.Select(r => r.Time.Available).ToArray());
        p.AddWithValue("handling", rows.Select(r => r.Time.Handling).ToArray());
        p.AddWithValue("break", rows.Select(r => r.Time.Break).ToArray());
        p.AddWithValue("add", add);
        p.AddWithValue("now", now);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>An agent row's sums over some calls; durations in ticks.</summary>
    private sealed record AgentSums(int Answered, int Completed, long TalkTicks, int WrappedUp, long WrapUpTicks, int MarkedResolved)
    {
        public static AgentSums Zero { get; } = new(0, 0, 0, 0, 0, 0);

        public static AgentSums Of(List<CallFacts> calls) => calls.Count == 0 ? Zero : new(calls.Count,
            calls.Count(c => c.TalkTime is not null), calls.Sum(c => c.TalkTime?.Ticks ?? 0),
            calls.Count(c => c.WrappedUpAt is not null), calls.Sum(c => c.WrapUpTime?.Ticks ?? 0),
            calls.Count(c => c.WrappedUpAt is not null && c.Resolved));

        public AgentSums Minus(AgentSums o) => new(Answered - o.Answered, Completed - o.Completed, TalkTicks - o.TalkTicks,
            WrappedUp - o.WrappedUp, WrapUpTicks - o.WrapUpTicks, MarkedResolved - o.MarkedResolved);
    }

    /// <summary>
    /// With <paramref name="add"/> each touched line row moves by its calls out and in (a line row holds only counts);
    /// without, it is set from the calls in.
    /// </summary>
    private async Task WriteLineRowsAsync(Dictionary<(string Line, DateTimeOffset Start), Moved> moves, bool add, DateTimeOffset now, CancellationToken ct)
    {
        if (moves.Count == 0) return;
        var lines = moves.Keys.Select(k => k.Line).Distinct().ToList();
        var starts = moves.Keys.Select(k => k.Start).Distinct().ToList();
        var existing = await db.LineIntervalRollups.Where(r => lines.Contains(r.Line) && starts.Contains(r.IntervalStart))
            .ToDictionaryAsync(r => (r.Line, r.IntervalStart), ct);
        foreach (var (key, moved) in moves)
        {
            if (!existing.TryGetValue(key, out var row))
            {
                row = new LineIntervalRollup { IntervalStart = key.Start, Line = key.Line };
                db.LineIntervalRollups.Add(row);
            }
            if (!add) (row.Calls, row.SelfServiceOnly, row.TransferredToAgent, row.AnsweredByAgent) = (0, 0, 0, 0);
            Count(row, moved.Out, -1);
            Count(row, moved.In, +1);
            row.ComputedAt = now;
        }
    }

    private static void Count(LineIntervalRollup row, List<CallFacts> calls, int sign)
    {
        row.Calls += sign * calls.Count;
        row.SelfServiceOnly += sign * calls.Count(c => c.QueuedAt is null && c.EndedAt is not null);
        row.TransferredToAgent += sign * calls.Count(c => c.QueuedAt is not null);
        row.AnsweredByAgent += sign * calls.Count(c => c.AnsweredAt is not null);
        row.ConnectRate = row.TransferredToAgent == 0 ? null : (double)row.AnsweredByAgent / row.TransferredToAgent;
    }

    /// <summary>
    /// Applies a batch's changes to the day rows still provisional, without reading the days' calls; a day not
    /// seen yet, or whose window has closed since, is recounted; a final day stays as published.
    /// </summary>
    private async Task AdjustFcrDaysAsync(Dictionary<DateOnly, (int Needs, int Resolved)> changes, MetricsOptions options, DateTimeOffset now,
        CancellationToken ct)
    {
        var days = changes.Keys.ToList();
        if (days.Count == 0) return;
        var window = TimeSpan.FromDays(options.FcrWindowDays);
        var existing = await db.FcrDailyRollups.Where(r => r.WindowDays == options.FcrWindowDays && days.Contains(r.Day)).ToDictionaryAsync(r => r.Day, ct);
        var recount = new HashSet<DateOnly>();
        foreach (var (day, (needs, resolved)) in changes)
        {
            if (!existing.TryGetValue(day, out var row) || !FirstCallResolution.Provisional(DayBounds(day, options.Zone).To, window, now))
            {
                recount.Add(day);
                continue;
            }
            if (!row.Provisional || (needs == 0 && resolved == 0)) continue;
            var figure = FirstCallResolution.Figure(row.Needs + needs, row.ResolvedFirstTime + resolved, provisional: true, window);
            (row.Needs, row.ResolvedFirstTime, row.Rate, row.ComputedAt) = (figure.Needs, figure.ResolvedFirstTime, figure.Rate, now);
        }
        await WriteFcrDaysAsync(recount, options, now, ct);
    }

    /// <summary>Recomputes the day rows still open; a final day (its window closed at the last computation) stays as published.</summary>
    private async Task WriteFcrDaysAsync(HashSet<DateOnly> days, MetricsOptions options, DateTimeOffset now, CancellationToken ct)
    {
        if (days.Count == 0) return;
        var windowDays = options.FcrWindowDays;
        var window = TimeSpan.FromDays(windowDays);
        var existing = await db.FcrDailyRollups.Where(r => r.WindowDays == windowDays && days.Contains(r.Day)).ToDictionaryAsync(r => r.Day, ct);
        foreach (var day in days)
        {
            if (existing.TryGetValue(day, out var row) && !row.Provisional) continue;
            var (from, to) = DayBounds(day, options.Zone);
            var figure = await QueueReport.FirstCallResolutionAsync(db, from, to, window, now, ct);
            if (row is null)
            {
                row = new FcrDailyRollup { Day = day, WindowDays = windowDays, Definition = figure.Definition };
                db.FcrDailyRollups.Add(row);
            }
            (row.Needs, row.ResolvedFirstTime, row.Rate, row.Provisional, row.Definition, row.ComputedAt) =
                (figure.Needs, figure.ResolvedFirstTime, figure.Rate, figure.Provisional, figure.Definition, now);
        }
    }

    /// <summary>The facts of each (queue, interval) pair, read in one statement through the queue's time index.</summary>
    private async Task<Dictionary<(string, DateTimeOffset), List<CallFacts>>> QueueFactsAsync(
        HashSet<(string Queue, DateTimeOffset Start)> keys, TimeSpan interval, CancellationToken ct)
    {
        // OFFSET 0 keeps the planner from flattening the lateral subquery into a hash join over the whole table: one index
        // range per key.
        var facts = await db.CallFacts.FromSqlRaw("""
            SELECT f.* FROM unnest(@queues, @starts) AS t(k, s)
            CROSS JOIN LATERAL (
                SELECT * FROM call_facts c WHERE c.queue = t.k AND c.queued_at >= t.s AND c.queued_at < t.s + @interval
                OFFSET 0) f
            """, new NpgsqlParameter("queues", keys.Select(k => k.Queue).ToArray()), new NpgsqlParameter("starts", keys.Select(k => k.Start).ToArray()),
            new NpgsqlParameter("interval", interval)).AsNoTracking().ToListAsync(ct);
        return Group(facts, f => f.Queue, f => f.QueuedAt, interval, _ => true);
    }

    // Statements inside the batch's transaction, on the context's own connection.
    private NpgsqlCommand Command(string sql) => new(sql, Connection, Transaction);

    private NpgsqlConnection Connection => (NpgsqlConnection)db.Database.GetDbConnection();

    private NpgsqlTransaction Transaction => (NpgsqlTransaction)db.Database.CurrentTransaction!.GetDbTransaction();

    internal static DateTimeOffset Floor(DateTimeOffset at, TimeSpan interval) =>
        new(at.UtcTicks - at.UtcTicks % interval.Ticks, TimeSpan.Zero);

    public static DateOnly LocalDay(DateTimeOffset at, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);

    /// <summary>A local day's UTC bounds; 23 or 25 hours long across a daylight-saving change.</summary>
    public static (DateTimeOffset From, DateTimeOffset To) DayBounds(DateOnly day, TimeZoneInfo zone) =>
        (LocalMidnight(day, zone), LocalMidnight(day.AddDays(1), zone));

    public static DateTimeOffset LocalMidnight(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // Where midnight itself is skipped by a DST jump, the day starts at the first valid local instant.
        while (zone.IsInvalidTime(local)) local = local.AddMinutes(15);
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }
}
