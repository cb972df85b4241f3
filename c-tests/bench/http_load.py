#!/usr/bin/env python3
"""One HTTP load run for run_bench.py's http section: a server, a load generator, a result.

  http_load.py wrk SERVER LENGTH PATH CONNECTIONS keepalive|close SECONDS
      SERVER is bench_http (upstream's test/bench_http.c, on the library this process's
      environment selects; -l LENGTH unless LENGTH is 0) or floor (http_floor.c: no library,
      the same response). wrk loads it with CONNECTIONS connections for SECONDS, each request on
      a kept-alive connection, or with "Connection: close" on a new connection per request.
      Prints RESULT http_rps (requests/s), http_p99 (ms, wrk --latency) and http_server_cpu
      (the server's CPU time, user and system, per request answered, in µs: what the library
      costs even where the load generator, not the server, is the limit) and http_wrk_busy
      (wrk's CPU time over the run's length: near 1, the load generator was the limit).
  http_load.py client LENGTH [floor]
      upstream's test/bench_httpclient.c (20 000 requests, 200 connections at a time, on the
      library this process's environment selects) against http_floor on 127.0.0.1:8080 (the
      port the client has built in), which answers each with a LENGTH-byte body and closes.
      With "floor", http_client_floor.c (no library: the same requests) is the client instead.
      Prints RESULT http_client_rps (the client's own "throughput" figure) and http_client_cpu
      (the client's CPU time per request, in µs).

The programs live next to this script (c-tests/build/bench). Only the program on the library gets
this process's LD_* variables; wrk and http_floor link no libevent. With two or more CPUs the
server is pinned to CPU 0 and the load generator to CPU 1 (taskset), so they do not compete
for one core. Before wrk runs, the body is fetched once and compared byte for byte; a run with
a wrong body, any non-2xx response or any socket error fails (exit status 1): the figures count
only correct answers. The library the program mapped is reported as "LIBRARY path=..." on
stderr for the runner's check (read from /proc/<pid>/maps)."""
import http.client
import os
import re
import resource
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PINNED = (os.cpu_count() or 1) >= 2
CLIENT_REQUESTS = 20000  # N_REQUESTS in bench_httpclient.c
CLIENT_PORT = 8080  # fixed in bench_httpclient.c


class Failed(Exception):
    pass


def pinned(cpu, argv):
    return ["taskset", "-c", str(cpu)] + argv if PINNED else argv


def bare_env():
    env = dict(os.environ)
    for name in ("LD_PRELOAD", "LD_LIBRARY_PATH"):
        env.pop(name, None)
    return env


