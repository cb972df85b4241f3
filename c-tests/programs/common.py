"""Shared parts of the real-program checks in c-tests/programs/ (run by c-tests/programs.sh).

Every check starts an unmodified program with an environment of its own (LD_PRELOAD, or
LD_LIBRARY_PATH with our compatibility names, or nothing against the system library) given as
NAME=VALUE arguments, so that only the program, not this Python process, runs on the library
under test; drives it over loopback; and checks from /proc/<pid>/maps which libevent objects the
process really mapped."""
import argparse
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time

SYSTEM_LIBEVENT = re.compile(r"/libevent(_core|_extra|_pthreads|_openssl)?-2\.1\.so\.7")


class CheckFailed(Exception):
    pass


def parse_args(description, extra=()):
    """--expect (which libevent objects the program must map), --env NAME=VALUE (repeatable),
    plus the check's own positional arguments."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--expect", required=True,
                        help="'system', or the path of our library: what must serve the program")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="set for the program only (LD_PRELOAD=..., LD_LIBRARY_PATH=...)")
    for name, help_text in extra:
        parser.add_argument(name, help=help_text)
    args = parser.parse_args()
    args.program_env = dict(os.environ)
    for name in ("LD_PRELOAD", "LD_LIBRARY_PATH"):
        args.program_env.pop(name, None)
    for item in args.env:
        name, _, value = item.partition("=")
        args.program_env[name] = value
    return args


def mapped_libevent(pid):
    """The libevent-looking objects (ours or the system's) mapped into a process."""
    with open(f"/proc/{pid}/maps") as maps:
        paths = {line.split()[-1] for line in maps if len(line.split()) >= 6}
    return sorted(p for p in paths if "libevent" in os.path.basename(p))


def check_served(pid, args):
    """args.expect "system": only system libevent objects mapped. Otherwise our library (the path
    in args.expect) must be mapped; by soname (no LD_PRELOAD in args.env) no system libevent object
    may be mapped (libevent_openssl's included), since then no upstream code may be in the process; under LD_PRELOAD the system's files are mapped anyway (the program links
    them) and the symbol check of programs.sh is what proves ours serves every call.
    Returns a one-line description of what was mapped."""
    expect, preloaded = args.expect, "LD_PRELOAD" in args.program_env
    mapped = mapped_libevent(pid)
    # The kernel shows the files themselves: a name symlinked to libevent_rs.so appears as it,
    # while our compatibility libraries (shims named as upstream's, beside libevent_rs.so, that
    # only point the dynamic linker at it) appear under their own names; those are not upstream's.
    ours_dir = None if expect == "system" else os.path.dirname(os.path.realpath(expect))
    system = [p for p in mapped
              if SYSTEM_LIBEVENT.search(p) and os.path.dirname(os.path.realpath(p)) != ours_dir]
    if expect == "system":
        if not system or len(system) != len(mapped):
            raise CheckFailed(f"expected only the system libevent, the process maps {mapped}")
        return "served by the system libevent"
    if not any(os.path.realpath(p) == os.path.realpath(expect) for p in mapped):
        raise CheckFailed(f"our library {expect} is not mapped; libevent objects mapped: {mapped}")
    if not preloaded and system:
        raise CheckFailed(f"loaded by soname, yet system libevent objects are mapped too: {system}")
    extra = f" (and the system's {', '.join(os.path.basename(p) for p in system)})" if system else ""
    return f"maps {os.path.basename(expect)}{extra}"


class LoopbackServer:
    """A TCP server on an ephemeral port of 127.0.0.1 that hands each connection to
    self.serve(conn) on a thread of its own; closing self.sock ends it."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        raise NotImplementedError


def relay(src, dst):
    """Copies src to dst until src ends (or fails), then passes the end on."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, proc, what, timeout=10):
    """The first connection to 127.0.0.1:port that succeeds, once the program listens there; the
    caller uses it (a probe that hung up at once would be a connection the program sees as well)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            if proc.poll() is not None:
                raise CheckFailed(f"{what} exited with status {proc.returncode} before listening: "
                                  f"{proc.stderr.read().decode(errors='replace')[-500:] if proc.stderr else ''}")
            if time.monotonic() > deadline:
                raise CheckFailed(f"{what} is not listening on 127.0.0.1:{port} after {timeout} s")
            time.sleep(0.05)


def recv_all(sock):
    """Everything until the peer closes."""
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def recv_exactly(sock, n):
    chunks, got = [], 0
    while got < n:
        data = sock.recv(min(65536, n - got))
        if not data:
            raise CheckFailed(f"the connection closed after {got} of {n} bytes")
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


def stop(proc, sig=None, timeout=10):
    """Stops a program we started (SIGTERM unless told), SIGKILL if it lingers; returns its status."""
    if proc.poll() is None:
        proc.send_signal(sig or 15)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode


def main(run):
    """Runs a check function; prints its one-line result or the failure; exit status 0/1."""
    try:
        print(run())
    except (CheckFailed, OSError, subprocess.SubprocessError) as failure:
        print(f"FAILED: {failure}")
        sys.exit(1)


def make_certificate(directory, name, common_name="127.0.0.1"):
    """A fresh self-signed RSA certificate and its key, made with openssl's command-line tool:
    (certificate path, key path). Its common name is the host the samples check it against."""
    cert, key = os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")
    result = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                             "-subj", f"/CN={common_name}", "-keyout", key, "-out", cert],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    if result.returncode != 0:
        raise CheckFailed(f"openssl req could not make a certificate: {result.stdout.decode(errors='replace')[-300:]}")
    return cert, key


def start_s_server(mode, cert, key, cwd):
    """`openssl s_server` in one of its modes (-www, -WWW, -rev) on an ephemeral port of
    127.0.0.1, serving connections one after the other, its messages in <cert's folder>/
    s_server<mode>.log (a file, not a pipe nobody reads, which would fill and stop it): (process,
    port). Its readiness is probed with one connection that closes at once, which it logs as a
    failed handshake and forgets."""
    port = free_port()
    with open(os.path.join(os.path.dirname(cert), f"s_server{mode}.log"), "wb") as log:
        proc = subprocess.Popen(["openssl", "s_server", "-quiet", mode, "-accept", f"127.0.0.1:{port}",
                                 "-cert", cert, "-key", key], cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log)
    wait_for_port(port, proc, f"openssl s_server {mode}").close()
    return proc, port


def served_file(directory, seed, size):
    """A folder <directory>/www holding blob.bin, size pseudo-random bytes from seed, for
    `s_server -WWW` to serve: (the folder, the bytes)."""
    www = os.path.join(directory, "www")
    os.mkdir(www)
    blob = random.Random(seed).randbytes(size)
    with open(os.path.join(www, "blob.bin"), "wb") as f:
        f.write(blob)
    return www, blob
