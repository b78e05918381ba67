#!/usr/bin/env bash
# bench/demo.sh: the demo command (README). Installs what is missing,
# builds, then runs srtpfwd's main job end to end (bench/call_demo.c):
# network namespaces and veths, srtpfwd on net_af_packet with --no-huge
# from a built-in configuration, a demo controller setting up calls over
# the control socket, and libsrtp2 peers sending SRTP/RTP both ways for
# 20 seconds. Ends with "demo: PASS ..." or "demo: FAIL <reason>"; exit
# code 0 only on PASS. Everything it creates is removed, also on Ctrl-C.
#
#   bash bench/demo.sh                  the call demo, 20 s
#   bash bench/demo.sh --duration 60 --per-shape 20   longer, 100 calls
#   bash bench/demo.sh --quick          5 s
#   bash bench/demo.sh --crypto         every suite through the burst engine
#                                       against libsrtp2, and the crypto benchmark
# Safe to run twice. Needs root (namespaces, apt-get).
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/deps.sh
srtpfwd_deps || { echo "demo: FAIL could not install the packages it needs"; exit 1; }
if [ ! -f build/build.ninja ]; then
	meson setup build >/dev/null || { echo "demo: FAIL meson setup"; exit 1; }
fi
ninja -C build >/dev/null || { ninja -C build; echo "demo: FAIL build"; exit 1; }

case "${1:-}" in
--crypto)
	shift
	echo "== SRTP/SRTCP through srtpfwd's burst engine, every suite, against libsrtp2"
	./build/bench/crypto_demo || exit 1
	echo
	echo "== crypto benchmark (one core; packets/s; ratios vs libsrtp2 and raw ipsec-mb)"
	./build/bench/crypto_bench "$@" || exit 1
	echo
	./build/bench/crypto_demo | tail -1
	;;
--quick)
	shift
	exec ./build/bench/call_demo --srtpfwd build/control/srtpfwd --duration 5 "$@"
	;;
*)
	exec ./build/bench/call_demo --srtpfwd build/control/srtpfwd "$@"
	;;
esac
