#!/usr/bin/env bash
# tests/run.sh: the test command. Installs what is missing, builds srtpfwd
# (release with gcc, and a second build with clang, AddressSanitizer, UBSan,
# checked ipsec-mb submits and the libFuzzer targets), runs every test
# suite, then the unit, vector and interop suites again under the
# sanitizers, and each fuzz target for a bounded number of executions. The last line is "N passed, N failed"; the exit code is 0
# only when nothing failed. Safe to run twice.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/deps.sh
srtpfwd_deps || { echo "0 passed, 1 failed"; exit 1; }

jobs=$(nproc 2>/dev/null || echo 2)
rm -f build/meson-logs/testlog.json build-asan/meson-logs/testlog.json
failed_build=0

build() { # dir, meson options...
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 ||
			{ cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" -j "$jobs" >"$dir.ninja.log" 2>&1 || { tail -50 "$dir.ninja.log"; return 1; }
}

echo "== build (release)"
build build || failed_build=$((failed_build + 1))
echo "== build (clang: ASan + UBSan, ipsec-mb checked submits, fuzz targets)"
CC=clang build build-asan --buildtype=debugoptimized -Db_sanitize=address,undefined \
	-Db_lundef=false -Dbench=false -Dcrypto_check=true -Dfuzz=true ||
	failed_build=$((failed_build + 1))

# UBSan aborts on the first report so a finding fails its test.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp

echo "== tests (release)"
[ -f build/build.ninja ] && meson test -C build --print-errorlogs --num-processes "$jobs"
echo "== tests under ASan + UBSan (unit, vectors, interop, fuzz, functional)"
[ -f build-asan/build.ninja ] && meson test -C build-asan --print-errorlogs \
	--num-processes "$jobs" --suite unit --suite vectors --suite interop --suite fuzz \
	--suite functional \
	--timeout-multiplier 4

python3 - "$failed_build" <<'PY'
import json, os, sys
passed, failed = 0, int(sys.argv[1])
for d in ("build", "build-asan"):
    log = os.path.join(d, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        continue
    for line in open(log):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r != "SKIP":
            failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
PY
