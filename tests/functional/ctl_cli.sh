#!/usr/bin/env bash
# ctl_cli.sh: srtpfwd-ctl against the real daemon. Starts srtpfwd on a
# net_null port with a unix control socket and a TLS 1.3 listener on
# loopback (certificates made here), then drives every command and checks
# its exact output and exit code: 0 done, 1 refused by the server (status
# and server text on stderr), 2 bad arguments (the message names the
# argument), 3 no server or a TLS failure. Keys go in with -f FILE or -f -;
# no output of any command, nor the daemon's log, may contain a key in
# base64 or hex. --json output must parse. One line per check.
# Usage: ctl_cli.sh path/to/srtpfwd path/to/srtpfwd-ctl
set -u
srtpfwd=$1
ctl=$2
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

# Every byte either command stream carried, for the key-leak check at the end.
all="$dir/all_output"
: >"$all"

# run EXPECTED_RC ARGS...: sets $out (stdout), $err (stderr), $rc.
run() {
	local want=$1
	shift
	out=$(timeout 20 "$ctl" -s "$dir/ctl.sock" "$@" 2>"$dir/stderr")
	rc=$?
	err=$(cat "$dir/stderr")
	printf '%s\n%s\n' "$out" "$err" >>"$all"
	[ "$rc" = "$want" ]
}

# expect NAME EXPECTED_RC EXPECTED_STDOUT ARGS...: exact stdout, no stderr.
expect() {
	local name=$1 want_rc=$2 want_out=$3
	shift 3
	if run "$want_rc" "$@" && [ "$out" = "$want_out" ] && [ -z "$err" ]; then
		ok "$name"
	else
		fail "$name: rc $rc (want $want_rc)"
		diff <(echo "$want_out") <(echo "$out") | head -20
		[ -n "$err" ] && echo "stderr: $err"
	fi
}

# refuse NAME EXPECTED_RC EXPECTED_STDERR ARGS...: exact stderr, empty stdout.
refuse() {
	local name=$1 want_rc=$2 want_err=$3
	shift 3
	if run "$want_rc" "$@" && [ "$err" = "$want_err" ] && [ -z "$out" ]; then
		ok "$name ($rc): $want_err"
	else
		fail "$name: rc $rc (want $want_rc), stderr '$err' (want '$want_err'), stdout '$out'"
	fi
}

# Keys: fixed bytes (key||salt), so a failure is reproducible.
b64() { printf "$1" | base64 -w0; }
hex() { printf "$1" | od -An -tx1 | tr -d ' \n'; }
k1='\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20\x21\x22\x23\x24\x25\x26\x27\x28\x29\x2a\x2b\x2c\x2d\x2e'
k2='\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad\xae\xaf\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xbb\xbc\xbd\xbe'
k3='\xc1\xc2\xc3\xc4\xc5\xc6\xc7\xc8\xc9\xca\xcb\xcc\xcd\xce\xcf\xd0\xd1\xd2\xd3\xd4\xd5\xd6\xd7\xd8\xd9\xda\xdb\xdc\xdd\xde\xdf\xe0\xe1\xe2\xe3\xe4\xe5\xe6\xe7\xe8\xe9\xea\xeb\xec\xed\xee'
K1=$(b64 "$k1")
K2=$(b64 "$k2")
K3=$(b64 "$k3") # 46 bytes: AES_256_CM_HMAC_SHA1_80

