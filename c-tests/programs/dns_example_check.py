#!/usr/bin/env python3
"""Upstream's sample/dns-example.c, unmodified, on the library under test, in both of its modes.

Server mode (-T): an evdns server port on UDP port 10053 of every interface that answers every A
question with 192.168.11.11, every PTR question with foo.bar.example.com, and nothing else.
Client mode: evdns_base_resolve_ipv4 (default), evdns_base_resolve_reverse (-x) or
evdns_getaddrinfo (-g) of each name on the command line, with the nameserver given by -s or read
from a resolv.conf (-c), printing each answer; it exits once nothing is pending
(EVDNS_BASE_DISABLE_WHEN_INACTIVE).

The check runs, each time checking every line printed:
  1. the sample's server, and the sample's client against it (A, PTR, getaddrinfo): both ends on
     the library under test;
  2. the sample's client against a DNS responder of this script (fixed, name-dependent answers,
     NXDOMAIN for some names), its address in a resolv.conf given with -c: the resolver alone.
Run inside a private network namespace: the server binds a fixed port of every interface, and
nothing may reach the nameserver of the machine's own resolv.conf.

usage: dns_example_check.py --expect system|OUR_LIBRARY [--env NAME=VALUE]... DNS_EXAMPLE"""
import os
import pty
import socket
import struct
import subprocess
import tempfile
import threading
import time

from common import CheckFailed, check_served, main, parse_args, stop

SAMPLE_PORT = 10053  # fixed in the sample
SAMPLE_A = "192.168.11.11"
SAMPLE_PTR = "foo.bar.example.com"
CLIENT_TIMEOUT = 20
TYPE_A, TYPE_PTR, TYPE_AAAA = 1, 12, 28


def client(args, options, names):
    """Runs the sample as a client; its stdout lines once it exited by itself."""
    proc = subprocess.run([args.program, *options, *names], env=args.program_env,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=CLIENT_TIMEOUT)
    out = proc.stdout.decode(errors="replace")
    if proc.returncode != 0:
        raise CheckFailed(f"{' '.join(options + names)}: exit status {proc.returncode}, "
                          f"stdout {out[-300:]!r}, stderr {proc.stderr.decode(errors='replace')[-300:]!r}")
    return [line for line in out.splitlines() if not line.startswith("EVUTIL_AI_CANONNAME")]


def expect_lines(what, got, wanted):
    """The answers may come in any order; each must be there exactly once, and nothing else."""
    if sorted(got) != sorted(wanted):
        raise CheckFailed(f"{what}: printed {got}, expected {wanted} (in any order)")


def query(name, qtype, txid=0x1234):
    """A recursion-desired question for name, as a DNS client sends it."""
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", txid, 0x0100, 1, 0, 0, 0) + labels + struct.pack("!HH", qtype, 1)


def wait_for_sample_server(proc, timeout=10):
    """Asks the sample's server until it answers (it binds its port only after starting up)."""
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        while True:
            sock.sendto(query("probe.example", TYPE_A), ("127.0.0.1", SAMPLE_PORT))
            try:
                reply = sock.recv(512)
                if reply[:2] == b"\x12\x34" and reply[2] & 0x80:
                    return
            except (socket.timeout, ConnectionRefusedError):
                pass
            if proc.poll() is not None:
                raise CheckFailed(f"the server (-T) exited with status {proc.returncode}: "
                                  f"{proc.stderr.read().decode(errors='replace')[-300:]}")
            if time.monotonic() > deadline:
                raise CheckFailed(f"the server (-T) did not answer on 127.0.0.1:{SAMPLE_PORT} within {timeout} s")


class TerminalOutput(threading.Thread):
    """A pseudo-terminal for a program's stdout, read as it comes: the sample's server never
    flushes, so only a terminal (line-buffered stdio) shows its lines before it is stopped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.master, self.slave = pty.openpty()
        self.chunks = []

    def run(self):
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO: the program, the last holder of the other side, has gone
                return
            if not data:
                return
            self.chunks.append(data)

    def text(self):
        self.join(timeout=10)
        os.close(self.master)
        return b"".join(self.chunks).decode(errors="replace").replace("\r\n", "\n")


def check_sample_server(args):
    output = TerminalOutput()
    server = subprocess.Popen([args.program, "-T"], env=args.program_env, stdout=output.slave,
                              stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.close(output.slave)
    output.start()
    try:
        wait_for_sample_server(server)
        served = check_served(server.pid, args)
        ns = ["-s", f"127.0.0.1:{SAMPLE_PORT}"]
        names = ["www.example.com", "mail.example.org", "a.b.c.d.example.net"]
        expect_lines("A through the sample's server", client(args, ns, names),
                     [f"{n}: {SAMPLE_A}" for n in names])
        addrs = ["127.0.0.1", "10.20.30.40"]
        expect_lines("PTR through the sample's server", client(args, ["-x", *ns], addrs),
                     [f"{a}: {SAMPLE_PTR}" for a in addrs])
        # getaddrinfo asks A and AAAA; the server has no AAAA answer, so only the address (and
        # no canonical name line: no CNAME came back).
        expect_lines("getaddrinfo through the sample's server", client(args, ["-g", *ns], ["gai.example.com"]),
                     [f"[0] gai.example.com: {SAMPLE_A}"])
    finally:
        stop(server)
    log = output.text()
    # What the server side printed: each question it answered or skipped (names arrive in the
    # random case the resolver gives them, so compare in lower case).
    seen = log.lower()
    for n in names:
        if f" -- replying for {n} (a)" not in seen:
            raise CheckFailed(f"the server did not report answering {n}: {log[-400:]!r}")
    for ptr in ("1.0.0.127.in-addr.arpa", "40.30.20.10.in-addr.arpa"):
        if f" -- replying for {ptr} (ptr)" not in seen:
            raise CheckFailed(f"the server did not report answering {ptr}: {log[-400:]!r}")
    if " -- skipping gai.example.com [28 1]" not in seen:
        raise CheckFailed(f"the server did not report skipping the AAAA question: {log[-400:]!r}")
    return served


def responder_address(name):
    """The A answer of the script's responder: a function of the (lower-cased) name."""
    h = sum(name.lower().encode()) * 2654435761
    return f"10.{(h >> 16) & 255}.{(h >> 8) & 255}.{h & 255}"


