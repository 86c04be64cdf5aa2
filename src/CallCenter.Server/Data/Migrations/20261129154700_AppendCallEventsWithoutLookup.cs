using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <summary>
    /// Cheaper appends to call_events. append_call_events no longer looks every entry up in the (call_sid, step_key) index
    /// before inserting: it inserts optimistically and lets that unique index find a replay of a stored event (rare: Twilio's
    /// retries, a spooled write that had committed), and only then numbers the batch again against the stored events. It looks
    /// each call's last number up once per call in the batch, not once per event. Same signature, numbers and hash chain.
    /// ix_call_events_occurred_at goes: no query reads events by time alone (reports use (type, occurred_at)), and every event
    /// paid for its entry.
    /// </summary>
    public partial class AppendCallEventsWithoutLookup : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_call_events_occurred_at",
                table: "call_events");

            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION append_call_events(
                    p_sids text[], p_types text[], p_keys text[], p_times timestamptz[], p_payloads text[])
                RETURNS TABLE(idx int, global_seq bigint, call_seq int, appended boolean)
                LANGUAGE plpgsql
                -- The batch query's plan does not depend on the arrays passed in; planned anew for each batch it cost more than running it.
                SET plan_cache_mode = force_generic_plan
                AS $$
                DECLARE
                    n int := coalesce(array_length(p_sids, 1), 0);
                    v_seq0 bigint;
                    v_hash0 bytea;
                    v_seq bigint;
                    v_hash bytea;
                    v_out_seq bigint[];
                    v_out_call int[];
                    v_out_new boolean[];
                    ins_idx int[];
                    ins_seq bigint[];
                    ins_call int[];
                    ins_prev bytea[];
                    ins_hash bytea[];
                    m int;
                    v_lookup boolean := false;
                    r record;
                BEGIN
                    PERFORM pg_advisory_xact_lock(18930619393003335);
                    SELECT e.global_seq, e.hash INTO v_seq0, v_hash0 FROM call_events e ORDER BY e.global_seq DESC LIMIT 1;
                    IF v_seq0 IS NULL THEN
                        v_seq0 := 0;
                        v_hash0 := decode(repeat('00', 32), 'hex');
                    END IF;
                    -- At most twice: first without looking the entries up, then, if the insert met a stored event, against the stored events.
                    LOOP
                        v_seq := v_seq0; v_hash := v_hash0; m := 0;
                        v_out_seq := array_fill(NULL::bigint, ARRAY[n]);
                        v_out_call := array_fill(NULL::int, ARRAY[n]);
                        v_out_new := array_fill(false, ARRAY[n]);
                        ins_idx := '{}'; ins_seq := '{}'; ins_call := '{}'; ins_prev := '{}'; ins_hash := '{}';
                        -- In batch order, each entry with the batch's first entry for the same (call, step), the stored event of that pair
                        -- (looked up only on the second pass), and, for an entry that is new, its number within its call.
                        FOR r IN
                            WITH b AS (
                                SELECT b.i, b.sid, b.key, min(b.i) OVER (PARTITION BY b.sid, b.key) AS first_i
                                FROM unnest(p_sids, p_keys) WITH ORDINALITY AS b(sid, key, i)),
                            stored AS (
                                SELECT b.i, e.global_seq AS g, e.call_seq AS c
                                FROM b JOIN call_events e ON e.call_sid = b.sid AND e.step_key = b.key
                                WHERE v_lookup AND b.first_i = b.i),
                            heads AS (
                                SELECT s.sid, (SELECT max(e.call_seq) FROM call_events e WHERE e.call_sid = s.sid) AS last
                                FROM (SELECT DISTINCT b.sid FROM b) s),
                            fresh AS (
                                SELECT b.i, (coalesce(h.last, 0) + row_number() OVER (PARTITION BY b.sid ORDER BY b.i))::int AS c
                                FROM b JOIN heads h ON h.sid = b.sid LEFT JOIN stored s ON s.i = b.i
                                WHERE b.first_i = b.i AND s.i IS NULL)
                            SELECT b.i::int AS i, b.first_i::int AS first_i, s.g, s.c, f.c AS new_c
                            FROM b LEFT JOIN stored s ON s.i = b.first_i LEFT JOIN fresh f ON f.i = b.i
                            ORDER BY b.i
                        LOOP
                            IF r.g IS NOT NULL THEN
                                v_out_seq[r.i] := r.g;
                                v_out_call[r.i] := r.c;
                            ELSIF r.new_c IS NULL THEN
                                -- A second delivery inside this batch is a duplicate of the first.
                                v_out_seq[r.i] := v_out_seq[r.first_i];
                                v_out_call[r.i] := v_out_call[r.first_i];
                            ELSE
                                v_seq := v_seq + 1;
                                m := m + 1;
                                ins_prev[m] := v_hash;
                                -- Each text field as call_event_field encodes it, written out here: a SQL function call per field is planned each time.
                                v_hash := sha256(
                                    int8send(v_seq)
                                    || int4send(octet_length(convert_to(p_sids[r.i], 'UTF8'))) || convert_to(p_sids[r.i], 'UTF8')
                                    || int8send(r.new_c::bigint)
                                    || int4send(octet_length(convert_to(p_types[r.i], 'UTF8'))) || convert_to(p_types[r.i], 'UTF8')
                                    || int4send(octet_length(convert_to(p_keys[r.i], 'UTF8'))) || convert_to(p_keys[r.i], 'UTF8')
                                    || int8send((extract(epoch FROM p_times[r.i]) * 1000000)::bigint)
                                    || int4send(octet_length(convert_to(p_payloads[r.i], 'UTF8'))) || convert_to(p_payloads[r.i], 'UTF8')
                                    || v_hash);
                                ins_idx[m] := r.i;
                                ins_seq[m] := v_seq;
                                ins_call[m] := r.new_c;
                                ins_hash[m] := v_hash;
                                v_out_seq[r.i] := v_seq;
                                v_out_call[r.i] := r.new_c;
                                v_out_new[r.i] := true;
                            END IF;
                        END LOOP;
                        BEGIN
                            INSERT INTO call_events (global_seq, call_sid, call_seq, type, step_key, occurred_at, payload, prev_hash, hash)
                            SELECT x.g, p_sids[x.i], x.c, p_types[x.i], p_keys[x.i], p_times[x.i], p_payloads[x.i]::json, x.prev, x.h
                            FROM unnest(ins_seq, ins_call, ins_idx, ins_prev, ins_hash) AS x(g, c, i, prev, h);
                            EXIT;
                        -- Only the (call_sid, step_key) index can refuse a row here: numbers are taken under the chain lock.
                        EXCEPTION WHEN unique_violation THEN
                            IF v_lookup THEN RAISE; END IF;
                            v_lookup := true;
                        END;
                    END LOOP;
                    RETURN QUERY SELECT o.i::int, o.g, o.c, o.fresh
                        FROM unnest(v_out_seq, v_out_call, v_out_new) WITH ORDINALITY AS o(g, c, fresh, i);
                END $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_call_events_occurred_at",
                table: "call_events",
                column: "occurred_at");

            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION append_call_events(
                    p_sids text[], p_types text[], p_keys text[], p_times timestamptz[], p_payloads text[])
                RETURNS TABLE(idx int, global_seq bigint, call_seq int, appended boolean)
                LANGUAGE plpgsql
                -- The batch query's plan does not depend on the arrays passed in; planned anew for each batch it cost more than running it.
                SET plan_cache_mode = force_generic_plan
                AS $$
                DECLARE
                    n int := coalesce(array_length(p_sids, 1), 0);
                    v_seq bigint;
                    v_hash bytea;
                    v_out_seq bigint[] := array_fill(NULL::bigint, ARRAY[n]);
                    v_out_call int[] := array_fill(NULL::int, ARRAY[n]);
                    v_out_new boolean[] := array_fill(false, ARRAY[n]);
                    ins_idx int[] := '{}';
                    ins_seq bigint[] := '{}';
                    ins_call int[] := '{}';
                    ins_prev bytea[] := '{}';
                    ins_hash bytea[] := '{}';
                    m int := 0;
                    r record;
                BEGIN
                    PERFORM pg_advisory_xact_lock(18930619393003335);
                    SELECT e.global_seq, e.hash INTO v_seq, v_hash FROM call_events e ORDER BY e.global_seq DESC LIMIT 1;
                    IF v_seq IS NULL THEN
                        v_seq := 0;
                        v_hash := decode(repeat('00', 32), 'hex');
                    END IF;

                    -- In batch order, each entry with the stored event of its (call, step) if there is one, the batch's first entry for
                    -- the same pair, and, for an entry that is new, its number within its call.
                    FOR r IN
                        WITH u AS (
                            SELECT b.i, b.sid, e.global_seq AS g, e.call_seq AS c, min(b.i) OVER (PARTITION BY b.sid, b.key) AS first_i
                            FROM unnest(p_sids, p_keys) WITH ORDINALITY AS b(sid, key, i)
                            LEFT JOIN call_events e ON e.call_sid = b.sid AND e.step_key = b.key),
                        fresh AS (
                            SELECT u.i, (coalesce(l.last, 0) + row_number() OVER (PARTITION BY u.sid ORDER BY u.i))::int AS c
                            FROM u
                            LEFT JOIN LATERAL (SELECT max(e.call_seq) AS last FROM call_events e WHERE e.call_sid = u.sid) l ON true
                            WHERE u.g IS NULL AND u.first_i = u.i)
                        SELECT u.i::int AS i, u.first_i::int AS first_i, u.g, u.c, f.c AS new_c
                        FROM u LEFT JOIN fresh f ON f.i = u.i
                        ORDER BY u.i
                    LOOP
                        IF r.g IS NOT NULL THEN
                            v_out_seq[r.i] := r.g;
                            v_out_call[r.i] := r.c;
                        ELSIF r.new_c IS NULL THEN
                            -- A second delivery inside this batch is a duplicate of the first.
                            v_out_seq[r.i] := v_out_seq[r.first_i];
                            v_out_call[r.i] := v_out_call[r.first_i];
                        ELSE
                            v_seq := v_seq + 1;
                            m := m + 1;
                            ins_prev[m] := v_hash;
                            -- Each text field as call_event_field encodes it, written out here: a SQL function call per field is planned each time.
                            v_hash := sha256(
                                int8send(v_seq)
                                || int4send(octet_length(convert_to(p_sids[r.i], 'UTF8'))) || convert_to(p_sids[r.i], 'UTF8')
                                || int8send(r.new_c::bigint)
                                || int4send(octet_length(convert_to(p_types[r.i], 'UTF8'))) || convert_to(p_types[r.i], 'UTF8')
                                || int4send(octet_length(convert_to(p_keys[r.i], 'UTF8'))) || convert_to(p_keys[r.i], 'UTF8')
                                || int8send((extract(epoch FROM p_times[r.i]) * 1000000)::bigint)
                                || int4send(octet_length(convert_to(p_payloads[r.i], 'UTF8'))) || convert_to(p_payloads[r.i], 'UTF8')
                                || v_hash);
                            ins_idx[m] := r.i;
                            ins_seq[m] := v_seq;
                            ins_call[m] := r.new_c;
                            ins_hash[m] := v_hash;
                            v_out_seq[r.i] := v_seq;
                            v_out_call[r.i] := r.new_c;
                            v_out_new[r.i] := true;
                        END IF;
                    END LOOP;

                    INSERT INTO call_events (global_seq, call_sid, call_seq, type, step_key, occurred_at, payload, prev_hash, hash)
                    SELECT x.g, p_sids[x.i], x.c, p_types[x.i], p_keys[x.i], p_times[x.i], p_payloads[x.i]::json, x.prev, x.h
                    FROM unnest(ins_seq, ins_call, ins_idx, ins_prev, ins_hash) AS x(g, c, i, prev, h);

                    RETURN QUERY SELECT o.i::int, o.g, o.c, o.fresh
                        FROM unnest(v_out_seq, v_out_call, v_out_new) WITH ORDINALITY AS o(g, c, fresh, i);
                END $$;
                """);
        }
    }
}
