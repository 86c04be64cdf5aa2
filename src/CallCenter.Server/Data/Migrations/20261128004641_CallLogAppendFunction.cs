using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class CallLogAppendFunction : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The call log's writer: one round trip appends a batch under the chain lock, numbering each
            // event globally and per call, skipping (call, step) pairs already there, and chaining each row
            // to the one before by SHA-256 over exactly the bytes CallEventHash.Compute hashes in C#.
            migrationBuilder.Sql("""
                CREATE FUNCTION call_event_field(t text) RETURNS bytea
                    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
                    AS $$ SELECT int4send(octet_length(convert_to(t, 'UTF8'))) || convert_to(t, 'UTF8') $$;

                CREATE FUNCTION append_call_events(
                    p_sids text[], p_types text[], p_keys text[], p_times timestamptz[], p_payloads text[])
                RETURNS TABLE(idx int, global_seq bigint, call_seq int, appended boolean)
                LANGUAGE plpgsql AS $$
                DECLARE
                    v_seq bigint;
                    v_hash bytea;
                    v_call_seq int;
                    v_found_seq bigint;
                    v_found_call_seq int;
                    v_new_hash bytea;
                BEGIN
                    -- Same lock id as before any other chain writer; held until this transaction ends.
                    PERFORM pg_advisory_xact_lock(18930619393003335);
                    SELECT e.global_seq, e.hash INTO v_seq, v_hash FROM call_events e ORDER BY e.global_seq DESC LIMIT 1;
                    IF v_seq IS NULL THEN
                        v_seq := 0;
                        v_hash := decode(repeat('00', 32), 'hex');
                    END IF;
                    FOR i IN 1 .. coalesce(array_length(p_sids, 1), 0) LOOP
                        SELECT e.global_seq, e.call_seq INTO v_found_seq, v_found_call_seq
                            FROM call_events e WHERE e.call_sid = p_sids[i] AND e.step_key = p_keys[i];
                        IF FOUND THEN
                            idx := i; global_seq := v_found_seq; call_seq := v_found_call_seq; appended := false;
                            RETURN NEXT;
                            CONTINUE;
                        END IF;
                        SELECT coalesce(max(e.call_seq), 0) + 1 INTO v_call_seq FROM call_events e WHERE e.call_sid = p_sids[i];
                        v_seq := v_seq + 1;
                        v_new_hash := sha256(
                            int8send(v_seq) || call_event_field(p_sids[i]) || int8send(v_call_seq::bigint)
                            || call_event_field(p_types[i]) || call_event_field(p_keys[i])
                            || int8send((extract(epoch FROM p_times[i]) * 1000000)::bigint)
                            || call_event_field(p_payloads[i]) || v_hash);
                        INSERT INTO call_events (global_seq, call_sid, call_seq, type, step_key, occurred_at, payload, prev_hash, hash)
                            VALUES (v_seq, p_sids[i], v_call_seq, p_types[i], p_keys[i], p_times[i], p_payloads[i]::json, v_hash, v_new_hash);
                        v_hash := v_new_hash;
                        idx := i; global_seq := v_seq; call_seq := v_call_seq; appended := true;
                        RETURN NEXT;
                    END LOOP;
                END $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION append_call_events(text[], text[], text[], timestamptz[], text[]); DROP FUNCTION call_event_field(text);");
        }
    }
}