def body(length):
    return bytes(i & 255 for i in range(length))


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_listening(port, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise Failed(f"the server exited with status {proc.returncode} before listening")
            if time.monotonic() > deadline:
                raise Failed(f"the server is not listening on port {port} after {timeout} s")
            time.sleep(0.02)


def report_library(pid):
    """The libevent objects the process mapped, as one LIBRARY line (several: a mix, which the
    runner's check refuses)."""
    with open(f"/proc/{pid}/maps") as maps:
        paths = {os.path.realpath(line.split()[-1]) for line in maps
                 if len(line.split()) >= 6 and "libevent" in os.path.basename(line.split()[-1])}
    print(f"LIBRARY path={' + '.join(sorted(paths)) or 'none'}", file=sys.stderr, flush=True)


def fetch_once(port, path, length, close):
    """The body, fetched with the headers wrk sends, must be the content byte for byte."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Connection": "close"} if close else {})
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    if response.status != 200 or response.getheader("Content-Length") != str(length):
        raise Failed(f"GET {path}: {response.status} {response.reason}, {response.getheaders()}")
    if data != body(length):
        raise Failed(f"GET {path}: {len(data)} bytes of body, not the {length} bytes of content")


def cpu_seconds(pid):
    """User and system CPU time of a live process so far (/proc/PID/stat, fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def seconds_of(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def run_wrk(server, length, path, connections, mode, seconds):
    port = free_port()
    close = mode == "close"
    if server == "bench_http":
        argv = [os.path.join(HERE, "bench_http"), "-p", str(port)] + (["-l", str(length)] if length else [])
        env = dict(os.environ)
    else:
        argv = [os.path.join(HERE, "http_floor"), str(port), str(length), mode]
        env = bare_env()
    proc = subprocess.Popen(pinned(0, argv), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        if server == "bench_http":
            report_library(proc.pid)
        fetch_once(port, path, length, close)
        wrk = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
        if close:
            wrk += ["-H", "Connection: close"]
        server_before, wrk_before = cpu_seconds(proc.pid), children_cpu()
        done = subprocess.run(pinned(1, wrk + [f"http://127.0.0.1:{port}{path}"]), env=bare_env(),
                              capture_output=True, text=True, timeout=seconds + 60)
        if proc.poll() is not None:
            raise Failed(f"the server died during the load: status {proc.returncode}")
        server_cpu, wrk_cpu = cpu_seconds(proc.pid) - server_before, children_cpu() - wrk_before
    finally:
        proc.kill()
        proc.wait()
    out = done.stdout
    if done.returncode != 0:
        raise Failed(f"wrk: exit status {done.returncode}: {done.stderr.strip()[-300:]}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad or (errors and any(int(n) for n in errors.groups())):
        raise Failed(f"wrk saw wrong answers or socket errors: {(bad.group(0) if bad else '')} "
                     f"{(errors.group(0) if errors else '')}")
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    total = re.search(r"^\s+(\d+) requests in ([\d.]+\w+),", out, re.M)
    if not rps or not p99 or not total or float(rps.group(1)) <= 0 or int(total.group(1)) <= 0:
        raise Failed(f"no result in wrk's output: {out[-500:]!r}")
    print(f"RESULT name=http_rps value={float(rps.group(1)):.6g} unit=requests/s")
    print(f"RESULT name=http_p99 value={seconds_of(p99.group(1)) * 1e3:.6g} unit=ms")
    print(f"RESULT name=http_server_cpu value={server_cpu * 1e6 / int(total.group(1)):.6g} unit=µs")
    print(f"RESULT name=http_wrk_busy value={wrk_cpu / seconds_of(total.group(2)):.6g} unit=CPUs")


def run_client(length, client_program):
    floor = subprocess.Popen(pinned(0, [os.path.join(HERE, "http_floor"), str(CLIENT_PORT), str(length), "close"]),
                             env=bare_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        if not floor.stdout.readline().startswith(b"LISTENING "):
            raise Failed(f"http_floor did not start: {floor.stderr.read()[-300:]!r}")
        # What the client will read per request: the whole answer to the request it sends.
        with socket.create_connection(("127.0.0.1", CLIENT_PORT), timeout=10) as probe:
            probe.sendall(b"GET /ref HTTP/1.0\r\n\r\n")
            answer = b"".join(iter(lambda: probe.recv(65536), b""))
        if not answer.endswith(b"\r\n\r\n" + body(length)):
            raise Failed(f"http_floor's answer is not the {length}-byte content: {answer[:200]!r}")
        response = len(answer)
        on_library = client_program == "bench_httpclient"
        client_before = children_cpu()
        client = subprocess.Popen(pinned(1, [os.path.join(HERE, client_program)]),
                                  env=dict(os.environ) if on_library else bare_env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        first = client.stdout.readline()  # after 1000 requests: the library is loaded and working
        if on_library and client.poll() is None:
            report_library(client.pid)
        rest, err = client.communicate(timeout=120)
        client_cpu = children_cpu() - client_before  # the floor server is not reaped yet
    finally:
        floor.kill()
        floor.wait()
    out = first + rest
    summary = re.search(r"(\d+) requests in [\d.]+ sec\. \(([\d.]+) throughput\)\n.*\n(\d+)bytes read\. (\d+) errors",
                        out)
    if client.returncode != 0 or "Unexpected error" in err or not summary:
        raise Failed(f"{client_program}: exit status {client.returncode}, stdout {out[-300:]!r}, stderr {err[-300:]!r}")
    handled, rate, nbytes, errors = summary.groups()
    if int(handled) != CLIENT_REQUESTS or int(nbytes) != CLIENT_REQUESTS * response or int(errors):
        raise Failed(f"{client_program}: {handled} requests, {nbytes} bytes, {errors} errors; expected "
                     f"{CLIENT_REQUESTS}, {CLIENT_REQUESTS * response}, 0")
    print(f"RESULT name=http_client_rps value={float(rate):.6g} unit=requests/s")
    print(f"RESULT name=http_client_cpu value={client_cpu * 1e6 / CLIENT_REQUESTS:.6g} unit=µs")


def main():
    args = sys.argv[1:]
    try:
        if len(args) == 7 and args[0] == "wrk" and args[1] in ("bench_http", "floor") and args[5] in ("keepalive", "close"):
            run_wrk(args[1], int(args[2]), args[3], int(args[4]), args[5], int(args[6]))
        elif len(args) in (2, 3) and args[0] == "client" and args[2:] in ([], ["floor"]):
            run_client(int(args[1]), "http_client_floor" if args[2:] else "bench_httpclient")
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except (Failed, OSError, subprocess.SubprocessError) as failure:
        print(f"http_load: FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
