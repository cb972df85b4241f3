#!/usr/bin/env python3
"""Runs the benchmark programs against upstream libevent and against libevent_rs, side by side.

Called by c-tests/bench.sh after it has built the programs. Every workload runs REPS times; within
one repetition upstream runs first and ours right after it, so each pair sees the same machine
state, and the report gives per-library medians and min-max and the median of the per-pair ratios.
Instruction counts per dispatched event come from callgrind (two write counts, so set-up cancels).
Nothing here fails on a time: a run fails only when a program fails or ran on the wrong library.
A program that imports a libevent function libevent_rs.so does not define (checked with nm -D
before anything runs) runs on upstream only, and the report says which functions are missing.
bench.sh starts this script in a private network namespace: the TCP workloads use loopback only.
"""
import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import syscall_count  # noqa: E402  (after the line above, which must come first)

UPSTREAM_LIB = "/usr/lib/x86_64-linux-gnu/libevent-2.1.so.7"
HERE = os.path.dirname(os.path.abspath(__file__))
EXPORTS_TSV = os.path.join(HERE, "..", "expected", "libevent-2.1.12-exports.tsv")
# In the tables, for a program libevent_rs cannot run yet; the full reasons are listed above them.
SKIPPED_SHORT = "our library lacks functions the program imports (listed above)"
RUN_TIMEOUT = 300
# test/bench.c and bare_epoll.c print this many timed runs per process.
PIPE_CHAIN_RUNS = 25


@dataclass
class Library:
    key: str  # "upstream" or "ours"
    env: dict  # variables set for a run on this library (LD_* ones are cleared first)
    objects: str  # realpath prefix every libevent object loaded for this library must have

    def serves(self, path):
        return os.path.realpath(path).startswith(self.objects)


@dataclass
class Workload:
    name: str
    group: str
    argv: list  # program (a file in the build dir) and its arguments
    unit: str
    better: str  # "lower" or "higher"
    threads: bool = False  # run with threads_on.so preloaded
    pipe_chain: bool = False  # prints PIPE_CHAIN_RUNS timings (µs) instead of a RESULT line
    events_per_run: int = 0  # pipe chain: events per timed run, to give the value per event
    floor_argv: list = None  # the same work with no library (bare epoll loop, plain DNS responder), when there is one
    section: str = "core"  # "core": the event loop's workloads; "buffers": evbuffer/bufferevent/listener; "dns": evdns
    samples: dict = field(default_factory=dict)  # library key (or "bare") -> list of values
    error: str = ""
    skip_ours: str = ""  # why the program cannot run on libevent_rs (functions it lacks), if it cannot
    result_name: str = ""  # the RESULT line to read, for programs printing several; else the first
    # The programs that run on the library, when argv[0] is not one (http_load.py starts them).
    lib_programs: tuple = ()
    # Other RESULT lines of the same run, each the value of a workload of its own ("led"
    # workloads, which are never run by themselves).
    companions: list = field(default_factory=list)
    led: bool = False
    # A figure about the measurement, not the library (how busy the load generator was): no
    # verdict, not in the chart.
    diagnostic: bool = False
    max_reps: int = 0  # run in only this many repetitions (0: all), for the slow sections

    def programs(self):
        return self.lib_programs or (self.argv[0],)


class RunFailed(Exception):
    pass


# The floor runs: the bare epoll program links no libevent at all; dns_server in bare mode links
# the system's but serves with the plain responder (the library only waits for the loader's report).
NO_LIBRARY = Library("bare", {}, "")


# ---------------------------------------------------------------------------------------------
# Running one program


def program_env(bin_dir, lib, threads, extra=None):
    env = dict(os.environ)
    for name in ("LD_PRELOAD", "LD_LIBRARY_PATH", "LD_DEBUG"):
        env.pop(name, None)
    env.update(lib.env)
    if threads:
        env["LD_PRELOAD"] = os.path.join(bin_dir, "threads_on.so")
    env.update(extra or {})
    return env


def run_program(bin_dir, argv, env, timeout=RUN_TIMEOUT):
    cmd = [os.path.join(bin_dir, argv[0])] + [str(a) for a in argv[1:]]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RunFailed(f"{' '.join(map(str, argv))}: no result after {timeout} s")
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RunFailed(f"{' '.join(map(str, argv))}: exit status {done.returncode}: {tail}")
    return done.stdout, done.stderr


def measure(bin_dir, workload, lib):
    """One run of a workload on one library (lib None: the floor, with no library); returns its
    value, and records its companions' values from the same run."""
    if lib is None:
        out, _ = run_program(bin_dir, workload.floor_argv, program_env(bin_dir, NO_LIBRARY, False))
    else:
        out, err = run_program(bin_dir, workload.argv, program_env(bin_dir, lib, workload.threads))
        check_served(workload.name, err, lib)
        if workload.threads and "THREADS on" not in err:
            raise RunFailed(f"{workload.name}: threads_on.so did not switch locking on")
    if workload.pipe_chain:
        return pipe_chain_value(out, workload)
    values = [result_value(out, w) for w in [workload] + workload.companions]
    for companion, value in zip(workload.companions, values[1:]):
        companion.samples.setdefault(lib.key if lib else "bare", []).append(value)
    return values[0]


def result_value(out, workload):
    name = re.escape(workload.result_name) if workload.result_name else r"\S+"
    result = re.search(rf"^RESULT name={name} value=(\S+) unit=(\S+)$", out, re.M)
    if not result:
        raise RunFailed(f"{workload.name}: no RESULT line {workload.result_name} in the output")
    return float(result.group(1))


def check_served(name, stderr, lib):
    """Fails when the program's LIBRARY line (dladdr of event_base_new) names another library."""
    served = re.search(r"^LIBRARY path=(.*)$", stderr, re.M)
    if served and not lib.serves(served.group(1)):
        raise RunFailed(f"{name}: ran on {served.group(1)}, not the {lib.key} library")


def pipe_chain_value(out, workload):
    """Median of the timed runs a pipe-chain program printed (microseconds each)."""
    runs = [int(line) for line in out.split() if line.isdigit()]
    if len(runs) != PIPE_CHAIN_RUNS:
        raise RunFailed(f"{workload.name}: expected {PIPE_CHAIN_RUNS} timings, got {len(runs)}")
    median_us = statistics.median(runs)
    if workload.events_per_run:
        return median_us * 1000.0 / workload.events_per_run
    return median_us


# ---------------------------------------------------------------------------------------------
# What libevent_rs cannot run yet: libevent functions a program imports that our library lacks


def dynamic_symbols(path, defined):
    out = subprocess.run(["nm", "-D", "--defined-only" if defined else "--undefined-only", path],
                         capture_output=True, text=True, check=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}


def missing_in_ours(bin_dir, ours_dir, programs):
    """program -> why it cannot run on our library ("" when it can): the libevent functions it
    imports (names in upstream's export list) that libevent_rs.so does not define. Run anyway,
    such a program would stop at its first call of one (symbol lookup error)."""
    with open(EXPORTS_TSV) as f:
        libevent = {fields[2] for fields in (line.rstrip("\n").split("\t") for line in f)
                    if len(fields) == 3 and not fields[0].startswith("#")}
    ours = dynamic_symbols(os.path.join(ours_dir, "libevent_rs.so"), True)
    reasons = {}
    for program in programs:
        imported = dynamic_symbols(os.path.join(bin_dir, program), False) & libevent
        lacking = sorted(imported - ours)
        reasons[program] = "" if not lacking else (
            f"libevent_rs.so lacks {len(lacking)} of the {len(imported)} libevent functions "
            f"{program} imports ({', '.join(lacking[:3])}{', ...' if len(lacking) > 3 else ''})")
    return reasons


# ---------------------------------------------------------------------------------------------
# Which library served a run: the dynamic linker's own account


def loaded_libevent(bin_dir, argv, lib, threads):
    env = program_env(bin_dir, lib, threads, {"LD_DEBUG": "libs"})
    _, err = run_program(bin_dir, argv, env)
    paths = sorted({m for m in re.findall(r"calling init: (\S*libevent\S*)", err)})
    return paths


