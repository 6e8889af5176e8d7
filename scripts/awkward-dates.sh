#!/usr/bin/env bash
# Runs tests with every clock pinned to an awkward date (JIESU_CLOCK_AT), so a test that only
# holds on an ordinary day fails here and not in an office on 1 January.
#
#   scripts/awkward-dates.sh          one date, turning with the day (printed): the core's
#                                     tests and the dashboard journey. `make test` runs this.
#   scripts/awkward-dates.sh --all    every date: every cargo test and every journey.
#   JIESU_CLOCK_AT=2027-01-01T09:30:00+08:00 scripts/awkward-dates.sh [--all]   that date.
#
# The core's and the server's tests take "now" from JIESU_CLOCK_AT (tests/it/common.rs);
# the app, jiesu-server and jiesu-replica start their clocks at it, and the journeys' harness
# keeps every process it starts on one running timeline from it.
set -euo pipefail
cd "$(dirname "$0")/.."

dates=(
  "2027-01-01T09:30:00+08:00" # New Year's Day: a holiday; the first of a year, quarter, month
  "2026-12-31T23:59:00+08:00" # 23:59 China time on the last day of a year: midnight mid-run
  "2028-02-29T10:00:00+08:00" # 29 February, in a year the shipped calendar does not cover
  "2026-10-04T10:00:00+08:00" # inside the National Day week
  "2026-10-10T11:00:00+08:00" # a 调休 Saturday, worked in place of a holiday
  "2027-02-28T16:00:00+08:00" # the last day of a short month, a Sunday
)

all=0
[ "${1:-}" = "--all" ] && all=1
if [ -n "${JIESU_CLOCK_AT:-}" ]; then
  chosen=("$JIESU_CLOCK_AT")
elif [ $all = 1 ]; then
  chosen=("${dates[@]}")
else
  day=$(($(date +%s) / 86400))
  chosen=("${dates[$((day % ${#dates[@]}))]}")
fi

app="${JIESU_APP:-$PWD/target/debug/jiesu}"
for at in "${chosen[@]}"; do
  echo "=== awkward date: JIESU_CLOCK_AT=$at"
  if [ $all = 1 ]; then
    JIESU_CLOCK_AT="$at" cargo test --workspace
    JIESU_CLOCK_AT="$at" JIESU_APP="$app" tests/e2e/run.sh
  else
    JIESU_CLOCK_AT="$at" cargo test -p jiesu-core --test integration
    JIESU_CLOCK_AT="$at" JIESU_APP="$app" tests/e2e/run.sh figures.test.mjs
  fi
  echo "=== passed on $at"
done
