#!/usr/bin/env bash
# Creates .venv with the pinned dependencies and checks the tools the launcher needs.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup: '$1' is required: $2" >&2; exit 1; }; }
command -v python3.11 >/dev/null 2>&1 || need python3 "install Python 3.11"
need mvn "install Maven 3.8+ (Debian/Ubuntu: apt-get install maven)"
need go "install Go 1.22+ to build FerretDB (https://go.dev/doc/install)"
need java "install a Java 17 JDK (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless)"

PY=$(command -v python3.11 || command -v python3)
if ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "setup: Python 3.11 is required, found $("$PY" --version)" >&2; exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  rm -f .venv/.installed-*; touch "$stamp"
fi

# Debian packages for the dashboard: a Korean font for word clouds, Chromium for browser tests.
missing=()
[ -e /usr/share/fonts/truetype/nanum/NanumGothic.ttf ] || missing+=(fonts-nanum)
[ "${TWEEKTREND_SETUP_BROWSER:-1}" = 1 ] && { [ -x /usr/bin/chromium ] || missing+=(chromium); }
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: optional packages missing (${missing[*]}); install them with apt-get for word clouds and browser tests" >&2
  fi
fi