def check_libraries(bin_dir, libraries, probes, skip_ours):
    """Runs each probe once per library under LD_DEBUG=libs; fails when one loaded the wrong one.
    skip_ours: program -> why it cannot run on ours (then it is probed on upstream only)."""
    rows = []
    for label, argv, threads in probes:
        for lib in libraries:
            if lib.key == "ours" and skip_ours.get(argv[0]):
                rows.append((label, lib.key, "not run: " + skip_ours[argv[0]]))
                continue
            paths = loaded_libevent(bin_dir, argv, lib, threads)
            if not paths or not all(lib.serves(p) for p in paths):
                raise RunFailed(f"{label} on {lib.key}: loaded {paths or 'no libevent'}")
            rows.append((label, lib.key, ", ".join(
                p if os.path.realpath(p) == p else f"{p} (→ {os.path.basename(os.path.realpath(p))})"
                for p in paths)))
    return rows


# ---------------------------------------------------------------------------------------------
# Instructions per dispatched event (callgrind)


def callgrind_run(bin_dir, out_dir, argv, lib, threads, tag, fds):
    """Total Ir and Ir per function for one run under callgrind.

    test/bench.c sets RLIMIT_NOFILE's hard limit to exactly fds; valgrind allows that only when it
    equals its own view of the hard limit, which is the real one minus the fds it reserves. The
    real hard limit is therefore lowered (always allowed) to fds plus that reserve."""
    out_file = os.path.join(out_dir, f"callgrind.{tag}.out")
    env = program_env(bin_dir, lib, threads) if lib else program_env(bin_dir, NO_LIBRARY, False)
    prog = [os.path.join(bin_dir, argv[0])] + [str(a) for a in argv[1:]]
    valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", "--"] + prog
    for reserve in (12, 10, 16, 20, 8, 0) if fds else (None,):
        cmd = valgrind if reserve is None else \
            ["sh", "-c", f"ulimit -n {fds + reserve} && exec \"$@\"", "sh"] + valgrind
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if "setrlimit" not in done.stderr:
            break
    if done.returncode != 0:
        raise RunFailed(f"callgrind {tag}: exit status {done.returncode}: {done.stderr[-300:]}")
    total = None
    with open(out_file) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1])
    annotate = subprocess.run(["callgrind_annotate", "--auto=no", "--inclusive=no", "--threshold=100",
                               out_file], capture_output=True, text=True, timeout=300).stdout
    # The per-function section: "Ir  file:function" header, a rule, then one line per
    # (file, function) pair until a blank line. Code inlined from other files comes as extra
    # lines of the same function, without the object; they are summed into the function.
    per_function, objects, in_section = {}, {}, False
    for line in annotate.splitlines():
        if re.match(r"^Ir\s+file:function", line):
            in_section = True
            continue
        m = re.match(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.+?)(?:\s+\[(.+)\])?$", line)
        if not in_section or line.startswith("---"):
            continue
        if not m:
            if per_function:  # the blank line after the last function
                break
            continue
        function = m.group(2).split(":", 1)[-1]
        per_function[function] = per_function.get(function, 0) + int(m.group(1).replace(",", ""))
        if m.group(3):
            objects[function] = os.path.basename(m.group(3))
    per_function = {(function, objects.get(function, "")): ir for function, ir in per_function.items()}
    return total, per_function


@dataclass
class CallgrindStudy:
    """Instructions per unit of work: a program run at two sizes, Ir(big) - Ir(small) divided by
    the difference in units, so that set-up and tear-down cancel out."""
    title: str
    unit: str  # what one unit of work is ("event", "timer operation", ...)
    argv: object  # size -> program argv
    sizes: tuple  # (small, big)
    units: object  # size -> units of work the program does at that size
    fds: int = 0  # the program sets RLIMIT_NOFILE to exactly this many fds (0: it does not)
    floor_argv: object = None  # size -> argv of the bare epoll loop doing the same system calls
    section: str = "core"  # as Workload.section
    threads: bool = True  # also measure with threads_on.so preloaded
    skip_ours: str = ""  # as Workload.skip_ours
    rows: list = field(default_factory=list)

    def program(self):
        return self.argv(self.sizes[0])[0]


def callgrind_studies():
    pipes, active = 100, 10
    return [
        CallgrindStudy(
            f"test/bench.c, {pipes} pipes, {active} active", "event",
            lambda w: ["bench", "-n", pipes, "-a", active, "-w", w], (1000, 5000),
            lambda w: PIPE_CHAIN_RUNS * (active + w), fds=pipes * 2 + 50,
            floor_argv=lambda w: ["bare_epoll", "-n", pipes, "-a", active, "-w", w]),
        CallgrindStudy("timer churn, 100k timers", "timer operation",
                       lambda rounds: ["timer_churn", 100000, rounds], (1, 2),
                       lambda rounds: 3 * 100000 * rounds),
        CallgrindStudy("event_active storm, 10k events", "callback",
                       lambda rounds: ["active_storm", "active", 10000, rounds], (5, 15),
                       lambda rounds: 10000 * rounds),
    ] + [
        CallgrindStudy(f"echo over loopback TCP, {n} connection{'s' if n > 1 else ''}, 64-byte messages",
                       "message", lambda messages, n=n: ["bev_echo", n, messages], (10000, 30000),
                       lambda messages: messages, section="buffers", threads=False)
        for n in (1, 100, 1000)
    ] + dns_callgrind_studies()


def run_study(bin_dir, out_dir, libraries, study, tag_prefix):
    small, big = study.sizes
    variants = [(lib.key, lib, False) for lib in libraries]
    if study.threads:
        variants += [(lib.key + " + threads", lib, True) for lib in libraries]
    if study.floor_argv:
        variants.append(("bare epoll", None, False))
    for name, lib, threads in variants:
        if lib and lib.key == "ours" and study.skip_ours:
            study.rows.append({"variant": name, "skipped": SKIPPED_SHORT})
            print(f"  callgrind {study.title}, {name}: not run ({study.skip_ours})", flush=True)
            continue
        argv = study.argv if lib else study.floor_argv
        tag = tag_prefix + "." + name.replace(" + ", "-").replace(" ", "-")
        (t1, f1), (t2, f2) = [callgrind_run(bin_dir, out_dir, argv(size), lib, threads,
                                            f"{tag}.{size}", study.fds) for size in (small, big)]
        units = study.units(big) - study.units(small)
        functions = {k: (f2.get(k, 0) - f1.get(k, 0)) / units for k in set(f1) | set(f2)}
        top = sorted(functions.items(), key=lambda kv: -kv[1])[:10]
        study.rows.append({"variant": name, "ir_per_unit": (t2 - t1) / units, "top": top})
        print(f"  callgrind {study.title}, {name}: {(t2 - t1) / units:.1f} instructions per "
              f"{study.unit}", flush=True)


# ---------------------------------------------------------------------------------------------
# The workloads


