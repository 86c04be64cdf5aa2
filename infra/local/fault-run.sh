#!/usr/bin/env bash
# A fault-mode run of the simulator (issue #10): two server instances on this checkout's PostgreSQL and a Redis with an
# append-only file (a Redis holding several instances' shared ACD state must survive a restart), the simulator as Twilio,
# callers and agents behind its own load balancer, and the faults on schedule: an instance killed (SIGKILL) and started
# again, Redis killed and restarted, PostgreSQL stopped for 30 s. It ends with the reconciliation of every call placed
# against the call log (exit 1 when a call is lost, duplicated or mismatched).
#
#   infra/local/fault-run.sh [simulator options...]    e.g. --hours 1 --clock-rate 10 --fault kill-server@10m:1m ...
#
# Without --fault options the three faults run at 25%, 50% and 75% of the run. Settings (environment): CALLCENTER_PG_PORT,
# CALLCENTER_FAULT_PORTS (default "5081 5082"), CALLCENTER_FAULT_REDIS_PORT (56380), CALLCENTER_FAULT_TWILIO_PORT (5098),
# CALLCENTER_FAULT_CLOCK_RATE (10), CALLCENTER_FAULT_HOURS (1).
# The simulator calls this same script back as its fault hook: fault-run.sh kill-server|start-server N,
# stop-redis|start-redis, stop-postgres|start-postgres.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/common.sh"
FAULT="$CC_LOCAL/fault"
ports=(${CALLCENTER_FAULT_PORTS:-5081 5082})
redis_port="${CALLCENTER_FAULT_REDIS_PORT:-56380}"

start_redis() {
  mkdir -p "$FAULT/redis"
  redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly yes --appendfsync always \
    --daemonize yes --pidfile "$FAULT/redis/redis.pid" --logfile "$FAULT/redis/redis.log" --dir "$FAULT/redis"
  for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && return; sleep 0.1; done
  cc_log "fault Redis did not answer"; exit 1
}

start_server() {
  local n="$1" port="${ports[$(($1 - 1))]}"
  # shellcheck disable=SC1091
  source "$FAULT/server.env"
  (cd "$CC_ROOT/src/CallCenter.Server" && Urls="http://127.0.0.1:$port" Degraded__SpoolDirectory="$FAULT/spool-$n" \
    exec dotnet bin/Debug/net10.0/CallCenter.Server.dll >>"$FAULT/server-$n.log" 2>&1) &
  echo $! >"$FAULT/server-$n.pid"
  for _ in $(seq 1 120); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/health/live" && return
    kill -0 "$(cat "$FAULT/server-$n.pid")" 2>/dev/null || { cc_log "server $n stopped; see $FAULT/server-$n.log"; exit 1; }
    sleep 0.5
  done
  cc_log "server $n did not come up"; exit 1
}

kill_pidfile() { [ -s "$1" ] && kill -9 "$(cat "$1")" 2>/dev/null; rm -f "$1"; }

# --- The simulator's fault hook.
case "${1:-}" in
  kill-server) kill_pidfile "$FAULT/server-$2.pid"; exit 0 ;;
  start-server) start_server "$2"; exit 0 ;;
  stop-redis) kill_pidfile "$FAULT/redis/redis.pid"; exit 0 ;;
  start-redis) start_redis; exit 0 ;;
  stop-postgres) "$here/postgres.sh" stop; exit 0 ;;
  start-postgres) "$here/postgres.sh" start; exit 0 ;;
esac

