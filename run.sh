#!/usr/bin/env bash
# Runs the whole hotline locally: private PostgreSQL and Redis, migrations, the server on
# http://127.0.0.1:5080. Ctrl+C stops the server; infra/local/down.sh stops the databases.
set -euo pipefail
cd "$(dirname "$0")"
source infra/local/common.sh
cc_ensure_tools

while IFS= read -r line; do export "${line?}"; done < <(infra/local/up.sh)

# Twilio's auth token is a secret: take it from the environment, else make a local one for trying webhooks.
if [ -z "${Twilio__AuthToken:-}" ]; then
  token_file="$CC_LOCAL/twilio-dev-auth-token"
  [ -s "$token_file" ] || od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$token_file"
  Twilio__AuthToken="$(cat "$token_file")"
  export Twilio__AuthToken
  echo "[run] development Twilio auth token in $token_file"
fi
# The archive's master key is a secret too: environment only; a local one is made for development.
if [ -z "${Archive__ActiveKeyId:-}" ]; then
  key_file="$CC_LOCAL/archive-dev-master-key"
  [ -s "$key_file" ] || head -c 32 /dev/urandom | base64 >"$key_file"
  export Archive__MasterKeys__dev="$(cat "$key_file")" Archive__ActiveKeyId=dev
  echo "[run] development archive master key in $key_file"
fi
export Archive__StorageDirectory="${Archive__StorageDirectory:-$CC_LOCAL/archive}"
export Prompts__CacheDirectory="${Prompts__CacheDirectory:-$CC_LOCAL/prompts}"
export ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

exec dotnet run --project src/CallCenter.Server -- "$@"
