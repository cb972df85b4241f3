"""System calls made by one run of a program, counted by the kernel's tracepoints or by strace.

Used by run_bench.py for the system calls per MiB of the bulk-transfer workloads. Two counters,
chosen once per machine by `pick_counter()`:
  - `perf stat` on the `raw_syscalls:sys_enter` tracepoint (every call of every thread) plus one
    `syscalls:sys_enter_<name>` tracepoint per call of interest: counted in the kernel, so the
    program runs at full speed;
  - `strace -f -c` where perf or its tracepoints are not available (ptrace: slow, but the counts
    are the same).
Neither changes what the program does, so the counts do not depend on the counter.
"""
import os
import shutil
import subprocess
import tempfile

# The calls a bufferevent transfer is made of; the rest are summed into "other".
INTERESTING = ("epoll_wait", "epoll_pwait", "epoll_ctl", "read", "readv", "recvfrom", "recvmsg",
               "write", "writev", "sendto", "sendmsg", "ioctl")


class Counter:
    def __init__(self, name, describe, run):
        self.name = name
        self.describe = describe  # one sentence for the report
        # run(cmd, env, timeout) -> ({syscall name: count, "total": count}, the CompletedProcess of
        # the program, whose exit status and output the counter passes through)
        self.run = run


def _perf_events():
    return ",".join(["raw_syscalls:sys_enter"] + [f"syscalls:sys_enter_{name}" for name in INTERESTING])


def _run_perf(cmd, env, timeout):
    with tempfile.NamedTemporaryFile("r", suffix=".csv") as out:
        done = subprocess.run(["perf", "stat", "-x,", "-o", out.name, "-e", _perf_events(), "--"] + cmd,
                              env=env, capture_output=True, text=True, timeout=timeout)
        counts = {}
        for line in out:
            fields = line.strip().split(",")
            if len(fields) < 3 or not fields[0].isdigit():
                continue  # comments, blank lines, "<not counted>" / "<not supported>"
            event = fields[2]
            if event == "raw_syscalls:sys_enter":
                counts["total"] = int(fields[0])
            elif event.startswith("syscalls:sys_enter_"):
                counts[event[len("syscalls:sys_enter_"):]] = int(fields[0])
    if "total" not in counts and done.returncode == 0:
        raise RuntimeError(f"perf stat {' '.join(cmd)}: no raw_syscalls:sys_enter count")
    return counts, done


def _run_strace(cmd, env, timeout):
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
        done = subprocess.run(["strace", "-f", "-c", "-o", out.name, "--"] + cmd,
                              env=env, capture_output=True, text=True, timeout=timeout)
        counts = {}
        # Rows: "% time  seconds  usecs/call  calls  [errors]  syscall"; the last row is "total".
        for line in out:
            fields = line.split()
            if len(fields) >= 5 and fields[3].isdigit():
                name = fields[-1]
                counts["total" if name == "total" else name] = int(fields[3])
    if "total" not in counts and done.returncode == 0:
        raise RuntimeError(f"strace {' '.join(cmd)}: no summary")
    return counts, done


def _works(run):
    try:
        counts, done = run(["true"], dict(os.environ), 60)
        return done.returncode == 0 and counts.get("total", 0) > 0
    except (OSError, RuntimeError, subprocess.TimeoutExpired):
        return False


def pick_counter():
    """The first counter that works here, or None (the report then says why there are no counts)."""
    candidates = []
    if shutil.which("perf"):
        candidates.append(Counter(
            "perf", "`perf stat` on the kernel's `raw_syscalls:sys_enter` and "
            "`syscalls:sys_enter_<name>` tracepoints (all threads; the program runs at full speed)",
            _run_perf))
    if shutil.which("strace"):
        candidates.append(Counter("strace", "`strace -f -c` (perf's syscall tracepoints are not "
                                  "available here)", _run_strace))
    return next((c for c in candidates if _works(c.run)), None)
