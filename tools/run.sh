#!/usr/bin/env bash
# One entry point for a fresh Debian/Ubuntu machine with Python 3.11:
#   bash tools/run.sh demo [ARGS...]   install what is missing, then run the offline demo
#   bash tools/run.sh test [ARGS...]   install what is missing, then run the whole test suite
#   bash tools/run.sh setup            only install
# Debian packages (festival + the SLT HTS voice, espeak-ng, a JDK and junit4 for the Android core tests,
# sox) are installed with apt-get when missing; Python packages go into ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${SPEEDYSPEECH_VENV:-$ROOT/.venv}
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3

APT_PACKAGES="festival festvox-us-slt-hts espeak-ng sox default-jdk-headless junit4"

ensure_apt() {
  local missing=()
  for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "[setup] apt-get install ${missing[*]}"
  local SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_venv() {
  "$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' || {
    echo "error: Python 3.11 is required (found $("$PY" --version 2>&1))" >&2; exit 1; }
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  # Reinstall only when setup.py changed since the last install.
  local stamp="$VENV/.speedyspeech-installed"
  local want
  want=$(sha256sum setup.py | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "[setup] pip install -e .[train,runtime,dev] into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[train,runtime,dev]"
    echo "$want" > "$stamp"
  fi
}

export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
cmd=${1:-}
shift || true
case "$cmd" in
  setup) ensure_apt; ensure_venv ;;
  demo)  ensure_apt; ensure_venv; exec "$VENV/bin/speedyspeech-tf" demo "$@" ;;
  test)
    ensure_apt; ensure_venv
    status=0
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests "$@" || status=$?
    if [ -x android_demo/run-core-tests.sh ]; then
      bash android_demo/run-core-tests.sh || status=$?
    fi
    exit $status ;;
  *) echo "usage: bash tools/run.sh {demo|test|setup} [ARGS...]" >&2; exit 2 ;;
esac
