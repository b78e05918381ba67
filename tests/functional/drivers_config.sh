#!/usr/bin/env bash
# drivers_config.sh: every configuration shipped in drivers-config/ passes
# `srtpfwd --check-config`, and every script there is valid bash and prints
# its usage (exit 2) when called wrongly. Args: the srtpfwd binary.
set -u
bin=$(realpath "$1")
cd "$(dirname "$0")/../.." || exit 1
fail=0
n=0
for f in drivers-config/*.yaml; do
	n=$((n + 1))
	if out=$("$bin" --check-config "$f" 2>&1); then
		echo "ok   $out"
	else
		echo "FAIL $f: $out"
		fail=$((fail + 1))
	fi
done
[ "$n" -ge 10 ] || { echo "FAIL only $n configurations shipped"; fail=$((fail + 1)); }
for s in drivers-config/*.sh; do
	if ! bash -n "$s"; then
		echo "FAIL $s: syntax"
		fail=$((fail + 1))
		continue
	fi
	bash "$s" frobnicate >/dev/null 2>&1
	r=$?
	if [ "$r" = 2 ]; then echo "ok   $s: usage on a bad command"; else
		echo "FAIL $s frobnicate: exit $r, want 2"
		fail=$((fail + 1))
	fi
done
# ring.yaml needs no kernel or device: start it for real, briefly
if out=$("$bin" --config drivers-config/ring.yaml -- --duration 1 2>&1) &&
	echo "$out" | grep -q "^net_ring0 "; then
	echo "ok   ring.yaml: started, forwarded, stopped"
else
	echo "FAIL ring.yaml did not run: $out"
	fail=$((fail + 1))
fi
exit $((fail != 0))