def workloads(quick, max_pipes):
    scale = 4 if quick else 1
    sizes = [100, 1000, max_pipes]
    single_thread = []
    for pipes in sizes:
        for active in (1, 100):
            writes = 1000
            args = ["-n", pipes, "-a", active, "-w", writes]
            single_thread.append(Workload(
                f"bench.c n={pipes} a={active} w={writes}", "upstream bench", ["bench"] + args,
                "ns/event", "lower", pipe_chain=True, events_per_run=active + writes, floor_argv=["bare_epoll"] + args))
    for pipes in sizes:
        single_thread.append(Workload(f"bench_cascade.c n={pipes}", "upstream bench",
                                      ["bench_cascade", "-n", pipes], "µs/run", "lower",
                                      pipe_chain=True))
    for timers, rounds in ((1000, 3000), (100000, 30), (1000000, 3)):
        single_thread.append(Workload(f"timer churn {timers // 1000}k", "ours",
                                      ["timer_churn", timers, max(1, rounds // scale)], "ops/s", "higher"))
    single_thread += [
        Workload("idle fds 10k, 1% active", "ours", ["idle_fds", 10000, 2000 // scale], "ops/s", "higher"),
        Workload("event_active storm 10k", "ours", ["active_storm", "active", 10000, 1000 // scale],
                 "ops/s", "higher"),
        Workload("event_base_once(0) storm 10k", "ours", ["active_storm", "once", 10000, 300 // scale],
                 "ops/s", "higher"),
        Workload("signal delivery", "ours", ["signal_rate", 200000 // scale], "ops/s", "higher"),
        Workload("peak RSS, 100k pending timers", "ours", ["pending_rss", 100000], "KiB", "lower"),
    ]
    threaded = []
    for w in single_thread:
        # The biggest chains mostly time socketpair set-up (seconds); quick mode runs them unlocked only.
        if quick and w.pipe_chain and f"n={max_pipes}" in w.name:
            continue
        threaded.append(Workload(w.name + " +threads", "with evthread_use_pthreads", w.argv, w.unit,
                                 w.better, threads=True, pipe_chain=w.pipe_chain,
                                 events_per_run=w.events_per_run))
    threaded.append(Workload("cross-thread event_active, batches of 100", "with evthread_use_pthreads",
                             ["cross_thread", 100, 40000 // scale], "ops/s", "higher"))
    return single_thread + threaded


def buffer_workloads(quick, idle_connections):
    """evbuffer, bufferevent and listener workloads (section "buffers"; c-tests/bench/bev_*.c and
    evbuffer_ops.c). Server and clients share one event_base in one thread."""
    scale = 4 if quick else 1
    mib, messages = 1024 // scale, 100000 // scale

    def buffers(name, argv, unit, better):
        return Workload(name, "buffers", argv, unit, better, section="buffers")
    todo = [buffers(f"bufferevent over loopback TCP, {mib} MiB, 64 KiB writes", ["bev_bulk", "tcp", mib],
                    "MiB/s", "higher"),
            buffers(f"bufferevent pair, {mib} MiB, 64 KiB writes", ["bev_bulk", "pair", mib], "MiB/s", "higher")]
    for n in (1, 10, 100, 1000):
        todo.append(buffers(f"echo, {n} connection{'s' if n > 1 else ''}, 64-byte messages",
                            ["bev_echo", n, messages], "msg/s", "higher"))
    for op, rounds, what in (("add_drain", 20000, "evbuffer_add + drain, 1-64-byte pieces"),
                             ("readln", 300, "evbuffer_readln CRLF, 10k lines of 20-100 bytes"),
                             ("search", 1000, "evbuffer_search, 12-byte needle every 64 KiB of 1 MiB"),
                             ("add_buffer", 400000, "evbuffer_add_buffer + remove_buffer, 1 MiB"),
                             ("pullup", 5000, "evbuffer_pullup, 64 KiB in 256 chains")):
        todo.append(buffers(what, ["evbuffer_ops", op, max(1, rounds // scale)], "ops/s", "higher"))
    todo.append(buffers(f"peak RSS, {idle_connections // 1000}k idle connections with a bufferevent",
                        ["bev_idle_rss", idle_connections], "KiB", "lower"))
    return todo


# DNS (section "dns"): c-tests/bench/dns_server.c, dns_resolve.c, and their peer dns_plain.c,
# which links no libevent. Both sides get the same peer, so only the library differs.
DNS_OUTSTANDING = 100  # dnsperf's -q, dns_plain load's window, the resolver's max-inflight


def dns_loaders():
    """Who loads the server: Debian's dnsperf when installed (bench.sh installs it as root), and
    always dns_plain, our client, which costs less per query than dnsperf does."""
    return (["dnsperf"] if shutil.which("dnsperf") else []) + ["plain"]


def dns_loader_name(loader):
    return "dnsperf" if loader == "dnsperf" else "c-tests/bench/dns_plain.c"


def dns_workloads(quick):
    scale = 4 if quick else 1
    queries = 200000 // scale
    todo = []
    for loader in dns_loaders():
        what = f"A queries from {dns_loader_name(loader)}, {DNS_OUTSTANDING} outstanding"
        argv = ["dns_server", loader, queries]
        bare = argv + ["bare"]  # the plain responder under the same load: the ceiling (DNS_INTRO)
        todo += [Workload(f"DNS server (evdns_add_server_port_with_base), {what}", "dns", argv, "queries/s",
                          "higher", section="dns", floor_argv=bare),
                 # Separate runs of the same program: its CPU figures, to see which side is the
                 # bottleneck (see DNS_INTRO).
                 Workload(f"DNS server process CPU time (user+system), {what}", "dns", argv, "µs/query",
                          "lower", section="dns", result_name="dns_server_cpu", floor_argv=bare),
                 Workload(f"load generator process CPU time (user+system), {what}", "dns", argv, "µs/query",
                          "lower", section="dns", result_name="dns_loader_cpu", floor_argv=bare)]
    resolutions = 100000
    todo.append(Workload(f"resolver, {resolutions:,} evdns_base_resolve_ipv4, {DNS_OUTSTANDING} in flight",
                         "dns", ["dns_resolve", resolutions, DNS_OUTSTANDING], "resolutions/s", "higher",
                         section="dns"))
    return todo


def dns_callgrind_studies():
    # callgrind counts the server's process only, so the load generator does not matter: ours,
    # which is always there. Query counts are whole passes over the 4096 names (as dnsperf's).
    return [
        CallgrindStudy("DNS server, A queries", "query",
                       lambda queries: ["dns_server", "plain", queries], (8192, 24576),
                       lambda queries: queries, section="dns", threads=False),
        CallgrindStudy(f"resolver, evdns_base_resolve_ipv4, {DNS_OUTSTANDING} in flight", "resolution",
                       lambda resolutions: ["dns_resolve", resolutions, DNS_OUTSTANDING], (10000, 30000),
                       lambda resolutions: resolutions, section="dns", threads=False)]


# HTTP (section "http"): upstream's test/bench_http.c loaded by wrk, its bench_httpclient.c,
# and c-tests/bench/http_bulk.c and http_rss.c. http_load.py runs a server and its load
# generator pinned to different CPUs; http_floor.c (no library) is the floor.
HTTP_CONNECTIONS = (1, 50, 500)
HTTP_REPS = 3  # of the full run's 5: the section must stay under ~10 minutes on 2 cores
HTTP_CLIENT_BODY = 1024
HTTP_BURST = 10000


def size_label(length):
    return f"{length // 1024} KiB" if length >= 1024 else f"{length} B"


def http_workloads(quick):
    seconds = 1 if quick else 2
    if quick:
        bodies = {"keepalive": [(0, "/ind"), (102400, "/ref")], "close": [(1024, "/ind")]}
    else:
        bodies = {"keepalive": [(0, "/ind"), (1024, "/ind"), (102400, "/ind"), (102400, "/ref")],
                  "close": [(0, "/ind"), (1024, "/ind"), (102400, "/ref")]}

    def http(name, argv, unit, better, **more):
        return Workload(name, "http", argv, unit, better, section="http", max_reps=HTTP_REPS, **more)
    todo = []
    for mode in (("keepalive", "close") if shutil.which("wrk") else ()):
        for connections in HTTP_CONNECTIONS:
            for length, path in bodies[mode]:
                what = (f"bench_http {path} {size_label(length)}, {connections} connection{'s' * (connections > 1)}"
                        f"{'' if mode == 'keepalive' else ', Connection: close'}")
                args = [length, path, connections, mode, seconds]
                common = dict(floor_argv=["http_load.py", "wrk", "floor"] + args, lib_programs=("bench_http",))
                argv = ["http_load.py", "wrk", "bench_http"] + args
                rps = http(what, argv, "requests/s", "higher", result_name="http_rps", **common)
                rps.companions.append(http(what + ", p99", argv, "ms", "lower", result_name="http_p99",
                                           led=True, **common))
                rps.companions.append(http(what + ", server CPU per request", argv, "µs", "lower",
                                           result_name="http_server_cpu", led=True, **common))
                rps.companions.append(http(what + ", wrk's CPU use", argv, "CPUs", "lower",
                                           result_name="http_wrk_busy", led=True, diagnostic=True, **common))
                todo.append(rps)
    client = f"bench_httpclient, 20 000 requests, 200 connections, {size_label(HTTP_CLIENT_BODY)} bodies"
    client_args = dict(lib_programs=("bench_httpclient",), floor_argv=["http_load.py", "client", HTTP_CLIENT_BODY, "floor"])
    client_argv = ["http_load.py", "client", HTTP_CLIENT_BODY]
    todo.append(http(client, client_argv, "requests/s", "higher", result_name="http_client_rps", **client_args))
    todo[-1].companions.append(http(client + ", client CPU per request", client_argv, "µs", "lower",
                                    result_name="http_client_cpu", led=True, **client_args))
    for direction, what in (("down", "download"), ("up", "upload")):
        todo.append(http(f"evhttp 1 GiB {what}, 16 requests of 64 MiB on one connection",
                         ["http_bulk", direction, 1024, 64], "MiB/s", "higher",
                         floor_argv=["http_bulk_floor", direction, 1024, 64]))
    burst = ["http_rss", HTTP_BURST]
    rss = http(f"server RSS before a burst of {HTTP_BURST:,} concurrent requests", burst, "KiB", "lower",
               result_name="http_rss_before")
    rss.companions = [http("server RSS, peak of the burst (VmHWM)", burst, "KiB", "lower",
                           result_name="http_rss_peak", led=True),
                      http("server RSS after the burst", burst, "KiB", "lower", result_name="http_rss_after", led=True),
                      http("server RSS after the burst, over before", burst, "x before", "lower",
                           result_name="http_rss_after_ratio", led=True)]
    todo.append(rss)
    return todo


# ---------------------------------------------------------------------------------------------
# System calls per MiB of a bulk transfer


@dataclass
class SyscallStudy:
    """System calls of a bev_bulk transfer at two sizes: the difference divided by the extra MiB,
    so that start-up (the dynamic linker, the listener, the connection) cancels out. The runs pass
    "verify", so they also prove each library delivered every byte intact."""
    title: str
    argv: object  # MiB -> program argv
    sizes: tuple  # (small, big) in MiB
    skip_ours: str = ""
    rows: list = field(default_factory=list)  # {"library", "per_mib": {call: count}} or {"library", "skipped"}

    def program(self):
        return self.argv(self.sizes[0])[0]


def syscall_studies(quick):
    sizes = (32, 96) if quick else (64, 192)
    return [SyscallStudy("bufferevent over loopback TCP", lambda mib: ["bev_bulk", "tcp", mib, "verify"], sizes),
            SyscallStudy("bufferevent pair", lambda mib: ["bev_bulk", "pair", mib, "verify"], sizes)]


def run_syscall_study(bin_dir, libraries, study, counter):
    small, big = study.sizes
    for lib in libraries:
        if lib.key == "ours" and study.skip_ours:
            study.rows.append({"library": lib.key, "skipped": SKIPPED_SHORT})
            print(f"  system calls, {study.title}, {lib.key}: not run ({study.skip_ours})", flush=True)
            continue
        counts = []
        for size in (small, big):
            argv = study.argv(size)
            cmd = [os.path.join(bin_dir, argv[0])] + [str(a) for a in argv[1:]]
            try:
                found, done = counter.run(cmd, program_env(bin_dir, lib, False), RUN_TIMEOUT)
            except (RuntimeError, subprocess.TimeoutExpired) as failure:
                raise RunFailed(f"system calls of {' '.join(map(str, argv))} on {lib.key}: {failure}")
            if done.returncode != 0 or "arrived intact" not in done.stderr:
                raise RunFailed(f"{' '.join(map(str, argv))} on {lib.key}: exit status {done.returncode}: "
                                f"{done.stderr.strip()[-300:]}")
            check_served(study.title, done.stderr, lib)
            counts.append(found)
        per_mib = {call: (counts[1].get(call, 0) - counts[0].get(call, 0)) / (big - small)
                   for call in set(counts[0]) | set(counts[1])}
        study.rows.append({"library": lib.key, "per_mib": per_mib})
        print(f"  system calls, {study.title}, {lib.key}: {per_mib['total']:.1f} per MiB", flush=True)


def syscall_table(studies, counter):
    if counter is None:
        return "Not counted: neither `perf stat` with the kernel's syscall tracepoints nor `strace` works here.\n"
    if not any(study.rows for study in studies):
        return "Not counted.\n"
    rows = [(study, r) for study in studies for r in study.rows]
    shown = [call for call in syscall_count.INTERESTING
             if any(r.get("per_mib", {}).get(call, 0) >= 0.5 for _, r in rows)]
    small, big = studies[0].sizes
    lines = [f"Counted with {counter.describe}, as the difference between a {big} MiB and a {small} MiB "
             "transfer (with \"verify\": every byte copied out and compared), per extra MiB; both ends "
             "are in the one process, so a MiB is counted once, written and read.", "",
             "| transfer | library | system calls per MiB | ours/upstream | "
             + " | ".join(shown) + " | other |",
             "|---|---|---|---|" + "---|" * (len(shown) + 1)]
    for study, r in rows:
        if "skipped" in r:
            lines.append(f"| {study.title} | {r['library']} | not run: {r['skipped']} |" + " |" * (len(shown) + 2))
            continue
        per = r["per_mib"]
        upstream = next((u["per_mib"]["total"] for u in study.rows if u["library"] == "upstream" and "per_mib" in u), None)
        ratio = f"{per['total'] / upstream:.3f}" if r["library"] == "ours" and upstream else ""
        other = per["total"] - sum(per.get(call, 0) for call in syscall_count.INTERESTING)
        lines.append(f"| {study.title} | {r['library']} | {per['total']:.1f} | {ratio} | "
                     + " | ".join(f"{per.get(call, 0):.1f}" for call in shown) + f" | {other:.1f} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Statistics and the report


# TLS (section "tls"): c-tests/bench/tls_bulk.c, bufferevent_openssl_socket_new bufferevents over
# loopback TCP. Everything of the section is in these functions; main() and write_report() only
# call them.
TLS_HANDSHAKES_IN_FLIGHT = 4  # HANDSHAKES_IN_FLIGHT in tls_bulk.c


def tls_workloads(quick):
    mib, handshakes = (256, 500) if quick else (1024, 2000)
    return [Workload(f"TLS bulk over loopback TCP, {mib} MiB, TLS_AES_128_GCM_SHA256, 64 KiB writes", "tls",
                     ["tls_bulk", "bulk", mib], "MiB/s", "higher", section="tls"),
            Workload(f"TLS handshakes through an evconnlistener, {handshakes} full ones, "
                     f"{TLS_HANDSHAKES_IN_FLIGHT} in flight", "tls",
                     ["tls_bulk", "handshakes", handshakes], "handshakes/s", "higher", section="tls")]


def tls_probes():
    """The LD_DEBUG check of check_libraries: libevent_openssl-2.1.so.7 must be ours too."""
    return [("tls_bulk.c", ["tls_bulk", "bulk", 1], False)]


# The section's system call study and its counter, once run_tls_syscall_studies has run it.
TLS_SYSCALLS = {"studies": [], "counter": None}


def run_tls_syscall_studies(args, libraries, counter, todo):
    """System calls per MiB of a TLS transfer (the repeatable figure: wall times on a shared machine
    are not), when the section runs; returns the failures."""
    if counter is None or not any(w.section == "tls" for w in todo):
        return []
    sizes = (32, 96) if args.quick else (64, 192)
    study = SyscallStudy("TLS over loopback TCP, TLS_AES_128_GCM_SHA256",
                         lambda mib: ["tls_bulk", "bulk", mib, "verify"], sizes)
    study.skip_ours = missing_in_ours(args.bin, args.ours, [study.program()])[study.program()]
    print(f"bench: system calls per MiB of TLS, counted with {counter.name}", flush=True)
    try:
        run_syscall_study(args.bin, libraries, study, counter)
    except RunFailed as failure:
        print(f"  FAILED {failure}", flush=True)
        return [str(failure)]
    TLS_SYSCALLS.update(studies=[study], counter=counter)
    return []


def tls_report_part(chosen, all_workloads, chart_line, skipped_note):
    """The section of the report (skipped_note: write_report's note on what ours could not run)."""
    if "tls" not in chosen:
        return ""
    tls = [w for w in all_workloads if w.section == "tls"]
    alone = not (chosen - {"tls"})
    return f"""## TLS: bufferevent_openssl_socket_new

`c-tests/bench/tls_bulk.c`: both ends of a loopback TCP connection in one process, on one
event_base in one thread (each figure is the cost of encrypting and decrypting every byte),
TLS 1.3 only with the cipher suite forced to TLS_AES_128_GCM_SHA256, a P-256 certificate made
in memory, no verification. Bulk: the connecting end writes in 64 KiB `bufferevent_write` calls,
topping its output up to 1 MiB, the accepting end (an evconnlistener's connection wrapped in the
accepting state) drains what it reads, its read high watermark at 1 MiB; timed from the end of
the handshake to the last byte (a `verify` run compares every byte, not timed). Handshakes: full
ones (no session cache, no tickets), {TLS_HANDSHAKES_IN_FLIGHT} in flight, each connection freed
with its SSL and socket (BEV_OPT_CLOSE_ON_FREE) once both ends report BEV_EVENT_CONNECTED.
2.1.12 asks SSL_read for at most 4 KiB at a time (READ_DEFAULT); issue 11's goals: bulk >= 1.5x
upstream 2.1's throughput, handshakes no slower.{skipped_note(tls)}

{results_table(tls, bare_label=None)}
{chr(10) + chart_line + chr(10) if alone else ""}
### System calls per MiB of a TLS transfer

{syscall_table(TLS_SYSCALLS["studies"], TLS_SYSCALLS["counter"]) if TLS_SYSCALLS["studies"] else "Not counted."}
"""


def summary(w):
    up, ours = w.samples.get("upstream", []), w.samples.get("ours", [])
    pairs = [o / u for u, o in zip(up, ours) if u]
    ratio = statistics.median(pairs) if pairs else None
    # Cost ratio: below 1 means ours is better whatever the unit's direction.
    cost = None if ratio is None else (ratio if w.better == "lower" else 1 / ratio)
    return up, ours, ratio, cost


def fmt(value):
    if value is None:
        return "-"
    for limit, divisor, suffix in ((1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(value) >= limit:
            return f"{value / divisor:.3g}{suffix}"
    return f"{value:.4g}"


def spread(values):
    if not values:
        return "-"
    return f"{fmt(statistics.median(values))} ({fmt(min(values))}–{fmt(max(values))})"


def pair_costs(w):
    """The per-pair cost ratios (below 1: ours better in that pair)."""
    up, ours = w.samples.get("upstream", []), w.samples.get("ours", [])
    pairs = [o / u for u, o in zip(up, ours) if u and o]
    return pairs if w.better == "lower" else [1 / p for p in pairs]


# Units of memory figures: exact, and "more/less memory" rather than "slower/faster".
MEMORY_UNITS = ("KiB", "x before")


def verdict(w, cost):
    if w.diagnostic:
        return "(the load, not the library)"
    if cost is None:
        if w.error:
            return "FAILED: " + w.error
        return "not run on ours: " + SKIPPED_SHORT if w.skip_ours else "-"
    memory = w.unit in MEMORY_UNITS
    # Memory is exact; times on a shared machine drift by a few percent between runs of the
    # whole report, and single pairs swing by tens of percent. A time difference counts only
    # above 5% and when at least four pairs in five agree on its direction.
    band = 0.01 if memory else 0.05
    if abs(cost - 1) < band:
        return f"same (±{band:.0%})"
    pairs = pair_costs(w)
    agreeing = sum(1 for p in pairs if (p < 1) == (cost < 1))
    if agreeing < 0.8 * len(pairs):
        return f"within noise ({agreeing} of {len(pairs)} pairs agree)"
    if cost < 1:
        return f"{1 / cost:.2f}x " + ("less memory" if memory else "faster")
    return f"{cost:.2f}x " + ("more memory" if memory else "slower")


def results_table(all_workloads, bare_label="bare epoll", ours_over_bare=False, bare_short="bare"):
    """bare_label: the heading of the floor's column (None: no floor columns), bare_short its
    name in the ratio columns; ours_over_bare: also the column ours/<floor> (medians), how close
    ours comes to no library at all."""
    extra = f" ours/{bare_short} |" if ours_over_bare else ""
    lines = ["| workload | unit | upstream median (min–max) | ours median (min–max) | ours/upstream "
             "| ours is |" + (f" {bare_label} | {bare_short}/upstream |{extra}" if bare_label else ""),
             "|---|---|---|---|---|---|" + ("---|---|" + "---|" * ours_over_bare if bare_label else "")]
    for w in all_workloads:
        up, ours, ratio, cost = summary(w)
        better = "↓" if w.better == "lower" else "↑"
        bare = w.samples.get("bare", []) if w.floor_argv else []
        # What a library costing nothing would score: the floor for ours/upstream.
        bare_ratio = statistics.median(bare) / statistics.median(up) if bare and up else None
        row = (f"| {w.name} | {w.unit} {better} | {spread(up)} | {spread(ours)} | "
               f"{'-' if ratio is None else f'{ratio:.3f}'} | {verdict(w, cost)} |")
        if bare_label:
            row += f" {spread(bare) if bare else ''} | {'' if bare_ratio is None else f'{bare_ratio:.3f}'} |"
        if bare_label and ours_over_bare:
            row += f" {statistics.median(ours) / statistics.median(bare):.3f} |" if bare and ours else " |"
        lines.append(row)
    return "\n".join(lines)


def plural(unit):
    return unit[:-1] + "ies" if unit.endswith("y") and unit[-2:-1] not in "aeiou" else unit + "s"


def callgrind_tables(studies):
    if not any(study.rows for study in studies):
        return "callgrind was not run (needs valgrind" + \
            (" and test/bench.c" if any(s.section == "core" for s in studies) else "") + ").\n"
    lines = ["User-space instructions only (callgrind does not see the kernel), from the difference "
             "between two sizes of the same program so set-up cancels out."]
    for study in studies:
        floor = next((r["ir_per_unit"] for r in study.rows if r["variant"] == "bare epoll"), None)
        small, big = study.sizes
        lines += ["", f"### {study.title}: instructions per {study.unit}", "",
                  f"`{' '.join(map(str, study.argv(big)))}` minus `{' '.join(map(str, study.argv(small)))}`"
                  f", divided by the {study.units(big) - study.units(small):,} extra {plural(study.unit)}.", "",
                  f"| variant | instructions per {study.unit} |"
                  + (" above the bare epoll loop |" if floor is not None else ""),
                  "|---|---|" + ("---|" if floor is not None else "")]
        measured = {r["variant"]: r["ir_per_unit"] for r in study.rows if "ir_per_unit" in r}
        for r in study.rows:
            if "skipped" in r:
                lines.append(f"| {r['variant']} | not run: {r['skipped']} |" + (" |" if floor is not None else ""))
                continue
            above = f" {r['ir_per_unit'] - floor:.1f} |" if floor is not None else ""
            # ours against upstream, with or without threads alike
            base = measured.get(r["variant"].replace("ours", "upstream"))
            versus = f" ({r['ir_per_unit'] / base:.2f}x upstream)" if r["variant"].startswith("ours") and base else ""
            lines.append(f"| {r['variant']} | {r['ir_per_unit']:.1f}{versus} |{above}")
        for r in study.rows:
            if r["variant"] == "bare epoll" or "skipped" in r:
                continue
            lines += ["", f"Top functions of {r['variant']} (exclusive instructions per {study.unit}; "
                      "hex names are static functions of the stripped system library):", "",
                      f"| per {study.unit} | function | object |", "|---|---|---|"]
            lines += [f"| {cost:.1f} | `{name}` | {obj} |" for (name, obj), cost in r["top"]]
    return "\n".join(lines) + "\n"


def machine_facts():
    def first_line(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"
    src_changes = subprocess.run(["git", "-C", HERE, "status", "--porcelain", "--", "../../src"],
                                 capture_output=True, text=True).stdout.strip()
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return [("date", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")),
            ("nproc", str(os.cpu_count())), ("cpu", cpu), ("kernel", platform.release()),
            ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
            ("gcc", first_line(["gcc", "--version"])), ("rustc", first_line(["rustc", "--version"])),
            ("libevent_rs commit", first_line(["git", "-C", HERE, "log", "-1", "--format=%h %s"])
             + (" (src/ has uncommitted changes)" if src_changes else "")),
            ("RLIMIT_NOFILE hard", str(resource.getrlimit(resource.RLIMIT_NOFILE)[1]))]


def draw_chart(all_workloads, path_png):
    """One dot per workload: cost ratio ours/upstream, with a line at 1.0. Returns the file made,
    or None when no workload has a ratio (none ran on both libraries)."""
    rows = [(w.name, summary(w)[3]) for w in all_workloads if not w.diagnostic]
    rows = [(name, cost) for name, cost in rows if cost is not None]
    if not rows:
        return None
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return draw_svg(rows, path_png[:-4] + ".svg")
    height = 0.32 * len(rows) + 1.5
    fig, ax = plt.subplots(figsize=(9, height))
    names = [name for name, _ in rows][::-1]
    costs = [cost for _, cost in rows][::-1]
    colours = ["#2a9d4b" if c < 1 else "#d0453a" for c in costs]
    # Ratios beyond 10x either way are drawn to the edge (their labels keep the true value), so
    # that one extreme row does not squash every other bar into the middle.
    reach = min(max(max(costs), 1 / min(costs), 1.25) * 1.1, 11)
    drawn = [min(max(c, 1.02 / reach), reach / 1.02) for c in costs]
    ax.barh(range(len(rows)), [c - 1 for c in drawn], left=1, color=colours, height=0.6)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(names, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(1 / reach, reach)
    candidates = (0.1, 0.25, 0.5, 1, 2, 4, 10) if reach > 4.5 else \
        (0.25, 0.33, 0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 2, 3, 4)
    ticks = [t for t in candidates if 1 / reach <= t <= reach]
    ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FixedFormatter([f"{t:g}" for t in ticks]))
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.set_xlabel("cost ratio ours / upstream (time or memory per unit of work; < 1: ours is better)")
    ax.set_title("libevent_rs against upstream libevent 2.1.12 (median of per-pair ratios)")
    for i, (c, at) in enumerate(zip(costs, drawn)):
        outward = "left" if c >= 1 else "right"
        clipped = at != c  # label inside the bar, at the edge: outside there is no room
        ax.text(at, i, f" {c:.2f} ", va="center", fontsize=7,
                ha={"left": "right", "right": "left"}[outward] if clipped else outward)
    ax.grid(axis="x", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path_png, dpi=110)
    return path_png


def draw_svg(rows, path_svg):
    """Fallback without matplotlib: a plain SVG of the same chart (log scale 0.25x to 4x)."""
    import math
    width, left, row_h = 900, 330, 18
    height = row_h * len(rows) + 60

    def x_of(cost):
        clamped = min(max(cost, 0.25), 4.0)
        return left + (math.log(clamped, 4) + 1) / 2 * (width - left - 20)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             'font-family="sans-serif" font-size="11">', '<rect width="100%" height="100%" fill="white"/>']
    for i, (name, cost) in enumerate(rows):
        y = 30 + i * row_h
        x0, x1 = sorted((x_of(1.0), x_of(cost)))
        colour = "#2a9d4b" if cost < 1 else "#d0453a"
        parts.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{name}</text>')
        parts.append(f'<rect x="{x0}" y="{y + 3}" width="{max(x1 - x0, 1)}" height="11" fill="{colour}"/>')
        parts.append(f'<text x="{x_of(cost) + 4}" y="{y + 12}">{cost:.2f}</text>')
    parts.append(f'<line x1="{x_of(1.0)}" y1="20" x2="{x_of(1.0)}" y2="{height - 25}" stroke="black"/>')
    parts.append(f'<text x="{left}" y="{height - 8}">cost ratio ours/upstream, log scale; &lt; 1: ours '
                 'is better</text></svg>')
    with open(path_svg, "w") as f:
        f.write("\n".join(parts))
    return path_svg


# Where ours is known to cost more than upstream, why, and what would change it: the report
# states it next to the table rather than leaving a red bar unexplained.
KNOWN_DIFFERENCES = """### Known differences

- **Peak RSS with 100k pending timers (about +5%)**: our timer heap stores each expiry next to
  the event pointer (16 bytes per pending timer instead of upstream's 8), so comparisons never
  touch the events themselves; that is most of the timer-churn speedup. Memory could be won back
  only by giving that up (upstream's bare-pointer heap).
- **`test/bench.c` / `bench_cascade.c` wall time (close to upstream's)**: the kernel dominates.
  The bare epoll loop, which makes the same system calls with no library at all (including
  bench.c's re-registration of every socket before each run), takes nearly upstream's time (its
  column), so even a library costing nothing could not be 5% faster at every size; the
  library's share shows in the instruction counts below (about a third of upstream's above the
  bare loop), not in seconds.
"""


DNS_INTRO = f"""The server: `dns_server` puts an evdns server port on an ephemeral UDP port of
127.0.0.1 and answers every A question with one A record (`evdns_server_request_add_a_reply`,
`evdns_server_request_respond`); a child process that links no libevent loads it with
{DNS_OUTSTANDING} queries outstanding over 4096 distinct names: Debian's `dnsperf` where it is
installed, and `dns_plain load` (ours, lighter per query than dnsperf, so the server's own cost
shows more). The figure is the load generator's queries per second; a run counts only if every
query was answered NOERROR (dns_plain also checks every address). The resolver: `dns_resolve`
makes 100 000 `evdns_base_resolve_ipv4` calls, {DNS_OUTSTANDING} in flight (the base's
`max-inflight` too), each answer checked, against `dns_plain respond`, a plain C responder in a
child process that echoes each question and answers in batches (recvmmsg/sendmmsg), the same
server for both libraries. Everything runs inside a private network namespace. Instructions
per query or resolution come from callgrind, which sees only the process with the library (not
the load generator nor the responder). Issue 9's goals: >= 1.5x upstream's queries per second
and >= 1.5x its resolutions per second.
Who the server's figure measures: `dns_server` also reports the CPU time (user and system,
getrusage) its own process and the load generator's used per query, in separate runs of the
same program (the "CPU time" rows). The load generator costs about as much CPU per query as
the server (dnsperf more), and on this machine of 2 cores, shared with other work, the two
together use about all the CPU there is: queries per second is then close to one over the sum
of the two costs, so the load generator's share dilutes the ratio, and the server's CPU time
per query is the figure of the library itself. Most of that time is the kernel's UDP path
(one datagram in and one out per query; callgrind's user-space counts are below). Tried and
dropped: a `dns_plain load` that sends and receives in batches (sendmmsg/recvmmsg) cost
little less CPU and ran in lock step with the server, at a lower rate for both libraries.
The ceiling, column "bare (plain responder)": `dns_server ... bare` serves the same socket
under the same load with no library, through `dns_plain respond` (the resolver's responder: plain
C, batched recvmmsg/sendmmsg, far cheaper per query than either library's server), alternated
with the other runs; its CPU-time row is the responder's. "bare/upstream" is then the best
ours/upstream any server could reach here, with the kernel's UDP path and the load generator's
share as they are: ours/upstream is to be read against it, not against 1.5. The resolver has
no such row: its peer is already that bare responder for both libraries, so its figure is the
resolver's own cost and the kernel's."""


HTTP_INTRO = f"""The server rows: upstream's `test/bench_http.c`, unmodified (an evhttp server whose `/ind`
copies its content into each reply and `/ref` adds it by reference; `-l` sets the content's
length, no `-l` gives an empty body), loaded by Debian's `wrk` (one thread, `--latency`) for
2 s per run (1 s in quick mode) with 1, 50 and 500 connections, each kept alive, or with `-H 'Connection: close'`: a
new connection per request. `c-tests/bench/http_load.py` starts both, pinned with `taskset`:
the server to CPU 0, wrk to CPU 1 (two cores: they would otherwise compete for one, and the
figures would swing with the scheduler). Before each run the body is fetched once and compared
byte for byte with the content; a run with any non-2xx answer or socket error fails. The
floor: `c-tests/bench/http_floor.c`, a bare epoll server with no library that answers every
request (whatever ends with an empty line) with the same bytes bench_http sends, under the
same load, alternated with the other runs; "ours/floor" is ours' median over the floor's (for
requests/s, 1.0 would be a library costing nothing). The client row: upstream's
`test/bench_httpclient.c` (socket bufferevents, 20 000 HTTP/1.0 requests, 200 connections at a
time, its own "throughput" figure) against `http_floor` (no library: the same peer for both),
each answer's size checked; its floor is `c-tests/bench/http_client_floor.c`, the same client
with no library (a non-blocking socket with the same options, connect, the request written at
once, one epoll_ctl, reads to the end, close). Bulk: `c-tests/bench/http_bulk.c`, an evhttp server and an
`evhttp_connection` in one process on one base over loopback TCP, moving 1 GiB each way as 16
requests of 64 MiB on one connection: downloads sent with `evbuffer_add_reference` and taken
through `evhttp_request_set_chunked_cb` as they arrive, uploads added by reference and
buffered whole by the server (as evhttp does with request bodies), every byte checked; its
floor is `c-tests/bench/http_bulk_floor.c`, the same transfer in one process with no library
(writev straight from the content, 1 MiB reads, each socket registered once edge-triggered, the
upload kept in one reused buffer). Memory:
`c-tests/bench/http_rss.c`, an evhttp server holding {HTTP_BURST:,} requests that arrive at once
(plain-socket clients in a child process, `Connection: close`), then answering all with 1 KiB
bodies: VmRSS before (once the server has answered 16 warm-up requests and the harness's own arrays
are written), VmHWM at the peak, VmRSS once every connection is closed and the loop idled
200 ms. Each of these ran {HTTP_REPS} times (the other sections' full runs: 5), so the section
stays within about ten minutes. Issue 10's goals: keep-alive requests/s >= 1.5x upstream's at every size, p99
no worse, and within 80% of the floor; with Connection: close >= 1.2x; bench_httpclient >= 1.5x;
bulk >= 2x; RSS after the burst within 10% of before."""


BUFFERS_INTRO = """All of these run server and clients on one event_base in one thread (both ends of every
connection in the one process), over TCP on 127.0.0.1 inside a private network namespace:
`bev_bulk` (64 KiB `bufferevent_write` calls topped up from the write callback, write low
watermark 512 KiB, read high watermark 1 MiB; the receiver drains what arrives), `bev_echo`
(an evconnlistener accepts, each accepted bufferevent echoes with `evbuffer_add_buffer`, each
client sends a 64-byte request when the previous echo arrived and checks it; a message is one
round trip), `evbuffer_ops` (each operation timed on its own, results checked) and
`bev_idle_rss` (VmHWM growth while 10 000 accepted connections get an enabled socket bufferevent
with callbacks, watermarks and a read timeout; the peers are in a child process). Issue 8's
goals: bulk transfer >= 2x upstream's throughput with at most a quarter of its system calls per
MiB; echo <= 0.6x upstream's instructions per message and no slower at any connection count;
no evbuffer operation slower, readln and search >= 2x; idle RSS no more than upstream's."""


def write_report(out_dir, mode, reps, all_workloads, lib_rows, studies, chart, syscall_studies_done,
                 counter):
    facts = "\n".join(f"| {k} | {v} |" for k, v in machine_facts())
    core = [w for w in all_workloads if w.section == "core"]
    buffers = [w for w in all_workloads if w.section == "buffers"]
    dns = [w for w in all_workloads if w.section == "dns"]
    http = [w for w in all_workloads if w.section == "http"]

    def skipped_note(section_workloads, section_studies=()):
        skipped = sorted({x.skip_ours for x in list(section_workloads) + list(section_studies) if x.skip_ours})
        return "" if not skipped else (
            "\n\n**Not run on libevent_rs** (it does not define every libevent function these programs "
            "import; run anyway they would stop at the first call):\n\n" + "\n".join(f"- {r}" for r in skipped))
    # A section appears when it ran anything (a BENCH_ONLY run leaves the others out); a full
    # run has them all.
    chosen = {section for section in ("core", "buffers", "dns", "http", "tls")
              if any(x.section == section for x in list(all_workloads) + list(studies))}
    checks = "\n".join(f"| {label} | {key} | {paths} |" for label, key, paths in lib_rows)
    chart_line = (f"![cost ratio ours/upstream]({os.path.basename(chart)})" if chart
                  else "(no chart: no workload ran on both libraries)")
    core_part = "" if "core" not in chosen else f"""## Results

{results_table(core)}

{chart_line}

{KNOWN_DIFFERENCES}"""
    core_callgrind_part = "" if "core" not in chosen else f"""## Instructions per unit of work (callgrind)

{callgrind_tables([s for s in studies if s.section == "core"])}
"""
    buffers_part = "" if "buffers" not in chosen else f"""## Buffers: evbuffer, bufferevents, listeners

{BUFFERS_INTRO}{skipped_note(buffers)}

{results_table(buffers, bare_label=None)}
{"" if "core" in chosen else chr(10) + chart_line + chr(10)}
### System calls per MiB of a bulk transfer

{syscall_table(syscall_studies_done, counter)}
### Instructions per echoed message (callgrind)

{callgrind_tables([s for s in studies if s.section == "buffers"])}
"""
    dns_part = "" if "dns" not in chosen else f"""## DNS: the evdns server and resolver

{DNS_INTRO}{skipped_note(dns, [s for s in studies if s.section == "dns"])}

{results_table(dns, bare_label="bare (plain responder)")}
{"" if chosen & {"core", "buffers"} else chr(10) + chart_line + chr(10)}
### Instructions per query and per resolution (callgrind)

{callgrind_tables([s for s in studies if s.section == "dns"])}
"""
    wrk_rows = [w for w in http if w.argv[:2] == ["http_load.py", "wrk"]]
    http_part = "" if "http" not in chosen else f"""## HTTP: evhttp server and client

{HTTP_INTRO}{skipped_note(http)}{"" if wrk_rows else chr(10) + chr(10) + "**wrk is not installed**: no server rows (bench.sh installs it as root)."}

### bench_http under wrk: requests per second

{results_table([w for w in wrk_rows if w.unit == "requests/s"], bare_label="floor (http_floor.c)", ours_over_bare=True, bare_short="floor")}

### bench_http under wrk: p99 latency

{results_table([w for w in wrk_rows if w.unit == "ms"], bare_label="floor (http_floor.c)", ours_over_bare=True, bare_short="floor")}

### bench_http under wrk: the server's CPU time per request, and wrk's CPU use

The server's user and system CPU time (from /proc) over the requests wrk counted: what a
request costs the server whichever side limits the rate. wrk's CPU use is its CPU time over the
run's length: close to 1 CPU, the load generator (one thread on its own core) was the limit,
and no server could answer faster under this load.

{results_table([w for w in wrk_rows if w.unit == "µs"], bare_label="floor (http_floor.c)", ours_over_bare=True, bare_short="floor")}

{results_table([w for w in wrk_rows if w.unit == "CPUs"], bare_label="floor (http_floor.c)", ours_over_bare=True, bare_short="floor")}

### Client and bulk transfer

{results_table([w for w in http if w not in wrk_rows and w.floor_argv], bare_label="floor (no library)", ours_over_bare=True, bare_short="floor")}

### Memory

{results_table([w for w in http if w not in wrk_rows and not w.floor_argv], bare_label=None)}
{"" if chosen & {"core", "buffers", "dns"} else chr(10) + chart_line + chr(10)}
"""
    text = f"""# libevent_rs benchmarks ({mode})

Every workload ran {reps} times, alternating upstream libevent 2.1.12 (the system's
`{UPSTREAM_LIB}`) and libevent_rs (`target/release/libevent_rs.so` through the compat names on
`LD_LIBRARY_PATH`), the same binary for both. "ours/upstream" is the median of the per-pair ratios of
the values (↓: lower is better, ↑: higher is better); "ours is" reads it in the right direction.
"+threads" runs have `evthread_use_pthreads()` called before `main` (preloaded `threads_on.so`).
Pipe-chain values are the median of the 25 timed runs each process prints, per dispatched event
for `test/bench.c`; "bare epoll" is c-tests/bench/bare_epoll.c doing the same system calls, and
"bare/upstream" its median over upstream's: the best ours/upstream any library could reach.
Wall times on a shared machine drift: "ours is" calls a time difference only above 5% and when
at least four pairs in five agree on its direction. The callgrind
instruction counts below are the repeatable figures.

## Machine

| fact | value |
|---|---|
{facts}

{core_part}{buffers_part}{dns_part}{http_part}{tls_report_part(chosen, all_workloads, chart_line, skipped_note)}{core_callgrind_part}## Which library served the runs

Checked with `LD_DEBUG=libs` (the dynamic linker's list of initialised objects) before the timed
runs; every run of our own programs also prints the object that provides `event_base_new`
(`dladdr`), which the runner checks against the library it meant.

| program | library | libevent object(s) initialised |
|---|---|---|
{checks}
"""
    path = os.path.join(out_dir, "report.md")
    with open(path, "w") as f:
        f.write(text)
    raw = {"mode": mode, "reps": reps,
           "callgrind": [{"title": study.title, "unit": study.unit, "rows": study.rows} for study in studies],
           "syscalls": {"counter": counter.name if counter else None,
                        "studies": [{"title": st.title, "sizes_mib": st.sizes, "rows": st.rows}
                                    for st in syscall_studies_done]},
           "workloads": [{"name": w.name, "unit": w.unit, "better": w.better, "samples": w.samples,
                          "error": w.error, "skip_ours": w.skip_ours} for w in all_workloads]}
    with open(os.path.join(out_dir, "raw.json"), "w") as f:
        json.dump(raw, f, indent=1, default=str)
    return path


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="directory of the built benchmark programs")
    parser.add_argument("--ours", required=True, help="directory with libevent_rs.so and compat names")
    parser.add_argument("--out", required=True,
                        help="directory for report.md, the chart, raw.json and callgrind/ profiles")
    parser.add_argument("--quick", action="store_true", help="3 repetitions, shorter workloads, no 10k-pipe chains with threads")
    parser.add_argument("--no-upstream-programs", action="store_true",
                        help="upstream's test/bench*.c could not be built")
    parser.add_argument("--only", metavar="REGEX",
                        help="run only the workloads and studies whose name (or section) matches, for development")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    reps = 3 if args.quick else 5
    mode = "quick mode" if args.quick else "full run"
    libraries = [
        Library("upstream", {}, os.path.join(os.path.realpath(os.path.dirname(UPSTREAM_LIB)), "libevent")),
        # Our directory: libevent_rs.so and the compatibility libraries beside it (code-free
        # shims whose sonames are upstream's, each needing libevent_rs.so).
        Library("ours", {"LD_LIBRARY_PATH": args.ours}, os.path.realpath(args.ours) + os.sep),
    ]
    hard_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    # bench.c sets its fd limit to pipes * 2 + 50 and cannot go above the hard limit.
    max_pipes = 10000 if hard_limit == resource.RLIM_INFINITY else min(10000, (hard_limit - 50) // 2)
    # bev_idle_rss holds one end of each connection (the peers are in a child process).
    idle_connections = 10000 if hard_limit == resource.RLIM_INFINITY else min(10000, hard_limit - 64)
    todo = (workloads(args.quick, max_pipes) + buffer_workloads(args.quick, idle_connections)
            + dns_workloads(args.quick) + http_workloads(args.quick) + tls_workloads(args.quick))
    if args.no_upstream_programs:
        upstream_programs = {"bench", "bench_cascade", "bench_http", "bench_httpclient"}
        todo = [w for w in todo if not upstream_programs & set(w.programs())]
    studies = callgrind_studies()
    syscalls = syscall_studies(args.quick)
    if args.only:
        def chosen(name, section):
            return re.search(args.only, name) or re.search(args.only, section)
        todo = [w for w in todo if chosen(w.name, w.section)]
        studies = [s for s in studies if chosen(s.title, s.section)]
        syscalls = [s for s in syscalls if chosen(s.title, "buffers")]
    # Each run of a workload also gives its companions' values: they follow it in the tables.
    todo = [x for w in todo for x in [w] + w.companions]

    probes = [("bench_cascade.c", ["bench_cascade", "-n", 10], False),
              ("bench.c", ["bench", "-n", 10, "-w", 10], False),
              ("bench.c +threads", ["bench", "-n", 10, "-w", 10], True),
              ("pending_rss.c", ["pending_rss", 10], False),
              ("evbuffer_ops.c", ["evbuffer_ops", "add_drain", 1], False),
              ("bev_bulk.c", ["bev_bulk", "tcp", 1], False),
              ("dns_server.c", ["dns_server", "plain", 100], False),
              ("dns_resolve.c", ["dns_resolve", 100, 10], False),
              ("http_bulk.c", ["http_bulk", "down", 1, 1], False),
              ("http_rss.c", ["http_rss", 10], False)]
    if args.no_upstream_programs:
        probes = probes[3:]
    probes += tls_probes()

    # What our library cannot run yet, from the symbols alone (before anything runs).
    programs = ({p for w in todo for p in w.programs()} | {s.program() for s in studies + syscalls}
                | {p[1][0] for p in probes})
    programs = {p for p in programs if os.path.exists(os.path.join(args.bin, p))}  # bench.c may be missing
    skip_ours = missing_in_ours(args.bin, args.ours, programs)
    for item in todo + studies + syscalls:
        item.skip_ours = "; ".join(filter(None, (skip_ours.get(p, "") for p in
                                                 (item.programs() if isinstance(item, Workload) else [item.program()]))))
    for program, reason in sorted(skip_ours.items()):
        if reason:
            print(f"bench: {program} runs on upstream only: {reason}")

    print(f"bench: {mode}, {reps} repetitions, {len(todo)} workloads, largest pipe chain {max_pipes}")
    lib_rows = check_libraries(args.bin, libraries, probes, skip_ours)
    print("bench: library check passed (LD_DEBUG=libs):")
    for label, key, paths in lib_rows:
        print(f"  {label:18} {key:8} -> {paths}")

    started = time.monotonic()
    failures = []  # of the system call studies; workloads keep theirs in Workload.error
    for rep in range(reps):
        print(f"bench: repetition {rep + 1}/{reps} ({time.monotonic() - started:.0f} s)", flush=True)
        for w in todo:
            if w.error or w.led or (w.max_reps and rep >= w.max_reps):
                continue
            try:
                for lib in libraries:
                    if lib.key == "ours" and w.skip_ours:
                        continue
                    w.samples.setdefault(lib.key, []).append(measure(args.bin, w, lib))
                if w.floor_argv:
                    w.samples.setdefault("bare", []).append(measure(args.bin, w, None))
            except RunFailed as failure:
                w.error = str(failure)
                for companion in w.companions:
                    companion.error = w.error
                print(f"  FAILED {failure}", flush=True)

    counter = syscall_count.pick_counter()
    if counter is None:
        print("bench: no system call counts (neither perf's syscall tracepoints nor strace work here)")
    else:
        print(f"bench: system calls per MiB, counted with {counter.name} "
              f"({time.monotonic() - started:.0f} s)", flush=True)
        for study in syscalls:
            try:
                run_syscall_study(args.bin, libraries, study, counter)
            except RunFailed as failure:
                study.rows = []
                failures.append(str(failure))
                print(f"  FAILED {failure}", flush=True)

    failures += run_tls_syscall_studies(args, libraries, counter, todo)

    profiles = os.path.join(args.out, "callgrind")
    shutil.rmtree(profiles, ignore_errors=True)  # profiles of an earlier run would mislead
    os.makedirs(profiles)
    if not shutil.which("valgrind"):
        print("bench: skipping callgrind (needs valgrind)")
    else:
        print(f"bench: instructions per unit of work (callgrind) ({time.monotonic() - started:.0f} s)",
              flush=True)
        for index, study in enumerate(studies):
            if study.section == "core" and args.no_upstream_programs:
                continue  # these need test/bench.c
            run_study(args.bin, profiles, libraries, study, f"study{index}")

    print(f"bench: measurements done ({time.monotonic() - started:.0f} s)")
    chart = draw_chart(todo, os.path.join(args.out, "ratios.png"))
    report = write_report(args.out, mode, reps, todo, lib_rows, studies, chart, syscalls, counter)
    print()
    print(results_table(todo))
    print()
    print(syscall_table(syscalls, counter))
    print(callgrind_tables(studies))
    print(f"bench: report {report}")
    print(f"bench: chart  {chart or '(none: no workload ran on both libraries)'}")
    failures += [w.error for w in todo if w.error]
    if failures:
        print(f"bench: {len(failures)} workload(s) FAILED (a program failed, not a timing):")
        for failure in failures:
            print(f"  {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
