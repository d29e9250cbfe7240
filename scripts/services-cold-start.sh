#!/usr/bin/env bash
# Proves that `services.sh up` works on a machine that has never run it: every service is
# installed and started from an empty cache folder (a temporary QICORE_SERVICES_CACHE, ports of
# its own so the suite's services keep running), asked a real question, and stopped again.
#
# It also checks that the started servers hold none of the caller's open descriptors: a lock
# file is held open here while `up` runs, and no server may have it open afterwards.
#
# Usage: scripts/services-cold-start.sh   (exit 0 when every service came up and answered)
set -Eeuo pipefail
cd "$(dirname "$0")/.."

trap 'printf "services-cold-start.sh: failed (exit %s) at line %s: %s\n" "$?" "$LINENO" "$BASH_COMMAND" >&2' ERR

readonly HOST=127.0.0.1
export QICORE_TIMESCALE_PORT="${QICORE_COLD_TIMESCALE_PORT:-15433}"
export QICORE_POSTGRES_PORT="${QICORE_COLD_POSTGRES_PORT:-15434}"
export QICORE_KAFKA_PORT="${QICORE_COLD_KAFKA_PORT:-19092}"
export QICORE_KAFKA_CONTROLLER_PORT="${QICORE_COLD_KAFKA_CONTROLLER_PORT:-19093}"
export QICORE_KAFKA_SASL_PORT="${QICORE_COLD_KAFKA_SASL_PORT:-19094}"
export QICORE_KAFKA_HEAP_OPTS="-Xms128m -Xmx512m"

cache="$(mktemp -d "${TMPDIR:-/tmp}/qicore-cold-start.XXXXXX")"
# mktemp makes the folder private; the database servers run as the postgres user.
chmod 755 "$cache"
export QICORE_SERVICES_CACHE="$cache"
marker="$cache/held-by-the-caller.lock"

cleanup() {
  bash scripts/services.sh down >/dev/null 2>&1 || true
  rm -rf "$cache"
}
trap cleanup EXIT

say() { printf '[cold start] %s\n' "$*" >&2; }
problem() {
  printf 'services-cold-start.sh: %s\n' "$*" >&2
  exit 1
}

say "empty cache $cache; ports timescale $QICORE_TIMESCALE_PORT, postgres $QICORE_POSTGRES_PORT, kafka $QICORE_KAFKA_PORT"
started=$SECONDS
exec 7>"$marker"
if ! bash scripts/services.sh up; then
  problem "scripts/services.sh up failed on an empty cache (its own message is above)"
fi
exec 7>&-
say "services.sh up from nothing: $((SECONDS - started)) s"

timescale_version="$(psql "postgres://postgres@$HOST:$QICORE_TIMESCALE_PORT/postgres" -Atc \
  "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")"
[ -n "$timescale_version" ] || problem "timescale: the timescaledb extension is not installed"
say "timescale answers: timescaledb $timescale_version"

postgres_version="$(psql "postgres://postgres@$HOST:$QICORE_POSTGRES_PORT/postgres" -Atc "SHOW server_version")"
say "postgres answers: PostgreSQL $postgres_version"

topic="cold-start-$RANDOM"
printf 'cold-start-message\n' | kcat -P -b "$HOST:$QICORE_KAFKA_PORT" -t "$topic" -X topic.partitioner=murmur2_random
read_back="$(kcat -C -b "$HOST:$QICORE_KAFKA_PORT" -t "$topic" -o beginning -c 1 -e -q)"
[ "$read_back" = cold-start-message ] || problem "kafka: read back '$read_back' instead of the message written"
say "kafka answers: a message written and read back on topic $topic"

for service in timescale postgres kafka; do
  pid="$(head -n 1 "$cache/run/$service.pid")"
  if ls -l "/proc/$pid/fd" 2>/dev/null | grep -qF "$marker"; then
    problem "$service (pid $pid) holds a descriptor its caller had open ($marker)"
  fi
done
say "no server holds a descriptor of its caller"

bash scripts/services.sh down
say "cold start checked in $((SECONDS - started)) s"
