#!/usr/bin/env bash
# Private Redis for this checkout: loopback only, no persistence (state is rebuilt from PostgreSQL).
# Usage: infra/local/redis.sh start|stop|status
set -euo pipefail
source "$(dirname "$0")/common.sh"

DIR="$CC_LOCAL/redis"
PIDFILE="$DIR/redis.pid"

is_running() {
  [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null
}

start() {
  if ! command -v redis-server >/dev/null 2>&1; then
    cc_log "redis-server not found; installing it from Debian packages"
    cc_apt_install redis-server >/dev/null
  fi
  mkdir -p "$DIR"
  if is_running; then
    cc_log "Redis already running on 127.0.0.1:$CC_REDIS_PORT"
    return
  fi
  redis-server --bind 127.0.0.1 --port "$CC_REDIS_PORT" --save '' --appendonly no \
    --daemonize yes --pidfile "$PIDFILE" --logfile "$DIR/redis.log" --dir "$DIR"
  for _ in $(seq 1 50); do
    if redis-cli -h 127.0.0.1 -p "$CC_REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
      cc_log "Redis started on 127.0.0.1:$CC_REDIS_PORT"
      return
    fi
    sleep 0.1
  done
  cc_log "Redis did not answer; see $DIR/redis.log"
  exit 1
}

stop() {
  if is_running; then
    kill "$(cat "$PIDFILE")"
    for _ in $(seq 1 50); do is_running || break; sleep 0.1; done
    rm -f "$PIDFILE"
    cc_log "Redis stopped"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) if is_running; then echo running; else echo stopped; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
