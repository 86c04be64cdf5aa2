#!/usr/bin/env bash
# Validates the deployment files (compose, Kubernetes manifests, Dockerfile, Grafana dashboards) without a
# container engine: installs the locked npm packages when needed, then runs validate.mjs with the given arguments.
set -euo pipefail
cd "$(dirname "$0")"
# Tests run this in parallel: one of them installs, the others wait for it.
(
  flock 9
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
) 9>"${TMPDIR:-/tmp}/callcenter-infra-validate.lock"
exec node validate.mjs "$@"
