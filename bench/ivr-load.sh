#!/usr/bin/env bash
# Issue #3's load run: a Release server against this checkout's PostgreSQL and Redis, warmed at the rate, then
# `callcenter-sim load` at the rate; prints the generator's summary and each process's CPU per request, read from
# /proc/<pid>/stat (PostgreSQL: the postmaster, its live children and its reaped ones) over the measured run.
# "Per request" is per request on the schedule (incoming calls and menu steps); the calls' final status callbacks, which
# the generator sends on top of the rate as each call hangs up, are in the CPU but not in the count.
#
#   bench/ivr-load.sh [rate] [server dir] [simulator dir]     defaults: 2000, the Release bin folders of this checkout
#
# Settings (environment): CALLCENTER_PG_PORT, CALLCENTER_REDIS_PORT (as infra/local/up.sh), IVR_LOAD_PORT (5080),
# IVR_LOAD_DB (the database, callcenter_bench; give each build its own when they differ in migrations),
# IVR_LOAD_WARM (server warm-up seconds, 30), IVR_LOAD_WARMUP (generator --warmup, 10), IVR_LOAD_SECONDS (20),
# IVR_LOAD_FOLDER: "separate" (default) runs the metrics fold in a second server process at nice 10 on the next port and
# the webhook instance with Metrics__RunWorkers=false, as a bank would deploy them; "inline" folds on the webhook instance.
# Either way every event the run logs is folded on this machine during the run: the summary says how many.
# IVR_LOAD_SERVER_ENV="NAME=value ..." sets variables (e.g. runtime knobs) for the webhook instance only.
# IVR_LOAD_ARGS="..." passes more options to the generator (e.g. "--steps-per-call 12"; a generator older than that
# option never ends a call).
# IVR_LOAD_COUNTERS=1 records the webhook instance's runtime, ASP.NET Core and call-log counters (GC, thread pool, JIT,
# server-side request duration, call-log batch duration) each second of the measured run into .local/ivr-load/counters.csv
# (needs dotnet-counters; it costs the server a little CPU: use it in every run of a comparison or in none).
# IVR_LOAD_TRACE=1 records a sampled CPU profile (dotnet-trace, EventPipe's sample profiler) of the webhook instance over
# the measured run into .local/ivr-load/server.nettrace and .speedscope.json; bench/trace-groups.py sums it by component.
# It slows the server: use it to see where the time goes, not for the figures.
# Start PostgreSQL and Redis first (infra/local/up.sh); build with `dotnet build src/CallCenter.Simulator -c Release`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../infra/local/common.sh"
rate="${1:-2000}"
server_dir="$(cd "${2:-$CC_ROOT/src/CallCenter.Server/bin/Release/net10.0}" && pwd)"
sim_dir="$(cd "${3:-$CC_ROOT/src/CallCenter.Simulator/bin/Release/net10.0}" && pwd)"
port="${IVR_LOAD_PORT:-5080}"
warm="${IVR_LOAD_WARM:-30}" warmup="${IVR_LOAD_WARMUP:-10}" seconds="${IVR_LOAD_SECONDS:-20}"
folder_mode="${IVR_LOAD_FOLDER:-separate}"
db="${IVR_LOAD_DB:-callcenter_bench}"
out="$CC_LOCAL/ivr-load"
mkdir -p "$out"

export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$CC_PG_PORT;Username=postgres;Database=$db" \
  ConnectionStrings__Redis="127.0.0.1:$CC_REDIS_PORT" Twilio__AuthToken=bench-token Twilio__PublicBaseUrl="http://127.0.0.1:$port" \
  Database__MigrateOnStartup=true ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning Prompts__Engine=none \
  Urls="http://127.0.0.1:$port"

# utime + stime (+ reaped children's cutime + cstime when asked) in clock ticks.
ticks() { awk -v children="${2:-0}" '{ sub(/^.*\) /, ""); t = $12 + $13; if (children) t += $14 + $15; print t }' "/proc/$1/stat"; }
pg_ticks() {
  local master total=0 child
  master=$(head -n 1 "$CC_LOCAL/pg/data/postmaster.pid")
  total=$(ticks "$master" 1)
  for child in $(pgrep -P "$master"); do total=$((total + $(ticks "$child" 2>/dev/null || echo 0))); done
  echo "$total"
}
redis_pid=$(cat "$CC_LOCAL/redis/redis.pid")
sql() { psql -h 127.0.0.1 -p "$CC_PG_PORT" -U postgres -d "$db" -Atqc "$1"; }
logged() { sql "SELECT coalesce(max(global_seq), 0) FROM call_events"; }
folded() { sql "SELECT coalesce(max(last_global_seq), 0) FROM metrics_watermarks WHERE name = 'call-facts'"; }

