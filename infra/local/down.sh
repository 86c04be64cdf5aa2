#!/usr/bin/env bash
# Stops the private PostgreSQL and Redis by their PID files.
set -euo pipefail
here="$(dirname "$0")"
"$here/redis.sh" stop
"$here/postgres.sh" stop
