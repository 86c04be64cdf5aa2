#!/usr/bin/env bash
# Runs every test against a private PostgreSQL and Redis (started here if needed, stopped again
# if this script started them) and ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"
source infra/local/common.sh
cc_ensure_tools
# Browser tests (tests/CallCenter.Console.Tests) drive Debian's Chromium against the built console.
command -v chromium >/dev/null 2>&1 || cc_apt_install chromium >/dev/null
web/console/build.sh || echo "[test] the web console did not build; the console tests will fail" >&2
# The deployment files are checked by a Node tool (tests/CallCenter.Server.Tests/Deployment); install it once here.
infra/validate/check.sh >/dev/null || echo "[test] infra/validate reports problems; DeploymentFilesTests will name them" >&2

pg_was_running=0; redis_was_running=0
infra/local/postgres.sh status >/dev/null 2>&1 && pg_was_running=1
infra/local/redis.sh status >/dev/null 2>&1 && redis_was_running=1
cleanup() {
  [ "$redis_was_running" = 1 ] || infra/local/redis.sh stop
  [ "$pg_was_running" = 1 ] || infra/local/postgres.sh stop
}
trap cleanup EXIT

if ! infra/local/up.sh >/dev/null; then
  echo "could not start PostgreSQL and Redis (see .local/)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
export CALLCENTER_TEST_POSTGRES="Host=127.0.0.1;Port=$CC_PG_PORT;Username=postgres;Database=postgres"
export CALLCENTER_TEST_REDIS="127.0.0.1:$CC_REDIS_PORT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

results="$CC_LOCAL/test-results"
rm -rf "$results"
# One test project at a time: the browser, scale-out and simulated-day tests are timing-sensitive on two cores.
dotnet test CallCenter.sln -m:1 --logger trx --results-directory "$results" "$@"
status=$?

# dotnet test's own summary is per project; the TRX counters are the one source for the total.
passed=0; failed=0; total=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*' "$trx" | head -n 1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  total=$((total + $(get total)))
done
# CI shows only the log's tail: name each failed test there.
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  grep -o '<UnitTestResult [^>]*outcome="\(Failed\|Error\|Timeout\|Aborted\)"' "$trx" |
    sed -E 's/.* testName="([^"]*)".* duration="([^"]*)".*/FAILED \1 (after \2)/' || true
done
# A build failure or crash leaves no counters: that is a failure, not zero tests.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$total" -eq 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
