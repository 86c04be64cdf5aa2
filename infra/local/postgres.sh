#!/usr/bin/env bash
# Private PostgreSQL cluster for this checkout: initdb into .local/pg, trust auth on loopback only.
# Usage: infra/local/postgres.sh start|stop|status
set -euo pipefail
source "$(dirname "$0")/common.sh"

PG_DIR="$CC_LOCAL/pg"
DATA="$PG_DIR/data"
RUN="$PG_DIR/run"
BIN="$(cc_pg_bin)"

# PostgreSQL refuses to run as root; as root we hand the cluster to the 'postgres' account.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

grant_traverse() {
  # The postgres account must be able to reach .local/pg through the checkout's parent folders.
  [ "$(id -u)" -eq 0 ] || return 0
  local d="$PG_DIR"
  while [ "$d" != "/" ]; do
    d="$(dirname "$d")"
    if ! runuser -u postgres -- test -x "$d"; then chmod o+x "$d"; fi
  done
}

is_running() { as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

start() {
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PG_DIR"; fi
  grant_traverse
  if [ ! -s "$DATA/PG_VERSION" ]; then
    cc_log "initdb $DATA"
    as_pg mkdir -p "$DATA" "$RUN"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $CC_PG_PORT
unix_socket_directories = '$RUN'
max_connections = 200
shared_buffers = 256MB
CONF
    # Loopback only; no socket-less remote access.
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$DATA/pg_hba.conf"
  fi
  if is_running; then
    cc_log "PostgreSQL already running on 127.0.0.1:$CC_PG_PORT"
  else
    if ! as_pg "$BIN/pg_ctl" -D "$DATA" -l "$PG_DIR/postgres.log" -w -t 60 start >/dev/null; then
      cc_log "PostgreSQL did not start; the end of $PG_DIR/postgres.log says:"
      tail -n 5 "$PG_DIR/postgres.log" >&2
      exit 1
    fi
    cc_log "PostgreSQL started on 127.0.0.1:$CC_PG_PORT"
  fi
  if ! as_pg "$BIN/psql" -h 127.0.0.1 -p "$CC_PG_PORT" -U postgres -Atc \
      "select 1 from pg_database where datname = '$CC_PG_DB'" postgres | grep -q 1; then
    as_pg "$BIN/createdb" -h 127.0.0.1 -p "$CC_PG_PORT" -U postgres "$CC_PG_DB"
  fi
}

stop() {
  if [ -s "$DATA/PG_VERSION" ] && is_running; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    cc_log "PostgreSQL stopped"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) if is_running; then echo running; else echo stopped; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
