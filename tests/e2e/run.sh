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
run() {
  # NO_AT_BRIDGE: GTK would look for the accessibility bus, which nothing activates here.
  xvfb-run -a dbus-run-session --config-file="$here/session-bus.conf" -- \
    env NO_AT_BRIDGE=1 node --test --test-reporter=tap --test-concurrency=1 --test-timeout=900000 "$@"
}
# WebKit's web process can crash inside Mesa's software GL, which the journeys render with
# (2026-12-07: segfaults in swrast_dri.so on WebKit's Skia GPU and compositor threads, twice
# in a day of journeys, each time while the machine was busy; not this code). The journey
# then fails on whatever WebDriver says of a page that is gone. When the kernel logged such a
# crash during the run (or WebDriver said the page crashed), the files that failed run once
# more, said loudly; a failure that is ours fails again there and fails the run.
crashes() { { dmesg 2>/dev/null || true; } | grep -cE 'segfault at .* in (swrast_dri|libgallium|libLLVM|libwebkit2gtk|libjavascriptcoregtk)' || true; }
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
before="$(crashes)"
if run "${files[@]}" | tee "$log"; then exit 0; fi
if [ "$(crashes)" = "$before" ] && ! grep -q 'page crash or hang' "$log"; then exit 1; fi
failed="$(awk '
  /^not ok / { open = 1; file = ""; next }
  open && /^  location: / { file = $0; sub(/^  location: .?/, "", file); sub(/\.mjs:.*/, ".mjs", file) }
  open && /^  \.\.\.$/ { open = 0; if (file == "") { print "OTHER"; exit } ; seen[file] = 1 }
  END { for (f in seen) print f }' "$log")"
if [ -z "$failed" ] || grep -qx OTHER <<<"$failed"; then exit 1; fi
echo "=== WebKit's web process crashed during the run: running once more: $failed"
# shellcheck disable=SC2086 # one path a line, none with spaces
run $failed
