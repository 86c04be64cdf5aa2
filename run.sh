#!/usr/bin/env bash
# Runs the whole hotline locally: private PostgreSQL and Redis, migrations, the server on
# http://127.0.0.1:5080, and a demo: the simulator plays Twilio, a few agents and a steady trickle of
# callers at wall-clock speed, so calls flow through the IVR, the queue and the agents within a minute.
# `./run.sh --no-demo` (or CALLCENTER_DEMO=0) runs the server alone. Ctrl+C stops the server and the demo;
# infra/local/down.sh stops the databases.
set -euo pipefail
cd "$(dirname "$0")"
source infra/local/common.sh
cc_ensure_tools

demo="${CALLCENTER_DEMO:-1}"
if [ "${1:-}" = "--no-demo" ]; then demo=0; shift; fi

while IFS= read -r line; do export "${line?}"; done < <(infra/local/up.sh)

# Twilio's auth token is a secret: take it from the environment, else make a local one for trying webhooks.
if [ -z "${Twilio__AuthToken:-}" ]; then
  token_file="$CC_LOCAL/twilio-dev-auth-token"
  [ -s "$token_file" ] || od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$token_file"
  Twilio__AuthToken="$(cat "$token_file")"
  export Twilio__AuthToken
  echo "[run] development Twilio auth token in $token_file"
fi
# The agent and supervisor consoles (http://127.0.0.1:5080/console/); the server runs without them if npm is missing.
web/console/build.sh || echo "[run] the web console was not built; /console/ will say so" >&2
# The archive's master key is a secret too: environment only; a local one is made for development.
if [ -z "${Archive__ActiveKeyId:-}" ]; then
  key_file="$CC_LOCAL/archive-dev-master-key"
  [ -s "$key_file" ] || head -c 32 /dev/urandom | base64 >"$key_file"
  export Archive__MasterKeys__dev="$(cat "$key_file")" Archive__ActiveKeyId=dev
  echo "[run] development archive master key in $key_file"
fi
export Archive__StorageDirectory="${Archive__StorageDirectory:-$CC_LOCAL/archive}"
export Prompts__CacheDirectory="${Prompts__CacheDirectory:-$CC_LOCAL/prompts}"
# The call-log spool is one folder per instance (the server refuses a folder another process holds): this checkout's own,
# so a second checkout's server, or a benchmark's, on the same machine does not stop this one from starting.
export Degraded__SpoolDirectory="${Degraded__SpoolDirectory:-$CC_LOCAL/spool}"
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ "$demo" = 0 ]; then
  exec dotnet run --project src/CallCenter.Server -- "$@"
fi

# --- Demo: the simulator is Twilio (its REST stand-in receives the server's call redirects) and the people.
sim_port="${CALLCENTER_SIM_TWILIO_PORT:-5099}"
export Twilio__ApiBaseUrl="${Twilio__ApiBaseUrl:-http://127.0.0.1:$sim_port}"
export Twilio__AccountSid="${Twilio__AccountSid:-AC00000000000000000000000000000d3e}"
# Outside the hotline's opening hours (Asia/Shanghai) callers would only hear the after-hours notice, so the
# server's clock then starts at 10:00 Shanghai time today (Simulation:StartAt, Development only).
read -r dow hour < <(TZ=Asia/Shanghai date '+%u %H')
hour=$((10#$hour))
if { [ "$dow" -le 5 ] && { [ "$hour" -lt 8 ] || [ "$hour" -ge 20 ]; }; } || { [ "$dow" -gt 5 ] && { [ "$hour" -lt 9 ] || [ "$hour" -ge 18 ]; }; }; then
  export Simulation__StartAt="${Simulation__StartAt:-$(TZ=Asia/Shanghai date '+%Y-%m-%dT10:00:00+08:00')}"
  echo "[run] the hotline is closed now; the server's clock starts at $Simulation__StartAt for the demo"
fi

echo "[run] building the server, the CLI and the simulator"
dotnet build src/CallCenter.Cli -v q -nologo >/dev/null
dotnet build src/CallCenter.Simulator -v q -nologo >/dev/null

# One HTTP log line per Twilio REST request drowns the demo; warnings still show.
# The built server itself (not `dotnet run`), so its process id is the one to stop.
(cd src/CallCenter.Server && exec env 'Logging__LogLevel__System.Net.Http.HttpClient=Warning' 'Logging__LogLevel__Polly=Warning' \
  dotnet bin/Debug/net10.0/CallCenter.Server.dll "$@") &
server_pid=$!
sim_pid=""
# The simulator is killed outright: its graceful stop would wait on calls to a server that is going away.
stop() { [ -n "$sim_pid" ] && kill -9 "$sim_pid" 2>/dev/null; kill "$server_pid" 2>/dev/null; wait 2>/dev/null; }
trap stop EXIT INT TERM

for _ in $(seq 1 120); do
  curl -fs -o /dev/null http://127.0.0.1:5080/health/ready && break
  kill -0 "$server_pid" 2>/dev/null || { echo "[run] the server stopped" >&2; exit 1; }
  sleep 1
done

# The demo's administrator creates the simulated agents; its passwords stay in .local/.
admin_file="$CC_LOCAL/demo-admin-password"
if [ ! -s "$admin_file" ]; then
  echo "Demo-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')-1" >"$admin_file"
  echo "Initial-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')-1" >"$admin_file.initial"
  dotnet run --no-build --project src/CallCenter.Cli -- staff add --work-number DEMOADMIN --name 'Demo administrator' --role Admin \
    --totp-secret-file "$CC_LOCAL/demo-admin-totp-secret" <"$admin_file.initial"
fi
# Administrators sign in with a one-time code in Development too; the demo's authenticator secret stays in .local/
# (an older .local/ has DEMOADMIN without one: enrol it now).
if [ ! -s "$CC_LOCAL/demo-admin-totp-secret" ]; then
  dotnet run --no-build --project src/CallCenter.Cli -- staff enrol-totp --work-number DEMOADMIN --totp-secret-file "$CC_LOCAL/demo-admin-totp-secret"
fi
echo "[run] demo: simulated callers and agents; supervisor login DEMOADMIN, password in $admin_file, one-time code from"
echo "[run]   dotnet run --project src/CallCenter.Cli -- staff totp-code --secret-file $CC_LOCAL/demo-admin-totp-secret (wallboard: GET /api/metrics/wallboard)"
dotnet src/CallCenter.Simulator/bin/Debug/net10.0/callcenter-sim.dll day \
  --base-url http://127.0.0.1:5080 --twilio-port "$sim_port" --account-sid "$Twilio__AccountSid" \
  --admin DEMOADMIN --admin-password "$(cat "$admin_file")" --admin-initial-password "$(cat "$admin_file.initial")" \
  --admin-totp-secret "$(cat "$CC_LOCAL/demo-admin-totp-secret")" \
  --hours 8 --clock-rate 1 --calls-per-hour 240 --aht 45 --agents 4 --patience 120 --wrap-up 5 \
  --repeat-share 0.5 --repeat-delay 10 --break-every 60 --break-length 3 \
  --menu agent=0:3 --menu cards=1,1,3,1:1 --agent-prefix DEMO --agent-password "Demo-agent-$(cut -c6-13 "$admin_file")-7" &
sim_pid=$!
wait "$server_pid"
