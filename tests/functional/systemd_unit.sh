#!/usr/bin/env bash
# systemd_unit.sh: drivers-config/srtpfwd.service is a unit systemd accepts
# and starts srtpfwd the way srtpfwd accepts it.
#   - `systemd-analyze verify` passes with no message (the binary path
#     pointed at the build); without systemd-analyze, every line is a
#     [Section], a comment or Key=Value;
#   - the directives the service depends on are there, exactly;
#   - ExecStartPre and ExecStart are srtpfwd --check-config FILE and
#     --config FILE on the same file; those command lines, run on a shipped
#     configuration (ring.yaml) with systemd's RUNTIME_DIRECTORY, check it
#     and start srtpfwd, whose DPDK telemetry socket appears under
#     $RUNTIME_DIRECTORY/dpdk/<file-prefix>/.
# Usage: systemd_unit.sh path/to/srtpfwd drivers-config/srtpfwd.service drivers-config/ring.yaml
set -u
srtpfwd=$(realpath "$1")
unit=$(realpath "$2")
yaml=$(realpath "$3")
fails=0
dir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok   $*"; }

# ---- the unit parses ----
if command -v systemd-analyze >/dev/null; then
	sed "s#/usr/local/bin/srtpfwd#$srtpfwd#g" "$unit" >"$dir/srtpfwd.service"
	if out=$(systemd-analyze verify "$dir/srtpfwd.service" 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify: no message"
	else
		fail "systemd-analyze verify: $out"
	fi
else
	bad=$(grep -nvE '^(#.*|\[(Unit|Service|Install)\]|[A-Za-z]+=.*|)$' "$unit")
	[ -z "$bad" ] && ok "every line a section, comment or Key=Value" || fail "lines: $bad"
fi

# ---- what the service depends on ----
for line in "Type=simple" "Restart=on-failure" "LimitMEMLOCK=infinity" \
	"RuntimeDirectory=srtpfwd" "NoNewPrivileges=yes" "WantedBy=multi-user.target"; do
	grep -qxF "$line" "$unit" && ok "$line" || fail "missing: $line"
done
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
for c in CAP_NET_ADMIN CAP_NET_RAW CAP_IPC_LOCK CAP_SYS_RAWIO; do
	[[ " $caps " == *" $c "* ]] && ok "capability $c" || fail "CapabilityBoundingSet lacks $c"
done

# ---- its command lines are ones srtpfwd accepts ----
start=$(sed -n 's/^ExecStart=//p' "$unit")
pre=$(sed -n 's/^ExecStartPre=//p' "$unit")
read -r -a start_argv <<<"$start"
read -r -a pre_argv <<<"$pre"
if [ "${#start_argv[@]}" = 3 ] && [ "${start_argv[0]}" = /usr/local/bin/srtpfwd ] &&
	[ "${start_argv[1]}" = --config ] && [ "${pre_argv[*]}" = \
	"/usr/local/bin/srtpfwd --check-config ${start_argv[2]}" ]; then
	ok "ExecStartPre --check-config and ExecStart --config on ${start_argv[2]}"
else
	fail "ExecStart '$start', ExecStartPre '$pre'"
fi
if out=$("$srtpfwd" "${pre_argv[1]}" "$yaml" 2>&1); then
	ok "ExecStartPre's options on $(basename "$yaml"): $out"
else
	fail "ExecStartPre's options refused: $out"
fi
prefix=srtpfwd_unit$$
RUNTIME_DIRECTORY=$dir "$srtpfwd" "${start_argv[1]}" "$yaml" --file-prefix "$prefix" \
	-- --duration 3 >"$dir/log" 2>&1 &
pid=$!
sock=$dir/dpdk/$prefix/dpdk_telemetry.v2
for _ in $(seq 30); do
	[ -S "$sock" ] && break
	sleep 0.1
done
[ -S "$sock" ] && ok "telemetry socket under \$RUNTIME_DIRECTORY/dpdk/$prefix/" ||
	fail "no telemetry socket at $sock: $(cat "$dir/log")"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ] && grep -q "^net_ring0 " "$dir/log" && ok "ExecStart's options: started, ran, stopped (exit 0)" ||
	fail "ExecStart's options: exit $rc: $(cat "$dir/log")"
echo "$fails failed"
exit $((fails != 0))
