#!/usr/bin/env python3
"""test_observability.py: the srtpfwd binary's Prometheus endpoint and DPDK
telemetry commands, against STATS.

Starts srtpfwd on a net_null port that receives nothing (no-rx=1), with a
unix control socket, `--metrics 127.0.0.1:0` and telemetry on (no
--no-telemetry; its socket goes under a private RUNTIME_DIRECTORY), creates
sessions with srtpfwd-ctl, then checks:

  * telemetry: the welcome message, our four commands in "/", the exact
    sessions (addresses, ports, modes, suites, packets) by list and by
    slot, bad parameters refused and counted;
  * every STATS counter appears in /metrics and in telemetry under the name
    docs/counters.md gives it, with a value between two STATS reads taken
    before and after (equal when it did not move), and every /metrics
    sample is a STATS counter; the exposition format (HELP, TYPE, families
    together);
  * hostile HTTP: bad path 404, bad method 405 (Allow: GET), garbage 400,
    HTTP/2.0 505, an 8 KiB head 431, a slow head cut with 408 after the
    2 s deadline, 100 connections at once (16 held, 84 closed at once and
    counted, the held ones cut by the deadline); the control socket,
    telemetry and /metrics keep answering; every counter exact;
  * no key byte, in hex or base64, in any telemetry or metrics output or in
    the daemon's log; SIGTERM stops it with exit code 0.

Usage: test_observability.py path/to/srtpfwd path/to/srtpfwd-ctl path/to/docs/counters.md
"""
import base64
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

srtpfwd, ctl, counters_doc = (os.path.realpath(p) for p in sys.argv[1:4])
fails = 0
tmp = tempfile.mkdtemp(prefix="srtpfwd_obs")
prefix = "srtpfwd_obs%d" % os.getpid()
sock_path = os.path.join(tmp, "ctl.sock")
log_path = os.path.join(tmp, "daemon.log")
outputs = []  # everything telemetry and /metrics said, for the key check


def check(cond, what):
    global fails
    if cond:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        fails += 1
    sys.stdout.flush()
    return cond


# Keys: fixed bytes (key || salt), so a failure is reproducible.
K1 = bytes(range(0x11, 0x2F))  # 30 bytes: AES_CM_128 key and salt
K2 = bytes(range(0xA1, 0xBF))

# ---- the daemon ----
env = dict(os.environ, RUNTIME_DIRECTORY=tmp)
log = open(log_path, "w")
daemon = subprocess.Popen(
    [srtpfwd, "--no-huge", "--no-pci", "-m", "256", "--no-shconf", "--file-prefix=" + prefix,
     "--log-level=*:warning", "--log-level=srtpfwd.*:info", "-l", "0,1", "--",
     "--port", "net_null0,no-rx=1", "--addr", "0:192.0.2.1/24", "--addr", "0:2001:db8::1/64",
     "--ctl-unix", sock_path, "--metrics", "127.0.0.1:0", "--stats", "0", "--duration", "120"],
    stdout=log, stderr=subprocess.STDOUT, env=env)


def cleanup():
    if daemon.poll() is None:
        daemon.kill()
        daemon.wait()
    subprocess.run(["rm", "-rf", tmp])


def daemon_log():
    with open(log_path) as f:
        return f.read()


metrics_port = None
for _ in range(100):
    m = re.search(r"metrics on http://127\.0\.0\.1:0/metrics \(port (\d+)\)", daemon_log())
    if m and os.path.exists(sock_path):
        metrics_port = int(m.group(1))
        break
    if daemon.poll() is not None:
        break
    time.sleep(0.1)
if not check(metrics_port is not None, "daemon up, metrics port logged"):
    print(daemon_log())
    cleanup()
    sys.exit(1)
tel_path = os.path.join(tmp, "dpdk", prefix, "dpdk_telemetry.v2")
check(os.path.exists(tel_path), "telemetry socket in the runtime directory: " + tel_path)


# ---- clients ----
def ctl_run(*args, stdin=None):
    r = subprocess.run([ctl, "-s", sock_path, "--timeout", "5000"] + list(args),
                       input=stdin, capture_output=True, text=True, timeout=20)
    return r.returncode, r.stdout, r.stderr


def stats():
    rc, out, err = ctl_run("--json", "stats")
    assert rc == 0, err
    return json.loads(out)["counters"]


class Telemetry:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(5)
        self.s.connect(path)
        self.welcome = json.loads(self.s.recv(16384))

    def ask(self, cmd):
        self.s.send(cmd.encode())
        raw = self.s.recv(1 << 17)
        outputs.append(raw)
        return json.loads(raw)[cmd.split(",")[0]]


