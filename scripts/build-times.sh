#!/usr/bin/env bash
# Build times of the core and the server at two commits, same machine, same hour:
#   scripts/build-times.sh BEFORE AFTER
# Each commit is checked out in a worktree under /tmp and built in the one target directory
# (so the third-party crates are built once, by warm-ups, and only the project's crates are
# timed). Per commit: the core library from its project crates up; the server likewise; the server after an edit of the
# core's store (a new function in store/mod.rs: a change the server has no reason to see); the
# core library after another such edit; and how many crates the server's normal build compiles.
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
    # Warm-ups: the third-party crates each build below needs, with its features.
    cargo build -q -p jiesu-server >/dev/null 2>&1
    cargo build -q -p jiesu-core --lib >/dev/null 2>&1
    clean() {
      cargo clean -q -p jiesu-server -p jiesu-core
      if [ -d crates/jiesu-protocol ]; then cargo clean -q -p jiesu-protocol; fi
    }
    clean
    core=$(secs cargo build -p jiesu-core --lib)
    clean
    server=$(secs cargo build -p jiesu-server)
    edit() { printf '\n#[allow(dead_code)]\nfn build_times_edit_%s() -> u32 {\n    %s\n}\n' "$1" "$1" >>crates/jiesu-core/src/store/mod.rs; }
    edit 1
    server_after_store=$(secs cargo build -p jiesu-server)
    edit 2
    core_after_store=$(secs cargo build -p jiesu-core --lib)
    git checkout -q -- crates/jiesu-core/src/store/mod.rs
    crates=$(cargo tree -p jiesu-server -e normal --prefix none | sort -u | wc -l)
    echo "$rev: core lib from project crates ${core}s; server from project crates ${server}s; server after a store edit ${server_after_store}s; core lib after a store edit ${core_after_store}s; server's crates $crates"
  )
  git worktree remove --force "$wt"
done
