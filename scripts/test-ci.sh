#!/usr/bin/env bash
# The whole test suite, as CI runs it: starts the real services it needs (TimescaleDB,
# PostgreSQL, Kafka), then lint, types, build, tests, examples and the packaging check.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "services"
bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"
export QICORE_TEST_TIMESCALE_URL QICORE_TEST_POSTGRES_URL QICORE_TEST_KAFKA_BROKERS

step "lint"
pnpm lint

step "typecheck"
pnpm typecheck

step "build"
pnpm build

step "tests"
mkdir -p .qicore
status=0
pnpm vitest run --reporter=default --reporter=json --outputFile.json=.qicore/test-results.json || status=$?

step "examples"
pnpm examples || status=$?

step "packages install from their tarballs"
node scripts/pack-check.mjs || status=$?

# One plain closing line for CI: counts from the vitest run plus the examples' verdict.
node -e '
const r = require("./.qicore/test-results.json");
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
'
exit "$status"
