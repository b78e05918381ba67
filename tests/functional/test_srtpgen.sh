#!/usr/bin/env bash
# test_srtpgen.sh: srtpgen against the real srtpfwd between network
# namespaces, as an operator would use them.
#
#   ns D: srtpfwd                                  ns G: srtpgen (DPDK, net_af_packet)
#   sfa 10.201.0.1 fd01::1 (port 0) ====veth==== gA  side 0's peers
#   sfb 10.202.0.1 fd02::1 (port 1) ====veth==== gB  side 1's peers
#
# 1. srtpgen pcap writes the pcaps and the script (v4 AES_CM_128_HMAC_SHA1_80
#    both legs; v6 AEAD_AES_128_GCM in, plain out); the script (mode 0600)
#    goes through the real srtpfwd-ctl -f; srtpgen gen replays each pcap,
#    both directions, and every frame must come out of the other side and
#    verify (unprotect with the other leg's key, bytes as sent). srtpfwd's
#    own counters must show exactly that many unprotects and protects and
#    no SRTP drop.
# 2. srtpgen gen creates 20 sessions over the control socket itself, sends
#    500 packets/s for a second and must get every one back verified; it
#    deletes its sessions (srtpfwd's count goes back to 8).
# 3. No key of the scripts appears in anything srtpfwd or srtpgen printed;
#    srtpfwd exits 0 on SIGTERM.
# Needs root and iproute2: exit 77 (skip) otherwise. About 15 s.
set -u
[ $# = 3 ] || { echo "usage: $0 SRTPFWD SRTPFWD-CTL SRTPGEN" >&2; exit 2; }
SRTPFWD=$(realpath "$1")
CTL=$(realpath "$2")
GEN=$(realpath "$3")
[ "$(id -u)" = 0 ] || { echo "skip: needs root"; exit 77; }
command -v ip >/dev/null || { echo "skip: needs iproute2"; exit 77; }

D=sggD$$
G=sggG$$
TMP=$(mktemp -d /tmp/srtpgen_func.XXXXXX)
SOCK=$TMP/ctl.sock
PID=
cleanup() {
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	ip netns del "$D" 2>/dev/null
	ip netns del "$G" 2>/dev/null
	rm -rf "$TMP"
	rmdir "/var/run/dpdk/sggd$$" "/var/run/dpdk/sggg$$" 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() {
	echo "FAIL: $*"
	exit 1
}

ip netns add "$D" 2>/dev/null || { echo "skip: cannot make namespaces"; exit 77; }
ip netns add "$G" || fail "ip netns add"
(
	set -e
	ip -n "$D" link add sfa type veth peer name gA netns "$G"
	ip -n "$D" link add sfb type veth peer name gB netns "$G"
	# no IPv6 in the kernels on these links: only what the test sends
	ip netns exec "$D" sysctl -qw net.ipv6.conf.sfa.disable_ipv6=1 net.ipv6.conf.sfb.disable_ipv6=1
	ip netns exec "$G" sysctl -qw net.ipv6.conf.gA.disable_ipv6=1 net.ipv6.conf.gB.disable_ipv6=1
	for i in sfa sfb; do ip -n "$D" link set "$i" up; done
	for i in lo gA gB; do ip -n "$G" link set "$i" up; done
) || fail "lab set-up"
mac() { ip -n "$1" -br link show "$2" | awk '{print $3}'; }
MACS="--fwd0-mac $(mac "$D" sfa) --fwd1-mac $(mac "$D" sfb) --peer0-mac $(mac "$G" gA) --peer1-mac $(mac "$G" gB)"

ip netns exec "$D" "$SRTPFWD" --no-huge --no-pci --no-shconf --no-telemetry -m 512 -l 0,1 \
	--file-prefix="sggd$$" -- --port net_af_packet0,iface=sfa --port net_af_packet1,iface=sfb \
	--addr 0:10.201.0.1/24 --addr 0:fd01::1/64 --addr 1:10.202.0.1/24 --addr 1:fd02::1/64 \
	--ports 20000-29999 --sessions 256 --stats 0 --ctl-unix "$SOCK" >"$TMP/srtpfwd.log" 2>&1 &
PID=$!
for _ in $(seq 100); do
	[ -S "$SOCK" ] && "$CTL" -s "$SOCK" hello >/dev/null 2>&1 && break
	kill -0 "$PID" 2>/dev/null || { cat "$TMP/srtpfwd.log"; fail "srtpfwd exited"; }
	sleep 0.1
done
"$CTL" -s "$SOCK" hello >/dev/null || fail "srtpfwd not ready"

EAL="--no-huge --no-pci --no-shconf --no-telemetry -m 256 -l 0 --file-prefix=sggg$$ \
--log-level=*:warning --vdev net_af_packet0,iface=gA --vdev net_af_packet1,iface=gB"
gen() { # gen OUTPUT ARGS...: srtpgen gen in namespace G
	local out=$1
	shift
	# shellcheck disable=SC2086
	timeout 60 ip netns exec "$G" "$GEN" gen $EAL -- "$@" >"$out" 2>&1
}
stat_of() { "$CTL" -s "$SOCK" stats | awk -v k="$1" '$1 == k { print $2 }'; }

# ---- 1. pcap + script + srtpfwd-ctl -f + replay, both directions ----
n=0
for c in "4 AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_80 24000" \
	"6 AEAD_AES_128_GCM plain 25000"; do
	# shellcheck disable=SC2086 # the fields of the case, split on purpose
	set -- $c
	ip=$1 suite=$2 out_suite=$3 port=$4
	p=$TMP/c$ip
	# shellcheck disable=SC2086
	"$GEN" pcap --ip "$ip" --suite "$suite" --out-suite "$out_suite" --sessions 4 \
		--packets 50 --local-port "$port" --id "$port" $MACS --out "$p" >"$p.out" 2>&1 ||
		fail "srtpgen pcap: $(cat "$p.out")"
	[ "$(stat -c %a "$p.ctl")" = 600 ] || fail "$p.ctl: mode $(stat -c %a "$p.ctl")"
	"$CTL" -s "$SOCK" -f "$p.ctl" >"$p.ctl.out" 2>&1 || fail "srtpfwd-ctl -f: $(cat "$p.ctl.out")"
	[ "$(grep -c '^slot' "$p.ctl.out")" = 4 ] || fail "srtpfwd-ctl -f: $(cat "$p.ctl.out")"
	for d in 0 1; do
		f=$p.pcap
		[ $d = 1 ] && f=$p-rev.pcap
		gen "$p.gen$d" --ip "$ip" --script "$p.ctl" --pcap "$f" --dir "$d" --rate 1000 \
			--duration 1 || fail "srtpgen gen --pcap $f: $(cat "$p.gen$d")"
		grep -q "^srtpgen mode=gen .* ip=$ip sessions=4 size=160 offered_pps=200 received_pps=200 loss=0 p50_us=0.0 p99_us=0.0 verified=200/200$" "$p.gen$d" ||
			fail "replay of $f: $(cat "$p.gen$d")"
		n=$((n + 200))
		echo "ok   replay IPv$ip $suite/$out_suite dir $d: 200/200 forwarded and verified"
	done
done
# v4: every frame unprotected and protected (both ways); v6: GCM in and
# plain out one way, plain in and GCM out the other: 600 of each.
[ "$(stat_of srtp_unprotected)" = 600 ] || fail "srtp_unprotected $(stat_of srtp_unprotected), not 600"
[ "$(stat_of srtp_protected)" = 600 ] || fail "srtp_protected $(stat_of srtp_protected), not 600"
for k in drop.srtp_auth drop.srtp_replay drop.no_session drop.udp_csum drop.no_nexthop drop.tx_full; do
	[ "$(stat_of $k)" = 0 ] || fail "$k = $(stat_of $k)"
done
[ "$(stat_of sessions)" = 8 ] || fail "sessions $(stat_of sessions), not 8"
echo "ok   srtpfwd counters: 600 unprotected, 600 protected, no SRTP drop"

# ---- 2. gen mode with its own sessions over the control socket ----
o=$TMP/gen.out
gen "$o" --ctl "$SOCK" --sessions 20 --suite AES_CM_128_HMAC_SHA1_80 --out-suite AEAD_AES_256_GCM \
	--size 100 --rate 500 --duration 1 --local-port 26000 --id 1000 ||
	fail "srtpgen gen: $(cat "$o")"
line=$(grep '^srtpgen mode=gen ' "$o") || fail "no result line: $(cat "$o")"
case $line in
"srtpgen mode=gen suite=AES_CM_128_HMAC_SHA1_80/AEAD_AES_256_GCM ip=4 sessions=20 size=100 "*) ;;
*) fail "result line: $line" ;;
esac
v=${line##*verified=}
got=${v%/*}
all=${v#*/}
if [ "$got" != "$all" ] || [ "$got" -lt 490 ] || [ "$got" -gt 500 ]; then
	fail "verified: $line"
fi
case $line in *" loss=0 "*) ;; *) fail "loss: $line" ;; esac
grep -q '^warm-up: 20 of 20 sessions forwarding$' "$o" || fail "warm-up: $(cat "$o")"
[ "$(stat_of sessions)" = 8 ] || fail "srtpgen left sessions: $(stat_of sessions), not 8"
echo "ok   gen: 20 sessions created, $got/$all verified, no loss, sessions deleted"

# ---- 3. keys never printed; srtpfwd stops cleanly ----
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
[ $rc = 0 ] || fail "srtpfwd exit code $rc"
keys=$(grep -oh 'inline:[A-Za-z0-9+/=]*' "$TMP"/c*.ctl | cut -d: -f2)
[ "$(echo "$keys" | wc -l)" = 24 ] || fail "expected 24 keys in the scripts"
for k in $keys; do
	grep -rqF -- "$k" "$TMP"/srtpfwd.log "$TMP"/*.out "$TMP"/*.gen? && fail "a key was printed"
done
echo "ok   no key printed; srtpfwd exited 0"
echo "test_srtpgen: all passed"
