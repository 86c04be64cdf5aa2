# Shared settings for the local, container-free PostgreSQL and Redis. Sourced, not run.
# Everything lives under .local/ in the checkout (ignored by git) and listens on loopback only.
CC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CC_LOCAL="$CC_ROOT/.local"
CC_PG_PORT="${CALLCENTER_PG_PORT:-55432}"
CC_REDIS_PORT="${CALLCENTER_REDIS_PORT:-56379}"
CC_PG_DB="${CALLCENTER_PG_DB:-callcenter}"

cc_log() { printf '[infra] %s\n' "$*" >&2; }

# apt-get only when a tool is missing; 'update' once per run.
cc_apt_install() {
  if [ -z "${CC_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    CC_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

cc_pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ]; then
    cc_log "PostgreSQL not found; installing it from Debian packages"
    cc_apt_install postgresql >/dev/null
    dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$dir"
}

cc_connection_strings() {
  echo "ConnectionStrings__Postgres=Host=127.0.0.1;Port=$CC_PG_PORT;Username=postgres;Database=$CC_PG_DB"
  echo "ConnectionStrings__Redis=127.0.0.1:$CC_REDIS_PORT"
}

# Tools the server uses at run time: espeak-ng renders IVR prompts when Azure Speech is not configured.
cc_ensure_tools() {
  if ! command -v espeak-ng >/dev/null 2>&1; then
    cc_log "espeak-ng not found; installing it from Debian packages"
    cc_apt_install espeak-ng >/dev/null
  fi
}
