#!/usr/bin/env bash
# Runs real-window journeys (all of them, or the files named) under a fresh Xvfb display and a
# D-Bus session bus of their own. Xvfb comes first, so anything on the bus sees its display;
# the bus activates nothing (session-bus.conf): the notification journey starts its own
# daemon. JIESU_APP names the app binary; JIESU_CLOCK_AT pins the run's clock (harness.mjs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(journeys.test.mjs meetings.test.mjs figures.test.mjs desk.test.mjs clock.test.mjs accounts.test.mjs backup.test.mjs encryption.test.mjs imports.test.mjs secretary.test.mjs day.test.mjs lookup.test.mjs campaigns.test.mjs)
cd "$here"
# NO_AT_BRIDGE: GTK would look for the accessibility bus, which nothing activates here.
exec xvfb-run -a dbus-run-session --config-file="$here/session-bus.conf" -- \
  env NO_AT_BRIDGE=1 node --test --test-concurrency=1 --test-timeout=900000 "${files[@]}"
