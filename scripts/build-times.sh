#!/usr/bin/env bash
# Build times of the core and the server at two commits, same machine, same hour:
#   scripts/build-times.sh BEFORE AFTER
# Each commit is checked out in a worktree under /tmp and built in the one target directory
# (so the third-party crates are built once, by a warm-up, and only the project's crates are
# timed). Per commit: the server from its project crates up; the server after an edit of the
# core's store (a change the server has no reason to see); the core library after the same
# edit; and how many crates the server's normal build compiles.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { echo "usage: $0 BEFORE AFTER" >&2; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

secs() { local t0; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

for rev in "$@"; do
  wt=/tmp/jiesu-bt-$rev
  rm -rf "$wt"; git worktree prune
  git worktree add -q --detach "$wt" "$rev"
  (
    cd "$wt"
    cargo build -q -p jiesu-server >/dev/null 2>&1 # warm-up: third-party crates
    cargo clean -q -p jiesu-server -p jiesu-core
    [ -d crates/jiesu-protocol ] && cargo clean -q -p jiesu-protocol
    server=$(secs cargo build -p jiesu-server)
    touch crates/jiesu-core/src/store/mod.rs
    server_after_store=$(secs cargo build -p jiesu-server)
    touch crates/jiesu-core/src/store/mod.rs
    core_after_store=$(secs cargo build -p jiesu-core --lib)
    crates=$(cargo tree -p jiesu-server -e normal --prefix none | sort -u | wc -l)
    echo "$rev: server from project crates ${server}s; server after a store edit ${server_after_store}s; core lib after a store edit ${core_after_store}s; server's crates $crates"
  )
  git worktree remove --force "$wt"
done