def http(raw, read_timeout=5.0):
    """Send raw bytes, read until the server closes. Returns (status, headers, body, secs)."""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", metrics_port), timeout=read_timeout)
    if raw:
        s.sendall(raw)
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    outputs.append(data)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.1 (\d{3}) ", lines[0]) if lines else None
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return (int(m.group(1)) if m else None), headers, body, time.monotonic() - t0


def metrics():
    st, h, body, _ = http(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert st == 200, st
    return h, body.decode()


def samples(text):
    """{'srtpfwd_x{a="1"}': value}, and the format checked line by line."""
    out, families, current, ok = {}, [], None, True
    for line in text.rstrip("\n").split("\n"):
        if line.startswith("# HELP "):
            current = line.split(" ")[2]
            ok &= current not in families
            families.append(current)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            ok &= name == current and kind in ("counter", "gauge")
            ok &= (kind == "counter") == name.endswith("_total")
        else:
            m = re.fullmatch(r'(srtpfwd_[a-z_]+)(\{[a-z]+="[a-z0-9_]+"(,[a-z]+="[a-z0-9_]+")*\})? (\d+)',
                             line)
            ok &= m is not None and m.group(1) == current
            if m:
                out[m.group(1) + (m.group(2) or "")] = int(m.group(4))
    return out, ok


# ---- docs/counters.md: how a STATS name is spelled elsewhere ----
rows = {}
for line in open(counters_doc):
    m = re.match(r"\| `([^`]+)` \| `(srtpfwd_[a-z_]+)(\{[a-z,]+\})?` \| (counter|gauge) \| `([^`]+)` \|",
                 line)
    if m:
        rows[m.group(1)] = (m.group(2), (m.group(3) or "{}")[1:-1], m.group(4), m.group(5))
check(len(rows) > 60, "docs/counters.md: %d counter rows" % len(rows))


def spelled(name):
    """STATS name -> (prometheus sample key, telemetry command, key path)."""
    vals = {}
    doc = name
    m = re.match(r"(port|worker)(\d+)\.(.*)", doc)
    if m:
        vals[m.group(1)] = m.group(2)
        doc = m.group(1) + "<i>." + m.group(3)
    m = re.match(r"(.*)drop\.([a-z_0-9]+)$", doc)
    if m:
        vals["reason"] = m.group(2)
        doc = m.group(1) + "drop.<reason>"
    metric, labels, kind, where = rows[doc]
    labels = [x for x in labels.split(",") if x]
    key = metric + ("{" + ",".join('%s="%s"' % (l, vals[l]) for l in labels) + "}" if labels else "")
    where = where.replace("<i>", vals.get("port", vals.get("worker", ""))).replace(
        "<reason>", vals.get("reason", ""))
    cmd, *path = where.split(".")
    return key, "/srtpfwd/" + cmd, path, kind


# ---- telemetry basics ----
tel = Telemetry(tel_path)
check(tel.welcome.get("pid") == daemon.pid and tel.welcome.get("max_output_len") == 16384 and
      tel.welcome.get("version", "").startswith("DPDK 22.11"),
      "telemetry welcome: pid %s, %s" % (tel.welcome.get("pid"), tel.welcome.get("version")))
cmds = tel.ask("/")
check(all(c in cmds for c in ("/srtpfwd/stats", "/srtpfwd/ports", "/srtpfwd/workers",
                              "/srtpfwd/sessions")), "'/' lists the four /srtpfwd/ commands")
help_text = tel.ask("/help,/srtpfwd/sessions")
check("slot" in json.dumps(help_text), "/help,/srtpfwd/sessions: %s" % help_text)
check(tel.ask("/srtpfwd/sessions") == {"count": 0, "max": 10000, "shown": 0},
      "/srtpfwd/sessions with none")
ports = tel.ask("/srtpfwd/ports")
check(ports["count"] == 1 and ports["0"]["name"] == "net_null0" and ports["0"]["port_id"] == 0
      and ports["0"]["ipackets"] == 0, "/srtpfwd/ports: net_null0, port id 0, nothing received")

# ---- sessions ----
b64 = lambda k: base64.b64encode(k).decode()
cmdfile = os.path.join(tmp, "create.txt")
with open(os.open(cmdfile, os.O_CREAT | os.O_WRONLY, 0o600), "w") as f:
    f.write("create id=42 timeout=30000 leg0.addr=0 leg0.remote=192.0.2.10:4000 "
            "leg0.in=AES_CM_128_HMAC_SHA1_80:inline:%s leg0.out=AES_CM_128_HMAC_SHA1_32:inline:%s "
            "leg1.addr=1 leg1.remote=[2001:db8::5]:5000 leg1.mux\n" % (b64(K1), b64(K2)))
    f.write("create id=43 leg0.addr=0 leg0.remote=192.0.2.11:4002 leg0.latch "
            "leg1.addr=0 leg1.remote=192.0.2.12:4004 leg1.passthrough\n")
rc, out, err = ctl_run("-f", cmdfile)
check(rc == 0 and out.count("slot") == 2, "two sessions created: %s %s" % (out.split(), err))
want1 = {"id": 42, "timeout_ms": 30000,
         "leg0_local": "192.0.2.1", "leg0_local_port": 16384, "leg0_remote": "192.0.2.10",
         "leg0_remote_port": 4000, "leg0_mode": "srtp", "leg0_rtcp_mux": 0, "leg0_latch": 0,
         "leg0_suite_in": "AES_CM_128_HMAC_SHA1_80", "leg0_suite_out": "AES_CM_128_HMAC_SHA1_32",
         "leg0_packets": 0,
         "leg1_local": "2001:db8::1", "leg1_local_port": 16384, "leg1_remote": "2001:db8::5",
         "leg1_remote_port": 5000, "leg1_mode": "rtp", "leg1_rtcp_mux": 1, "leg1_latch": 0,
         "leg1_suite_in": "none", "leg1_suite_out": "none", "leg1_packets": 0}
want2 = {"id": 43, "timeout_ms": 0,
         "leg0_local": "192.0.2.1", "leg0_local_port": 16386, "leg0_remote": "192.0.2.11",
         "leg0_remote_port": 4002, "leg0_mode": "rtp", "leg0_rtcp_mux": 0, "leg0_latch": 1,
         "leg0_suite_in": "none", "leg0_suite_out": "none", "leg0_packets": 0,
         "leg1_local": "192.0.2.1", "leg1_local_port": 16388, "leg1_remote": "192.0.2.12",
         "leg1_remote_port": 4004, "leg1_mode": "passthrough", "leg1_rtcp_mux": 0,
         "leg1_latch": 0, "leg1_suite_in": "none", "leg1_suite_out": "none", "leg1_packets": 0}
got = tel.ask("/srtpfwd/sessions")
check(got == {"count": 2, "max": 10000, "shown": 2, "1": want1, "2": want2},
      "/srtpfwd/sessions: both sessions exactly")
if got.get("1") != want1:
    print(json.dumps(got, indent=1))
check(tel.ask("/srtpfwd/sessions,2") == {"count": 2, "max": 10000, "shown": 1, "2": want2},
      "/srtpfwd/sessions,2: that one")
rc, out, err = ctl_run("delete", "slot=2")
check(rc == 0, "delete slot 2")
check(tel.ask("/srtpfwd/sessions,2") == {"error": "no session in slot 2"},
      "/srtpfwd/sessions,2 after delete: error")
check(tel.ask("/srtpfwd/sessions,1")["1"] == want1, "/srtpfwd/sessions,1 still there")
bad = [tel.ask("/srtpfwd/sessions,x"), tel.ask("/srtpfwd/sessions,0"), tel.ask("/srtpfwd/workers,7"),
       tel.ask("/srtpfwd/stats,1")]
check(bad == [{"error": "parameter: a session slot, from 1"}] * 2 +
      [{"error": "parameter: a worker index below 1"}, {"error": "this command takes no parameter"}],
      "bad parameters refused: %s" % bad)

# ---- every counter, three ways ----
s1 = stats()
tel_replies = {c: tel.ask(c) for c in ("/srtpfwd/stats", "/srtpfwd/ports", "/srtpfwd/workers",
                                       "/srtpfwd/workers,0")}
hdrs, text = metrics()
s2 = stats()
prom, fmt_ok = samples(text)
check(fmt_ok, "exposition format: HELP then TYPE per family, families together, samples parse")
check(hdrs.get("Content-Type") == "text/plain; version=0.0.4; charset=utf-8" and
      hdrs.get("Connection") == "close" and int(hdrs.get("Content-Length", -1)) == len(text),
      "200 headers: content type 0.0.4, Content-Length, Connection: close")
check(s2["sessions"] == 1 and prom["srtpfwd_sessions"] == 1 and
      tel_replies["/srtpfwd/stats"]["sessions"] == 1, "sessions: 1 in STATS, /metrics, telemetry")
moving = {"ctl.clients", "metrics.clients"}  # the readers themselves, connected or not
bad_m, bad_t, n_checked, n_equal = [], [], 0, 0
for name in sorted(set(s1) | set(s2)):
    lo, hi = s1.get(name, 0), s2.get(name, 0)
    key, cmd, path, kind = spelled(name)
    v = prom.get(key)
    t = tel_replies[cmd]
    for p in path:
        t = t.get(p) if isinstance(t, dict) else None
    n_checked += 1
    if name in moving:
        continue
    n_equal += lo == hi
    if v is None or not lo <= v <= hi:
        bad_m.append("%s=%s [%d, %d] as %s" % (name, v, lo, hi, key))
    if t is None or not lo <= t <= hi:
        bad_t.append("%s=%s [%d, %d] at %s %s" % (name, t, lo, hi, cmd, ".".join(path)))
check(not bad_m, "every STATS counter in /metrics, between the reads before and after (%d, %d "
      "unmoved) %s" % (n_checked, n_equal, bad_m[:5]))
check(not bad_t, "every STATS counter in telemetry, between the reads before and after %s" % bad_t[:5])
check(n_equal > 80, "most counters did not move, so most comparisons were exact: %d" % n_equal)
# ctl.clients: 0, or 1 when the control thread had not yet seen the last
# srtpfwd-ctl close by the time telemetry asked (CI, under load)
check(prom['srtpfwd_metrics_clients'] == 1 and tel_replies["/srtpfwd/stats"]["ctl"]["clients"] in (0, 1),
      "gauges: metrics.clients %s (this scrape, want 1), ctl.clients %s while telemetry asked "
      "(want 0 or 1)" % (prom['srtpfwd_metrics_clients'],
                         tel_replies["/srtpfwd/stats"]["ctl"]["clients"]))
# and the other way: each sample is a STATS counter (a worker's zero drop reasons excepted)
stats_keys = {spelled(n)[0] for n in s2}
extra = [k for k in prom if k not in stats_keys and
         not (k.startswith("srtpfwd_worker_drops_total{") and prom[k] == 0)]
check(not extra, "every /metrics sample is a STATS counter %s" % extra[:5])
# one port and one worker: each row once, a drop reason row once per reason
n_reasons = sum(1 for n in s2 if n.startswith("drop."))
want_samples = len([r for r in rows if "<reason>" not in r]) + 2 * n_reasons
check(len(prom) == want_samples and n_reasons == len(prom) - len(
    [k for k in prom if "reason=" not in k]) - n_reasons,
      "%d samples, %d drop reasons" % (len(prom), n_reasons))

# ---- hostile HTTP ----
base = stats()
st, h, body, _ = http(b"GET /nope HTTP/1.1\r\n\r\n")
check(st == 404 and h.get("Connection") == "close" and int(h["Content-Length"]) == len(body),
      "GET /nope: 404, Connection: close")
st, h, body, _ = http(b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
check(st == 405 and h.get("Allow") == "GET", "POST /metrics: 405, Allow: GET")
st, h, body, _ = http(b"GARBAGE\r\n\r\n")
check(st == 400, "garbage: 400")
st, h, body, _ = http(b"GET /metrics HTTP/2.0\r\n\r\n")
check(st == 505, "HTTP/2.0: 505")
st, h, body, _ = http(b"GET /metrics HTTP/1.1\r\nX-Pad: " + b"a" * 8192 + b"\r\n\r\n")
check(st == 431, "an 8 KiB head: 431 (and the rest drained, no reset)")
# slowloris: a byte every 0.3 s never completes the head
t0 = time.monotonic()
s = socket.create_connection(("127.0.0.1", metrics_port), timeout=5)
s.sendall(b"GET /metrics HTTP/1.1\r\n")
data = b""
try:
    while not data and time.monotonic() - t0 < 6:
        s.sendall(b"X")
        s.settimeout(0.3)
        try:
            data = s.recv(4096)
        except socket.timeout:
            pass
    s.settimeout(2)
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
except OSError:
    pass
s.close()
took = time.monotonic() - t0
check(data.startswith(b"HTTP/1.1 408 ") and 1.9 < took < 3.5,
      "slow head: 408 after the 2 s deadline (%.2f s)" % took)
# 100 connections at once: 16 held (the limit), 84 closed at once
conns = [socket.create_connection(("127.0.0.1", metrics_port), timeout=5) for _ in range(100)]
closed_at_once = 0
deadline = time.monotonic() + 1.0
for c in conns:
    c.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        if c.recv(1, socket.MSG_PEEK) == b"":  # peek: a held one's 408 stays to be read
            closed_at_once += 1
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed_at_once += 1
check(closed_at_once == 84, "100 connections: 84 closed at once (%d)" % closed_at_once)
mid = stats()
check(mid["metrics.clients"] == 16 and mid["metrics.refused_full"] - base["metrics.refused_full"] == 84,
      "while flooded: 16 clients held, 84 refused (the control socket still answers)")
check(Telemetry(tel_path).ask("/srtpfwd/sessions")["count"] == 1, "telemetry answers while flooded")
timed_out, other = 0, []
for c in conns:
    c.settimeout(4)
    try:
        d = c.recv(4096)
        timed_out += d.startswith(b"HTTP/1.1 408 ")
        if d and not d.startswith(b"HTTP/1.1 408 "):
            other.append(d[:40])
    except OSError as e:
        other.append(str(e))
    c.close()
check(timed_out == 16, "the 16 held connections cut with 408 (%d) %s" % (timed_out, other[:3]))
_, text = metrics()
prom, fmt_ok = samples(text)
check(fmt_ok and prom["srtpfwd_sessions"] == 1, "after all that, /metrics still answers 200")
end = stats()
delta = {k: end[k] - base[k] for k in end if k.startswith("metrics.") and k != "metrics.clients"}
want = {"metrics.accepted": 6 + 16 + 1, "metrics.refused_full": 84, "metrics.served": 1,
        "metrics.bad_request": 1, "metrics.not_found": 1, "metrics.bad_method": 1,
        "metrics.too_large": 1, "metrics.bad_version": 1, "metrics.timed_out": 17,
        "metrics.cut_stalled": 0}
check(delta == want, "metrics counters exact: %s" % delta)
check(end["metrics.clients"] == 0, "no HTTP client left")

# ---- no key material anywhere ----
log_text = daemon_log().encode()
leaks = []
for k in (K1, K2):
    for form in (k.hex(), k.hex().upper(), k[:16].hex(), k[16:].hex(), b64(k), b64(k[:16]),
                 b64(k[16:])):
        for i, o in enumerate(outputs + [log_text]):
            if form.encode() in o:
                leaks.append((form, i))
    for i, o in enumerate(outputs + [log_text]):
        if k[:16] in o:
            leaks.append(("raw", i))
check(not leaks, "no key (hex, base64, raw) in %d telemetry/metrics replies or the log" % len(outputs))

# ---- stop ----
daemon.send_signal(signal.SIGTERM)
try:
    rc = daemon.wait(timeout=15)
except subprocess.TimeoutExpired:
    rc = None
check(rc == 0, "SIGTERM: exit code %s" % rc)
log_lines = daemon_log()
check(len(re.findall(r"srtpfwd\.metrics: ", log_lines)) <= 40,
      "metrics log lines bounded (%d)" % len(re.findall(r"srtpfwd\.metrics: ", log_lines)))

# ---- the same from a configuration file (metrics.listen) ----
yaml_path = os.path.join(tmp, "srtpfwd.yaml")
with open(yaml_path, "w") as f:
    f.write('eal: [--no-huge, --no-pci, -m, "256", --no-shconf, --file-prefix=%s_yaml, '
            '"--log-level=*:warning", "--log-level=srtpfwd.*:info", -l, "0,1"]\n'
            'ports: [{dev: "net_null1,no-rx=1"}]\n'
            'addresses: [{port: 0, ip: 192.0.2.1/24}]\n'
            'metrics: {listen: "127.0.0.1:0"}\n'
            'stats_interval_s: 0\n' % prefix)
r = subprocess.run([srtpfwd, "--check-config", yaml_path], capture_output=True, text=True)
check(r.returncode == 0 and r.stdout.strip().endswith(", metrics http:127.0.0.1:0"),
      "--check-config names the metrics listener: %s" % r.stdout.strip())
log = open(log_path, "w")
daemon = subprocess.Popen([srtpfwd, "--config", yaml_path, "--", "--duration", "30"],
                          stdout=log, stderr=subprocess.STDOUT, env=env)
metrics_port = None
for _ in range(100):
    m = re.search(r"metrics on http://127\.0\.0\.1:0/metrics \(port (\d+)\)", daemon_log())
    if m or daemon.poll() is not None:
        metrics_port = int(m.group(1)) if m else None
        break
    time.sleep(0.1)
if check(metrics_port is not None, "--config with metrics.listen: listener up"):
    _, text = metrics()
    prom, fmt_ok = samples(text)
    check(fmt_ok and prom["srtpfwd_sessions_max"] == 10000 and "srtpfwd_ctl_clients" not in prom
          and prom["srtpfwd_metrics_served_total"] == 1,
          "--config: /metrics served, no control server counters (none configured)")
daemon.send_signal(signal.SIGTERM)
check(daemon.wait(timeout=15) == 0, "SIGTERM: exit code 0")
cleanup()
print("%d failed" % fails)
sys.exit(1 if fails else 0)
