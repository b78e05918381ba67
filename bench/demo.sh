#!/usr/bin/env bash
# bench/demo.sh: the demo command. Installs what is missing, builds, then
# (1) protects and unprotects a stream with every SRTP suite in bursts,
# cross-checked live against libsrtp2, and (2) prints the crypto benchmark
# table (srtpfwd vs libsrtp2 vs raw ipsec-mb). The forwarding demo through
# the DPDK dataplane joins it with the dataplane and operator work.
# Safe to run twice. Exit code 0 only if the cross-check passed.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/deps.sh
srtpfwd_deps || exit 1
if [ ! -f build/build.ninja ]; then
	meson setup build >/dev/null || exit 1
fi
ninja -C build >/dev/null || { ninja -C build; exit 1; }

echo "== SRTP/SRTCP through srtpfwd's burst engine, every suite, against libsrtp2"
./build/bench/crypto_demo || exit 1
echo
echo "== crypto benchmark (one core; packets/s; ratios vs libsrtp2 and raw ipsec-mb)"
./build/bench/crypto_bench "$@" || exit 1
echo
./build/bench/crypto_demo | tail -1
