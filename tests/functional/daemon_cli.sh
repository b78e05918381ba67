#!/usr/bin/env bash
# daemon_cli.sh: the srtpfwd binary itself. Starts it on a net_null port
# (a vdev that receives zero-filled frames as fast as it is polled) for one
# second: it must come up, account for every frame it received (all are
# "ethertype" drops), print its tables and exit 0. Then every malformed
# argument must be refused with exit code 2 and a message naming it, and a
# start that cannot work (no worker lcore, a device that does not exist)
# with exit code 1 and the reason.
# Usage: daemon_cli.sh path/to/srtpfwd
set -u
bin=$1
fails=0
eal=(--no-huge --no-pci -m 256 --no-shconf --file-prefix="srtpfwd_cli$$" --log-level='*:warning')

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

out=$(timeout 60 "$bin" "${eal[@]}" -l 0,1 -- --port net_null0 --addr 0:192.0.2.1/24 \
	--addr 0:2001:db8::1/64,gw=2001:db8::fe --duration 1 --stats 0 2>&1)
rc=$?
[ $rc = 0 ] || fail "net_null run exited $rc: $out"
rx=$(sed -n 's/^workers 1: rx \([0-9]*\) .*/\1/p' <<<"$out")
drop=$(sed -n 's/^  drop ethertype *\([0-9]*\) .*/\1/p' <<<"$out")
[ -n "$rx" ] && [ "$rx" -gt 0 ] || fail "no frames received: $out"
[ "$rx" = "$drop" ] || fail "rx $rx but ethertype drops $drop: $out"
grep -q "^sessions 0 " <<<"$out" || fail "no sessions line: $out"
echo "ok   net_null: $rx frames received, all counted as ethertype drops"

bad() { # expected exit code, expected message, args after --
	local want_rc=$1 want=$2
	shift 2
	local o r
	o=$(timeout 60 "$bin" "${eal[@]}" -l 0,1 -- "$@" 2>&1)
	r=$?
	if [ $r != "$want_rc" ] || ! grep -qF -- "$want" <<<"$o"; then
		fail "args '$*': want exit $want_rc and '$want', got $r: $(grep srtpfwd: <<<"$o")"
	else
		echo "ok   refused ($r): $*"
	fi
}
bad 2 "need at least one --port and one --addr" --port net_null0
bad 2 "prefix '33', need 0..32" --port net_null0 --addr 0:10.0.0.1/33
bad 2 "'10.0.0.300' is not an IPv4 or IPv6 address" --port net_null0 --addr 0:10.0.0.300/24
bad 2 "expected a prefix length" --port net_null0 --addr 0:10.0.0.1
bad 2 "expected PORT:IP/PREFIX" --port net_null0 --addr 9:10.0.0.1/24
bad 2 "gateway 'fd00::1' is not an IPv4 address" --port net_null0 --addr 0:10.0.0.1/24,gw=fd00::1
bad 2 "VLAN '4095', need 1..4094" --port net_null0 --addr 0:10.0.0.1/24,vlan=4095
bad 2 "unknown option 'mtu=9000'" --port net_null0 --addr 0:10.0.0.1/24,mtu=9000
bad 2 "--ports 3000-2000" --port net_null0 --addr 0:10.0.0.1/24 --ports 3000-2000
bad 2 "unexpected argument 'stray'" --port net_null0 --addr 0:10.0.0.1/24 stray
bad 1 "local address 0: port 1 not configured" --port net_null0 --addr 1:10.0.0.1/24
bad 1 "port net_bogus0: probe failed" --port net_bogus0 --addr 0:10.0.0.1/24
bad 2 "--ctl-tls needs --tls-ca, --tls-cert and --tls-key (there is no plaintext TCP)" \
	--port net_null0 --addr 0:10.0.0.1/24 --ctl-tls 127.0.0.1:0
bad 2 "--tls-* options need --ctl-tls" --port net_null0 --addr 0:10.0.0.1/24 --tls-ca /dev/null
bad 2 "--ctl-max-clients 0: need 1..1000000" --port net_null0 --addr 0:10.0.0.1/24 \
	--ctl-max-clients 0
bad 1 "CA /nonexistent/ca.pem" --port net_null0 --addr 0:10.0.0.1/24 --ctl-tls 127.0.0.1:0 \
	--tls-ca /nonexistent/ca.pem --tls-cert /nonexistent/c.pem --tls-key /nonexistent/k.pem
bad 1 "control socket /nonexistent/dir/ctl.sock" --port net_null0 --addr 0:10.0.0.1/24 \
	--ctl-unix /nonexistent/dir/ctl.sock

o=$(timeout 60 "$bin" "${eal[@]}" -l 0 -- --port net_null0 --addr 0:10.0.0.1/24 2>&1)
r=$?
if [ $r = 1 ] && grep -qF "no worker lcore" <<<"$o"; then
	echo "ok   refused (1): one lcore only"
else
	fail "one lcore: want exit 1 and 'no worker lcore', got $r: $o"
fi
[ $fails = 0 ] && echo "all passed" || echo "$fails failed"
exit $((fails > 0))
