#!/usr/bin/env bash
# One entry point for a fresh Debian/Ubuntu machine with Python 3.11:
#   bash tools/run.sh demo [ARGS...]   install what is missing, then run the offline demo
#   bash tools/run.sh test [ARGS...]   install what is missing, then run the whole test suite (+ the Java core)
#   bash tools/run.sh test --quick     the fast tier only (pytest -m "not slow"; under 3 minutes): edit-test loop
#   bash tools/run.sh bench [ARGS...]  regenerate every section of BENCHMARKS.md (benchmarks/run_all.py; hours)
#   bash tools/run.sh test-arm64       the Raspberry Pi path on arm64 under qemu (tools/check-arm64.sh; needs root)
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
    echo "[setup] pip install -e .[train,runtime,eval,dev] into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[train,runtime,eval,dev]"
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
    if [ "${1:-}" = "--quick" ]; then
      shift
      # The fast tier: no test marked slow, each test stopped after 120 s (pytest-timeout).
      exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider -m "not slow" --timeout=120 tests "$@"
    fi
    status=0
    "$VENV/bin/python" -m pytest -q -p no:cacheprovider tests "$@" || status=$?
    # The full-asset Java test must run (not be skipped) here: the venv exists.
    SPEEDYSPEECH_REQUIRE_FULL_ASSETS=1 PYTHON="$VENV/bin/python" bash android_demo/run-core-tests.sh || status=$?
    exit $status ;;
  bench) ensure_apt; ensure_venv; exec "$VENV/bin/python" benchmarks/run_all.py "$@" ;;
  test-arm64) ensure_venv; SPEEDYSPEECH_VENV="$VENV" exec bash tools/check-arm64.sh "$@" ;;
  *) echo "usage: bash tools/run.sh {demo|test [--quick]|bench|test-arm64|setup} [ARGS...]" >&2; exit 2 ;;
esac
