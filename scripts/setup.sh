#!/usr/bin/env bash
# Installs what building, running and testing Jiesu need on Debian/Ubuntu, skipping what is
# already there. `scripts/setup.sh` for running the app; `scripts/setup.sh --test` adds the
# real-window test tools (Xvfb, WebKitWebDriver, tauri-driver, selenium, a D-Bus session and
# dunst to receive notifications), Chromium and its driver for the server's web page, the
# Python clients of the server's Open311 endpoint (a venv in target/open311-venv), PostgreSQL,
# and LibreOffice + poppler to read exported documents back.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

pkgs=(libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev file fonts-wqy-microhei)
if [ $want_test = 1 ]; then
  pkgs+=(xvfb xauth webkit2gtk-driver postgresql chromium chromium-driver python3-venv)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

# The export tests open the .docx in LibreOffice and read its PDF back, and read the .xlsx
# reports with openpyxl; without recommends the writer is ~150 MB instead of ~600. The
# overdue journey reads the desktop notifications a real notification daemon (dunst, on a
# session bus of its own) shows.
if [ $want_test = 1 ]; then
  docs=()
  for p in libreoffice-writer-nogui poppler-utils python3-openpyxl dbus dunst; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || docs+=("$p")
  done
  if [ ${#docs[@]} -gt 0 ]; then
    echo "setup: installing ${docs[*]}"
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    [ ${#missing[@]} -gt 0 ] || $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${docs[@]}"
  fi
fi

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "setup: $1 is required ($2)" >&2; exit 1; }
}
need cargo "Rust 1.95 or newer, from rustup"
need node "Node.js 20.19 or newer"
need npm "npm, which comes with Node.js"

# Install the UI's packages when the lockfile changed since the last install.
npm_ci() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund)
  fi
}
npm_ci ui

if [ $want_test = 1 ]; then
  npm_ci tests/e2e
  # The Open311 conformance test drives the server with third-party clients from PyPI
  # (georeport, civicbot) and checks every answer with jsonschema and xmlschema.
  venv=target/open311-venv
  if [ ! -f "$venv/.installed" ] || [ tests/open311/requirements.txt -nt "$venv/.installed" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r tests/open311/requirements.txt
    touch "$venv/.installed"
  fi
  if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
    cargo install tauri-driver --version '^2' --locked
  fi
fi