wait_ready() {
  for _ in $(seq 1 240); do
    curl -fs -o /dev/null "http://127.0.0.1:$1/health/ready" && return 0
    kill -0 "$2" 2>/dev/null || { cc_log "server stopped; see $3"; exit 1; }
    sleep 0.5
  done
}
# A run that fell behind leaves call-log writes in the spool, and a server writes those first while taking new load:
# measure only once the webhook instance says Healthy (spool written), not Degraded.
wait_drained() {
  for _ in $(seq 1 600); do
    [ "$(curl -s "http://127.0.0.1:$1/health/ready")" = Healthy ] && return 0
    sleep 0.5
  done
  cc_log "the call-log spool was not written within 5 min; see $2"
  exit 1
}
server="" folder=""
trap 'kill $server $folder 2>/dev/null || true' EXIT
if [ "$folder_mode" = separate ]; then
  # Batch work: at a lower priority than the webhooks, on the same cores.
  (cd "$server_dir" && Urls="http://127.0.0.1:$((port + 1))" Degraded__SpoolDirectory="$out/spool-metrics" exec nice -n 10 dotnet CallCenter.Server.dll >"$out/folder.log" 2>&1) &
  folder=$!
  wait_ready $((port + 1)) "$folder" "$out/folder.log"
  export Metrics__RunWorkers=false
fi
# shellcheck disable=SC2086
(cd "$server_dir" && Degraded__SpoolDirectory="$out/spool" exec env ${IVR_LOAD_SERVER_ENV:-} dotnet CallCenter.Server.dll >"$out/server.log" 2>&1) &
server=$!
wait_ready "$port" "$server" "$out/server.log"
wait_drained "$port" "$out/server.log"
# shellcheck disable=SC2086
load() { dotnet "$sim_dir/callcenter-sim.dll" load --base-url "http://127.0.0.1:$port" --auth-token bench-token --rate "$rate" ${IVR_LOAD_ARGS:-} "$@"; }
load --seconds "$warm" >/dev/null
s0=$(ticks "$server") p0=$(pg_ticks) r0=$(ticks "$redis_pid") f0=$([ -n "$folder" ] && ticks "$folder" || echo 0)
l0=$(logged) w0=$(folded)
counters=""
if [ "${IVR_LOAD_COUNTERS:-0}" = 1 ]; then
  rm -f "$out/counters.csv"
  dotnet-counters collect -p "$server" --refresh-interval 1 --duration "$(printf '00:00:%02d:%02d' $(((warmup + seconds) / 60)) $(((warmup + seconds) % 60)))" --format csv -o "$out/counters.csv" \
    --counters System.Runtime,Microsoft.AspNetCore.Hosting,CallCenter >/dev/null 2>&1 &
  counters=$!
fi
trace=""
if [ "${IVR_LOAD_TRACE:-0}" = 1 ]; then
  rm -f "$out/server.nettrace" "$out/server.speedscope.json"
  dotnet-trace collect -p "$server" --profile dotnet-sampled-thread-time --format Speedscope -o "$out/server.nettrace" \
    --duration "$(printf '00:00:%02d:%02d' $(((warmup + seconds) / 60)) $(((warmup + seconds) % 60)))" >/dev/null 2>&1 &
  trace=$!
fi
# The summary without the progress line (carriage returns).
# shellcheck disable=SC2086
/usr/bin/time -f '%U %S' -o "$out/generator.time" dotnet "$sim_dir/callcenter-sim.dll" load --base-url "http://127.0.0.1:$port" \
  --auth-token bench-token --rate "$rate" ${IVR_LOAD_ARGS:-} --warmup "$warmup" --seconds "$seconds" --json "$out/load.json" |
  tr '\r' '\n' | grep -v -e '% sent' -e '^$' || true
[ -n "$counters" ] && { wait "$counters" || true; }
[ -n "$trace" ] && { wait "$trace" || true; }
s1=$(ticks "$server") p1=$(pg_ticks) r1=$(ticks "$redis_pid") f1=$([ -n "$folder" ] && ticks "$folder" || echo 0)
l1=$(logged) w1=$(folded)
hz=$(getconf CLK_TCK)
requests=$((rate * (warmup + seconds)))
awk -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v r=$((r1 - r0)) -v fo=$((f1 - f0)) -v hz="$hz" -v n="$requests" -v g="$(cat "$out/generator.time")" \
  -v mode="$folder_mode" \
  'BEGIN { split(g, t, " "); f = 1000 / hz / n;
    printf "CPU per request (ms): server %.3f, PostgreSQL %.3f, Redis %.3f, generator %.3f", s * f, p * f, r * f, (t[1] + t[2]) * 1000 / n;
    if (mode == "separate") printf ", metrics process %.3f", fo * f;
    printf " (over %d requests sent)\n", n }'
echo "call events logged during the run: $((l1 - l0)), folded during the run: $((w1 - w0)) (fold $folder_mode, backlog at the end $((l1 - w1)))"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