# ---- TLS material: a CA, the server (127.0.0.1), a client, a stranger ----
tls_ok=1
mkcert() { # name, subjectAltName, signing CA name (or "self")
	local n=$1 san=$2 ca=$3
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$dir/$n.key" -subj "/CN=$n" -out "$dir/$n.csr" 2>/dev/null || return 1
	if [ "$ca" = self ]; then
		openssl x509 -req -in "$dir/$n.csr" -signkey "$dir/$n.key" -days 2 \
			-extfile <(printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n') \
			-out "$dir/$n.pem" 2>/dev/null
	else
		openssl x509 -req -in "$dir/$n.csr" -CA "$dir/$ca.pem" -CAkey "$dir/$ca.key" \
			-CAcreateserial -days 2 -extfile <(printf 'subjectAltName=%s\n' "$san") \
			-out "$dir/$n.pem" 2>/dev/null
	fi
}
{ mkcert ca "" self && mkcert server "DNS:srtpfwd.test,IP:127.0.0.1" ca &&
	mkcert sip1 "DNS:sip1.test" ca && mkcert other_ca "" self &&
	mkcert stranger "DNS:sip1.test" other_ca; } || tls_ok=0
tls_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# ---- the daemon ----
tls_args=()
[ $tls_ok = 1 ] && tls_args=(--ctl-tls "127.0.0.1:$tls_port" --tls-ca "$dir/ca.pem"
	--tls-cert "$dir/server.pem" --tls-key "$dir/server.key" --tls-allow sip1.test)
"$srtpfwd" --no-huge --no-pci -m 256 --no-shconf --file-prefix="srtpfwd_ctlcli$$" \
	--log-level='*:warning' -l 0,1 -- --port net_null0 --addr 0:192.0.2.1/24 --addr 0:2001:db8::1/64 \
	--ctl-unix "$dir/ctl.sock" "${tls_args[@]}" --ctl-idle 2 --duration 100 --stats 0 \
	>"$dir/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	[ -S "$dir/ctl.sock" ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ ! -S "$dir/ctl.sock" ]; then
	echo "FAIL: the daemon did not come up: $(cat "$dir/daemon.log")"
	exit 1
fi
ok "daemon up"

# ---- hello ----
expect "hello" 0 "server   srtpfwd
version  1
msg_max  65536" hello

# ---- create an SRTP <-> RTP session from a 0600 file ----
cat >"$dir/create.txt" <<EOF
# leg 0: SRTP towards the caller; leg 1: plain RTP with rtcp-mux
create id=42 timeout=0 leg0.addr=0 leg0.remote=192.0.2.10:4000 leg0.in=AES_CM_128_HMAC_SHA1_80:inline:$K1 leg0.out=AES_CM_128_HMAC_SHA1_80:inline:$K2|4d4b leg1.addr=0 leg1.remote=192.0.2.11:5000 leg1.mux leg1.dscp=46
EOF
chmod 600 "$dir/create.txt"
expect "create from -f (0600)" 0 "slot       1
leg0.port  16384
leg1.port  16386" -f "$dir/create.txt"

zeros() { for n in "$@"; do printf '%s  0\n' "$n"; done; }
srtp_names() {
	for s in srtp_in srtcp_in srtp_out srtcp_out; do
		for c in packets bytes auth_fail replay dropped; do echo "leg$1.$s.$c"; done
	done
}
counters() { # the names, padded as the longest (leg0.srtcp_out.auth_fail)
	{
		for p in rtp rtcp; do for c in packets bytes dropped; do echo "leg0.$p.$c"; done; done
		srtp_names 0
		for p in rtp rtcp; do for c in packets bytes dropped; do echo "leg1.$p.$c"; done; done
	} | while read -r n; do printf '%-24s  0\n' "$n"; done
}
expect "get: legs, suites, counters" 0 "slot     1
id       42
timeout  never

leg  addr  port   remote           flags  dscp  in                       out
0    0     16384  192.0.2.10:4000  srtp   0     AES_CM_128_HMAC_SHA1_80  AES_CM_128_HMAC_SHA1_80
1    0     16386  192.0.2.11:5000  mux    46    -                        -

$(counters)" get slot=1

expect "list" 0 "slot
1" list

if run 0 stats && [ "$(awk '$1 == "sessions" { print $2 }' <<<"$out")" = 1 ] &&
	[ "$(awk '$1 == "sessions_max" { print $2 }' <<<"$out")" = 10000 ] && [ -z "$err" ]; then
	ok "stats: sessions 1, sessions_max 10000"
else
	fail "stats: rc $rc: $(head -3 <<<"$out") $err"
fi

# ---- re-key leg 0 inbound from stdin, a new outbound key, end the overlap ----
if out=$(printf 'update slot=1 leg=0 in=AES_256_CM_HMAC_SHA1_80:inline:%s\n' "$K3" |
	"$ctl" -s "$dir/ctl.sock" -f - 2>"$dir/stderr") &&
	[ "$out" = "updated slot 1 leg 0" ] && [ ! -s "$dir/stderr" ]; then
	ok "update in= from stdin"
else
	fail "update from stdin: '$out' $(cat "$dir/stderr")"
fi
printf '%s\n' "$out" >>"$all"
cat "$dir/stderr" >>"$all"
cat >"$dir/rekey.txt" <<EOF
update slot=1 leg=0 out=AES_CM_128_HMAC_SHA1_32:inline:$K1   # srtpfwd's new key
update slot=1 leg=0 end-overlap
update slot=1 leg=1 remote=192.0.2.12:6000
EOF
chmod 600 "$dir/rekey.txt"
expect "update out=, end-overlap, remote= (-f)" 0 "updated slot 1 leg 0
updated slot 1 leg 0
updated slot 1 leg 1" -f "$dir/rekey.txt"
if run 0 get slot=1 && [ "$(sed -n 6,7p <<<"$out")" = \
	"0    0     16384  192.0.2.10:4000  srtp   0     AES_256_CM_HMAC_SHA1_80  AES_CM_128_HMAC_SHA1_32
1    0     16386  192.0.2.12:6000  mux    46    -                        -" ]; then
	ok "get after re-key: new suites and remote"
else
	fail "get after re-key: $(sed -n 5,7p <<<"$out")"
fi

# ---- the server refuses: exit 1, status and server text ----
refuse "keys on an RTP leg" 1 \
	"srtpfwd-ctl: stdin:1: BAD_ATTRIBUTE: leg 1: keys given but the leg is not SRTP" \
	-f - < <(echo "update slot=1 leg=1 in=AES_CM_128_HMAC_SHA1_80:inline:$K1")
refuse "odd local port (ERROR_ATTR)" 1 \
	"srtpfwd-ctl: BAD_ATTRIBUTE: leg 0: LOCAL_PORT 3: need an even port (RTP; RTCP is the odd one above it) (attribute LOCAL_PORT)" \
	create id=1 leg0.addr=0 leg0.port=3 leg0.remote=192.0.2.10:4000 leg1.addr=0 leg1.latch
refuse "local address not configured" 1 \
	"srtpfwd-ctl: BAD_ATTRIBUTE: leg 1: local address 7 not configured (2 configured)" \
	create id=1 leg0.addr=0 leg0.remote=192.0.2.10:4000 leg1.addr=7 leg1.latch

# -f stops at the first failure: line 3 is never run.
printf 'get slot=1\ndelete slot=99\ncreate id=5 leg0.addr=0 leg0.latch leg1.addr=0 leg1.latch\n' \
	>"$dir/stop.txt"
chmod 600 "$dir/stop.txt"
if run 1 -f "$dir/stop.txt" && [ "$err" = "srtpfwd-ctl: $dir/stop.txt:2: NO_SESSION: no session in slot 99" ] &&
	[ "$(head -1 <<<"$out")" = "slot     1" ] && run 0 list && [ "$out" = "slot
1" ]; then
	ok "-f stops at the first failure (line 2 of 3; line 3 not run)"
else
	fail "-f stop: rc $rc, '$err', '$out'"
fi

# ---- events: nothing within a second; then a timeout event ----
expect "events wait=1: nothing" 0 "" events wait=1
# the daemon cuts clients silent for 2 s (--ctl-idle 2): events keeps alive
expect "events wait=4: kept alive past --ctl-idle 2" 0 "" events wait=4
"$ctl" -s "$dir/ctl.sock" events mask=timeout count=1 wait=10 >"$dir/ev.out" 2>&1 &
evpid=$!
sleep 0.5 # subscribed before the session exists
expect "create with timeout=1000" 0 "slot       2
leg0.port  16388
leg1.port  16390" create id=7 timeout=1000 leg0.addr=0 leg0.latch leg1.addr=0 leg1.latch
wait $evpid
evrc=$?
if [ $evrc = 0 ] && [ "$(cat "$dir/ev.out")" = "timeout slot=2 id=7" ]; then
	ok "events count=1: timeout slot=2 id=7"
else
	fail "events: rc $evrc, '$(cat "$dir/ev.out")'"
fi
cat "$dir/ev.out" >>"$all"

# ---- --json: one object per command, valid JSON ----
# Outputs are collected and checked by one python run (python3 can be slow
# to start): each must be one line, parse, and hold what is asserted.
json_n=0
json_check() { # name, python assertion on d, args
	local name=$1 py=$2
	shift 2
	json_n=$((json_n + 1))
	if run 0 --json "$@" && [ "$(wc -l <<<"$out")" = 1 ] && [ -z "$err" ]; then
		printf '%s\n' "$out" >"$dir/json.$json_n"
		printf '%s\t%s\t%s\n' "$json_n" "$name" "$py" >>"$dir/json.checks"
	else
		fail "--json $name: rc $rc: $out $err"
	fi
}
: >"$dir/json.checks"
json_check hello 'd == {"command": "hello", "server": "srtpfwd", "version": 1, "msg_max": 65536}' hello
json_check get 'd["slot"] == 1 and d["id"] == 42 and d["legs"][0]["suite_in"] == "AES_256_CM_HMAC_SHA1_80" and d["legs"][1]["suite_in"] is None and d["legs"][1]["flags"] == ["mux"] and d["legs"][1]["remote"] == "192.0.2.12:6000" and len(d["counters"]) == 32' get slot=1
json_check list 'd == {"command": "list", "slots": [1]}' list
json_check stats 'd["counters"]["sessions"] == 1 and d["counters"]["sessions_max"] == 10000' stats
json_check "stats slot=1" 'd["slot"] == 1 and d["counters"]["leg0.srtp_in.packets"] == 0' stats slot=1
json_check events 'd == {"command": "events", "events": []}' events wait=0
json_check delete 'd == {"command": "delete", "slot": 1}' delete slot=1
json_check "-f: one object per command" 'd["command"] == "list" and d["slots"] == []' -f - < <(printf 'list\n')
if cat "$dir"/json.[0-9]* | python3 -m json.tool --json-lines >/dev/null; then
	ok "--json: $json_n outputs parse with python3 -m json.tool"
else
	fail "--json: python3 -m json.tool refused an output"
fi
while read -r line; do
	case $line in
	"ok "*) ok "${line#ok }" ;;
	*) fail "$line" ;;
	esac
done < <(python3 - "$dir" <<'PY'
import json, sys
for line in open(sys.argv[1] + "/json.checks"):
    n, name, check = line.rstrip("\n").split("\t")
    try:
        d = json.load(open("%s/json.%s" % (sys.argv[1], n)))
        print(("ok --json " + name) if eval(check) else "--json %s: %r" % (name, d))
    except Exception as e:
        print("--json %s: %s" % (name, e))
PY
)
refuse "delete again" 1 "srtpfwd-ctl: NO_SESSION: no session in slot 1" delete slot=1
refuse "get deleted" 1 "srtpfwd-ctl: NO_SESSION: no session in slot 1" get slot=1
expect "list: empty" 0 "slot" list

# ---- usage errors: exit 2, the argument named, nothing sent ----
leg1="leg1.addr=0 leg1.latch"
refuse "unknown suite" 2 "srtpfwd-ctl: stdin:1: leg0.in: unknown suite 'AES_CM_128_HMAC_SHA1_99' (expected SUITE:inline:BASE64, SUITE one of AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AES_256_CM_HMAC_SHA1_80, AES_256_CM_HMAC_SHA1_32, AEAD_AES_128_GCM, AEAD_AES_256_GCM, NULL_HMAC_SHA1_80)" \
	-f - < <(echo "create id=1 leg0.addr=0 leg0.latch leg0.in=AES_CM_128_HMAC_SHA1_99:inline:$K1 $leg1")
refuse "bad base64" 2 "srtpfwd-ctl: stdin:1: leg0.out: the inline key is not valid base64" \
	-f - < <(echo "create id=1 leg0.addr=0 leg0.latch leg0.in=AES_CM_128_HMAC_SHA1_80:inline:$K1 leg0.out=AES_CM_128_HMAC_SHA1_80:inline:${K2:0:20}*${K2:21} $leg1")
refuse "key of the wrong length" 2 "srtpfwd-ctl: stdin:1: leg0.in: AES_CM_128_HMAC_SHA1_80 needs 30 bytes of key||salt (16+14), got 46" \
	-f - < <(echo "create id=1 leg0.addr=0 leg0.latch leg0.in=AES_CM_128_HMAC_SHA1_80:inline:$K3 $leg1")
refuse "GCM key length" 2 "srtpfwd-ctl: stdin:1: leg0.in: AEAD_AES_128_GCM needs 28 bytes of key||salt (16+12), got 30" \
	-f - < <(echo "create id=1 leg0.addr=0 leg0.latch leg0.in=AEAD_AES_128_GCM:inline:$K1 $leg1")
refuse "a key where the suite goes" 2 "srtpfwd-ctl: stdin:1: leg0.in: expected SUITE:inline:BASE64[|MKI_HEX] (value not shown)" \
	-f - < <(echo "create id=1 leg0.addr=0 leg0.latch leg0.in=$K1 $leg1")
refuse "bad MKI" 2 "srtpfwd-ctl: stdin:1: leg0.in: MKI: not hex digits" \
	-f - < <(echo "create id=1 leg0.addr=0 leg0.latch leg0.in=AES_CM_128_HMAC_SHA1_80:inline:$K1|zz $leg1")
refuse "misspelt key argument (value not echoed)" 2 "srtpfwd-ctl: stdin:1: create: unknown argument 'leg0.inn'" \
	-f - < <(echo "create id=1 leg0.addr=0 leg0.latch leg0.inn=AES_CM_128_HMAC_SHA1_80:inline:$K1 $leg1")
refuse "only one key" 2 "srtpfwd-ctl: stdin:1: create: leg0: an SRTP leg needs both leg0.in and leg0.out" \
	-f - < <(echo "create id=1 leg0.addr=0 leg0.latch leg0.in=AES_CM_128_HMAC_SHA1_80:inline:$K1 $leg1")
refuse "leg index 2" 2 "srtpfwd-ctl: create: 'leg2.addr': a session has leg0 and leg1 only" \
	create id=1 leg0.addr=0 leg0.latch leg2.addr=0
refuse "update leg=2" 2 "srtpfwd-ctl: update: leg='2': expected 0 or 1" update slot=1 leg=2 end-overlap
refuse "missing id" 2 "srtpfwd-ctl: create: id=N is required (the controller's own session id)" \
	create leg0.addr=0 leg0.latch $leg1
refuse "missing remote" 2 "srtpfwd-ctl: create: leg1.remote=IP:PORT is required (or leg1.latch to learn it)" \
	create id=1 leg0.addr=0 leg0.latch leg1.addr=0
refuse "bad remote" 2 "srtpfwd-ctl: create: leg0.remote='192.0.2.300:4000': expected IP:PORT or [V6]:PORT (port 1..65535)" \
	create id=1 leg0.addr=0 leg0.remote=192.0.2.300:4000 $leg1
refuse "dscp 64" 2 "srtpfwd-ctl: create: leg0.dscp='64': expected a number 0..63" \
	create id=1 leg0.addr=0 leg0.latch leg0.dscp=64 $leg1
refuse "flag with a value" 2 "srtpfwd-ctl: create: 'leg0.mux' is a flag and takes no value" \
	create id=1 leg0.addr=0 leg0.latch leg0.mux=1 $leg1
refuse "twice" 2 "srtpfwd-ctl: create: 'id' given twice" create id=1 id=2
refuse "update: nothing" 2 "srtpfwd-ctl: update: nothing to change (remote=, in=, out=, end-overlap)" \
	update slot=1 leg=0
refuse "delete: no slot" 2 "srtpfwd-ctl: delete: slot=N is required" delete
refuse "get slot=0" 2 "srtpfwd-ctl: get: slot='0': expected a number 1..4294967295" get slot=0
refuse "events mask" 2 "srtpfwd-ctl: events: mask: unknown event 'latch' (expected timeout, latched, auth, key or all, comma-separated)" \
	events mask=timeout,latch
refuse "unknown command" 2 "srtpfwd-ctl: unknown command 'remove' (hello, create, update, delete, get, list, stats, events)" \
	remove slot=1
refuse "list takes nothing" 2 "srtpfwd-ctl: list takes no arguments" list slot=1
refuse "-f with a command" 2 "srtpfwd-ctl: -f FILE and a command on the command line exclude each other" \
	-f "$dir/create.txt" list
refuse "TCP without TLS" 2 "srtpfwd-ctl: -s 127.0.0.1:1: TLS needs --ca, --cert and --key (there is no plaintext TCP)" \
	-s 127.0.0.1:1 hello
refuse "--timeout" 2 "srtpfwd-ctl: --timeout 'soon': expected milliseconds, 1..3600000" --timeout soon hello
if run 2 && grep -qF "expected a COMMAND or -f FILE" <<<"$err"; then
	ok "no command (2): usage"
else
	fail "no command: rc $rc: $err"
fi

# IPv6: the remote's family must be the local address's; [V6]:PORT shown back.
refuse "IPv6 remote on an IPv4 address" 1 \
	"srtpfwd-ctl: BAD_ATTRIBUTE: leg 1: remote is IPv6 but local address 0 is IPv4 (the leg's family)" \
	create id=6 leg0.addr=0 leg0.latch leg1.addr=0 leg1.remote=[2001:db8::7]:5000
if run 0 create id=6 leg0.addr=0 leg0.latch leg1.addr=1 leg1.remote=[2001:db8::7]:5000 leg1.mux &&
	slot=$(awk '$1 == "slot" { print $2 }' <<<"$out") && run 0 get slot="$slot" &&
	[ "$(sed -n 5,7p <<<"$out")" = "leg  addr  port   remote              flags  dscp  in  out
0    0     16392  -                   latch  0     -   -
1    1     16384  [2001:db8::7]:5000  mux    0     -   -" ] && run 0 delete slot="$slot"; then
	ok "IPv6 leg: [2001:db8::7]:5000 shown back; a latching leg with no remote yet shows -"
else
	fail "IPv6 leg: rc $rc: $out $err"
fi

# Key on the command line: done, with a warning; a world-readable file: warned.
if run 0 create id=9 leg0.addr=0 leg0.latch leg0.in="AES_CM_128_HMAC_SHA1_80:inline:$K1" \
	leg0.out="AES_CM_128_HMAC_SHA1_80:inline:$K2" $leg1 &&
	grep -qF "warning: keys on the command line are visible to other users" <<<"$err"; then
	ok "keys in argv: created, with a warning"
else
	fail "keys in argv: rc $rc: $err"
fi
slot=$(awk '$1 == "slot" { print $2 }' <<<"$out")
echo "delete slot=$slot" >"$dir/open.txt"
chmod 644 "$dir/open.txt"
if run 0 -f "$dir/open.txt" && [ "$out" = "deleted slot $slot" ] &&
	[ "$err" = "srtpfwd-ctl: warning: $dir/open.txt is readable by other users (mode 644); keys belong in a file of mode 0600" ]; then
	ok "-f of mode 0644: warned"
else
	fail "-f 0644: rc $rc: '$out' '$err'"
fi

# ---- no server: exit 3 ----
out=$(timeout 20 "$ctl" -s "$dir/none.sock" hello 2>&1)
rc=$?
[ $rc = 3 ] && [ "$out" = "srtpfwd-ctl: $dir/none.sock: No such file or directory" ] &&
	ok "no server (3): $out" || fail "no server: rc $rc: $out"
out=$(SRTPFWD_CTL="$dir/none.sock" timeout 20 "$ctl" list 2>&1)
rc=$?
[ $rc = 3 ] && [ "$out" = "srtpfwd-ctl: $dir/none.sock: No such file or directory" ] &&
	ok "SRTPFWD_CTL names the socket (3)" || fail "SRTPFWD_CTL: rc $rc: $out"

# ---- TLS 1.3 with client certificates ----
if [ $tls_ok = 1 ]; then
	tls=(--ca "$dir/ca.pem" --cert "$dir/sip1.pem" --key "$dir/sip1.key")
	if out=$("$ctl" -s "127.0.0.1:$tls_port" "${tls[@]}" --server-name srtpfwd.test hello 2>&1) &&
		[ "$out" = "server   srtpfwd
version  1
msg_max  65536" ]; then
		ok "TLS: hello"
	else
		fail "TLS hello: $out"
	fi
	out=$("$ctl" -s "127.0.0.1:$tls_port" "${tls[@]}" --server-name other.test hello 2>&1)
	rc=$?
	[ $rc = 3 ] && [ "$out" = "srtpfwd-ctl: 127.0.0.1:$tls_port: TLS handshake: peer certificate: hostname mismatch" ] &&
		ok "TLS: wrong server name (3): $out" || fail "TLS server name: rc $rc: $out"
	out=$("$ctl" -s "127.0.0.1:$tls_port" --ca "$dir/ca.pem" --cert "$dir/stranger.pem" \
		--key "$dir/stranger.key" hello 2>&1)
	rc=$?
	[ $rc = 3 ] && grep -q "^srtpfwd-ctl: 127.0.0.1:$tls_port: " <<<"$out" &&
		ok "TLS: client certificate of another CA (3): $out" || fail "TLS stranger: rc $rc: $out"
else
	fail "could not make TLS certificates with openssl"
fi

# ---- no key anywhere: every output, and the daemon's log once it stopped ----
kill "$pid"
wait "$pid"
drc=$?
pid=
[ $drc = 0 ] && ok "daemon stopped (0)" || fail "daemon exit $drc"
cat "$dir/daemon.log" >>"$all"
leak=0
for k in "$k1" "$k2" "$k3"; do
	h=$(hex "$k")
	for pat in "$(b64 "$k")" "${h:0:32}" "${h:32}" "$(b64 "$k" | cut -c1-16)"; do
		grep -qiF -- "$pat" "$all" && leak=1 && echo "key material found: $pat"
	done
done
# the key bytes themselves, as raw bytes
for k in "$k1" "$k2" "$k3"; do
	grep -qaF -- "$(printf "$k" | head -c 8)" "$all" && leak=1 && echo "raw key bytes found"
done
[ $leak = 0 ] && ok "no key (base64, hex, raw) in $(wc -l <"$all") lines of output and log" ||
	fail "key material printed"

[ $fails = 0 ] && echo "all passed" || echo "$fails failed"
exit $((fails > 0))
