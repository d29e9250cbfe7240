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

# Every run also proves a first run: each service installed and started from an empty cache
# (other ports), asked a question and stopped, so a first-run failure cannot hide behind the
# warm cache above. It is mostly downloads and disk, so it runs beside lint, types and build.
mkdir -p .qicore
cold_start_log=.qicore/services-cold-start.log
cold_start_started=$SECONDS
bash scripts/services-cold-start.sh >"$cold_start_log" 2>&1 </dev/null &
cold_start_pid=$!

# Every step runs even when an earlier one failed, so one CI log shows every problem.
status=0
failed=()
run_step() {
  local name=$1
  shift
  step "$name"
  if ! "$@"; then
    status=1
    failed+=("$name")
  fi
}

run_step "lint" pnpm lint
run_step "typecheck" pnpm typecheck
run_step "build" pnpm build

cold_start() {
  local status=0
  wait "$cold_start_pid" || status=$?
  cat "$cold_start_log"
  echo "(cold start took $((SECONDS - cold_start_started)) s, beside lint, typecheck and build)"
  return "$status"
}
run_step "services from an empty cache" cold_start
rm -f .qicore/test-results.json .qicore/unhandled-errors.json
run_step "tests" pnpm vitest run --reporter=default --reporter=json --outputFile.json=.qicore/test-results.json \
  --reporter=./test/unhandled-errors-reporter.ts

run_step "examples" pnpm examples
run_step "packages install from their tarballs" node scripts/pack-check/index.mjs

# One plain closing line for CI: the vitest counts, plus each other failed step as one failure.
# Unhandled errors fail a run whose tests all passed: each is named above that line (a long
# log is cut from its middle, so the end must say what failed).
other_failures=0
for name in "${failed[@]}"; do [ "$name" = "tests" ] || other_failures=$((other_failures + 1)); done
OTHER_FAILURES=$other_failures node -e '
const fs = require("node:fs");
const results = require("./.qicore/test-results.json");
const unhandled = fs.existsSync(".qicore/unhandled-errors.json")
  ? JSON.parse(fs.readFileSync(".qicore/unhandled-errors.json", "utf8"))
  : [];
for (const error of unhandled) {
  console.log(`unhandled error${error.file ? ` in ${error.file}` : ""}${error.test ? ` (test "${error.test}")` : ""}:`);
  console.log(error.stack ?? `${error.name}: ${error.message}`);
}
const failedTests = results.testResults.flatMap((file) =>
  file.assertionResults.filter((test) => test.status === "failed").map((test) => `${require("node:path").relative(".", file.name)}: ${test.fullName}`),
);
for (const name of failedTests) console.log(`failed: ${name}`);
const failures = results.numFailedTests + unhandled.length + Number(process.env.OTHER_FAILURES);
console.log(`${results.numPassedTests} passed, ${failures} failed${unhandled.length > 0 ? ` (${unhandled.length} unhandled error${unhandled.length > 1 ? "s" : ""})` : ""}`);
' || echo "0 passed, $((other_failures + 1)) failed"
if [ "$status" -ne 0 ]; then
  echo "failed steps: ${failed[*]}"
fi
exit "$status"