# --- The run.
cc_ensure_tools
mkdir -p "$FAULT"
rm -f "$FAULT"/server-*.log
"$here/postgres.sh" start
start_redis
postgres="Host=127.0.0.1;Port=$CC_PG_PORT;Username=postgres;Database=$CC_PG_DB"
token="fault-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
account=AC00000000000000000000000000000fa1
twilio_port="${CALLCENTER_FAULT_TWILIO_PORT:-5098}"
rate="${CALLCENTER_FAULT_CLOCK_RATE:-10}"
hours="${CALLCENTER_FAULT_HOURS:-1}"
# One simulated clock for both instances and every restart: the same start, anchored at the same real instant; inside
# the hotline's opening hours (Asia/Shanghai), so callers reach the queue.
cat >"$FAULT/server.env" <<EOF
export ASPNETCORE_ENVIRONMENT=Development Database__MigrateOnStartup=true
export ConnectionStrings__Postgres='$postgres'
export ConnectionStrings__Redis='127.0.0.1:$redis_port,connectTimeout=500,syncTimeout=1000,asyncTimeout=1000'
export Twilio__AuthToken=$token Twilio__AccountSid=$account Twilio__ApiBaseUrl=http://127.0.0.1:$twilio_port
export Twilio__PublicBaseUrl=https://hotline.fault-run.test Twilio__FallbackNumber=+861095588
export Acd__Store=Redis Acd__RedisKeyPrefix=acd-fault-$(date +%s) Ivr__StateKey=$(head -c 32 /dev/urandom | base64)
export Degraded__DrainEvery=00:00:00.5 Prompts__Engine=none Callbacks__RunWorkers=false Complaints__RunWorkers=false Archive__RunWorkers=false
export Simulation__ClockRate=$rate Simulation__StartAt=$(TZ=Asia/Shanghai date '+%Y-%m-%dT09:00:00+08:00') Simulation__StartedAt=$(date -u '+%Y-%m-%dT%H:%M:%SZ')
export Logging__LogLevel__Default=Warning
EOF

echo "[fault] building the server, the CLI and the simulator"
dotnet build "$CC_ROOT/src/CallCenter.Cli" -v q -nologo >/dev/null
dotnet build "$CC_ROOT/src/CallCenter.Simulator" -v q -nologo >/dev/null
stop_all() { for n in $(seq 1 ${#ports[@]}); do kill_pidfile "$FAULT/server-$n.pid"; done; kill_pidfile "$FAULT/redis/redis.pid"; }
trap stop_all EXIT INT TERM
start_server 1
for n in $(seq 2 ${#ports[@]}); do start_server "$n"; done

admin_file="$FAULT/admin-password"
if [ ! -s "$admin_file" ]; then
  echo "Fault-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')-1" >"$admin_file"
  echo "Initial-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')-1" >"$admin_file.initial"
  ConnectionStrings__Postgres="$postgres" dotnet run --no-build --project "$CC_ROOT/src/CallCenter.Cli" -- staff add --work-number FAULTADMIN \
    --name 'Fault-run administrator' --role Admin --totp-secret-file "$FAULT/admin-totp-secret" <"$admin_file.initial"
fi

servers=(); for p in "${ports[@]}"; do servers+=(--server "http://127.0.0.1:$p"); done
faults=()
if ! printf '%s\n' "$@" | grep -q -- '--fault'; then
  minutes=$(awk "BEGIN { print $hours * 60 }")
  faults=(--fault "kill-server@$(awk "BEGIN { print $minutes * 0.25 }")m:1m" --fault "restart-redis@$(awk "BEGIN { print $minutes * 0.5 }")m"
    --fault "stop-postgres@$(awk "BEGIN { print $minutes * 0.75 }")m:30s")
fi
set +e
dotnet "$CC_ROOT/src/CallCenter.Simulator/bin/Debug/net10.0/callcenter-sim.dll" day "${servers[@]}" "${faults[@]}" \
  --fault-hook "$here/fault-run.sh" --postgres "$postgres" --public-url https://hotline.fault-run.test \
  --auth-token "$token" --account-sid "$account" --twilio-port "$twilio_port" \
  --admin FAULTADMIN --admin-password "$(cat "$admin_file")" --admin-initial-password "$(cat "$admin_file.initial")" \
  --admin-totp-secret "$(cat "$FAULT/admin-totp-secret")" --agent-prefix FLT --agent-password "Fault-agent-$(cut -c7-14 "$admin_file")-7" \
  --hours "$hours" --clock-rate "$rate" --calls-per-hour 200 --aht 120 --agents 10 --patience 240 --wrap-up 10 \
  --menu agent=0:3 --menu cards=1,1,3,1:1 --json "$FAULT/fault-run.json" "$@"
status=$?
set -e
spooled=$(cat "$FAULT"/server-*.log | grep -c 'they are spooled until it answers again' || true)
echo "[fault] spool warnings in the instances' logs (batches of call-log writes spooled while PostgreSQL was away): $spooled"
echo "[fault] report: $FAULT/fault-run.json; instance logs: $FAULT/server-N.log"
exit $status
