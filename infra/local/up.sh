#!/usr/bin/env bash
# Starts the private PostgreSQL and Redis (idempotent) and prints their connection strings.
set -euo pipefail
here="$(dirname "$0")"
source "$here/common.sh"
"$here/postgres.sh" start
"$here/redis.sh" start
cc_connection_strings