class Responder(threading.Thread):
    """A tiny DNS server on 127.0.0.1: A answers from responder_address, PTR answers
    "host-<reversed address>.example", NXDOMAIN for names starting with "missing", and an empty
    answer otherwise. The question is echoed as sent (the resolver checks its 0x20 case)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.questions = []

    def run(self):
        while True:
            try:
                packet, peer = self.sock.recvfrom(512)
            except OSError:
                return
            reply = self.answer(packet)
            if reply:
                self.sock.sendto(reply, peer)

    def answer(self, packet):
        if len(packet) < 12:
            return None
        txid, flags, qdcount = struct.unpack("!HHH", packet[:6])
        if qdcount != 1:
            return None
        pos, labels = 12, []
        while pos < len(packet) and packet[pos] != 0:
            n = packet[pos]
            labels.append(packet[pos + 1:pos + 1 + n].decode(errors="replace"))
            pos += 1 + n
        question_end = pos + 5
        if question_end > len(packet):
            return None
        qtype, _qclass = struct.unpack("!HH", packet[pos + 1:question_end])
        name = ".".join(labels)
        self.questions.append((name.lower(), qtype))
        rcode, answers = 0, b""
        if name.lower().startswith("missing"):
            rcode = 3
        elif qtype == TYPE_A:
            answers = self.record(TYPE_A, socket.inet_aton(responder_address(name)))
        elif qtype == TYPE_PTR:
            octets = name.lower().split(".")[:4]
            target = "host-" + "-".join(reversed(octets)) + ".example"
            rdata = b"".join(bytes([len(p)]) + p.encode() for p in target.split(".")) + b"\0"
            answers = self.record(TYPE_PTR, rdata)
        count = 1 if answers else 0
        # QR and RA, RD as asked.
        header = struct.pack("!HHHHHH", txid, 0x8080 | (flags & 0x0100) | rcode, 1, count, 0, 0)
        return header + packet[12:question_end] + answers

    @staticmethod
    def record(rtype, rdata):
        # The owner name is a pointer to the question's (offset 12).
        return struct.pack("!HHHIH", 0xC00C, rtype, 1, 300, len(rdata)) + rdata


def check_own_responder(args):
    responder = Responder()
    responder.start()
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".resolv.conf", delete=False) as conf:
            conf.write(f"# written by dns_example_check.py\nnameserver 127.0.0.1:{responder.port}\n")
        try:
            cfg = ["-c", conf.name]
            names = ["one.test", "two.example.org", "x.y.z.example.com"]
            expect_lines("A from the script's responder",
                         client(args, cfg, [*names, "missing.test"]),
                         [f"{n}: {responder_address(n)}" for n in names] + ["missing.test: No answer (3)"])
            expect_lines("PTR from the script's responder", client(args, ["-x", *cfg], ["192.0.2.7"]),
                         ["192.0.2.7: host-192-0-2-7.example"])
        finally:
            os.unlink(conf.name)
    finally:
        responder.sock.close()
    asked = set(responder.questions)
    wanted = {(n, TYPE_A) for n in names + ["missing.test"]} | {("7.2.0.192.in-addr.arpa", TYPE_PTR)}
    if not wanted <= asked:
        raise CheckFailed(f"the responder was not asked {sorted(wanted - asked)}")
    return len(responder.questions)


def run():
    args = parse_args(__doc__, [("program", "the dns-example binary")])
    served = check_sample_server(args)
    asked = check_own_responder(args)
    return ("server mode answered A, PTR and skipped AAAA for the client mode's resolve_ipv4, "
            f"resolve_reverse and getaddrinfo; the client read a resolv.conf and resolved A, PTR "
            f"and NXDOMAIN from a responder of ours ({asked} questions); {served}")


if __name__ == "__main__":
    main(run)
