#!/usr/bin/env python3
"""Sends a fixed list of DNS queries to one server on loopback and stores each raw reply.

Usage: capture.py LABEL PORT OUTDIR SET

LABEL names the server in the file names (OUTDIR/LABEL-<query>.bin); SET chooses the queries
("zone" for the servers that serve the test zone, "libevent" for dns-example's server, which
answers every A and PTR question with fixed data). Queries are built by hand (no DNS library):
a fixed id, RD set, optionally an EDNS0 OPT record in additional. Over TCP the reply's 2-byte
length prefix is stripped, so every file is a bare DNS message. One line per reply goes to
stdout: file, transport, size, flags, counts (for the README and for a look at what came back).

Only 127.0.0.1 is ever addressed; capture.sh runs this inside a private network namespace.
"""
import socket
import struct
import sys

ZONE = "corpus.test"

# (query label, name, qtype, edns payload size or 0 for none, transport)
ZONE_QUERIES = [
    ("a", f"www.{ZONE}", "A", 0, "udp"),
    ("a-edns", f"www.{ZONE}", "A", 1232, "udp"),
    ("aaaa", f"www.{ZONE}", "AAAA", 0, "udp"),
    ("cname-chain", f"alias.{ZONE}", "A", 0, "udp"),
    ("cname-chain-edns", f"alias.{ZONE}", "A", 1232, "udp"),
    ("ptr", "1.2.0.192.in-addr.arpa", "PTR", 0, "udp"),
    ("mx", f"mx.{ZONE}", "MX", 0, "udp"),
    ("txt", f"txt.{ZONE}", "TXT", 0, "udp"),
    ("ns", ZONE, "NS", 0, "udp"),
    ("soa", ZONE, "SOA", 0, "udp"),
    ("srv", f"_sip._tcp.{ZONE}", "SRV", 0, "udp"),
    ("nxdomain", f"nope.{ZONE}", "A", 0, "udp"),
    ("nxdomain-edns", f"nope.{ZONE}", "A", 1232, "udp"),
    ("nodata", f"www.{ZONE}", "MX", 0, "udp"),
    ("many-udp", f"many.{ZONE}", "A", 0, "udp"),
    ("many-edns", f"many.{ZONE}", "A", 4096, "udp"),
    ("many-tcp", f"many.{ZONE}", "A", 0, "tcp"),
    ("big-udp", f"big.{ZONE}", "TXT", 0, "udp"),
    ("big-edns", f"big.{ZONE}", "TXT", 1232, "udp"),
    ("big-tcp", f"big.{ZONE}", "TXT", 0, "tcp"),
    # 0x20: the question in mixed case, as a resolver with randomize-case sends it.
    ("mixed-case", "wWw.CoRpUs.tEsT", "A", 0, "udp"),
    ("mixed-case-cname", "AlIaS.cOrPuS.TeSt", "A", 0, "udp"),
    ("wildcard", f"anything.wild.{ZONE}", "A", 0, "udp"),
    ("referral", f"host.sub.{ZONE}", "A", 0, "udp"),
]

LIBEVENT_QUERIES = [
    ("a", "www.example.com", "A", 0, "udp"),
    ("a-edns", "www.example.com", "A", 1232, "udp"),
    ("ptr", "1.2.0.192.in-addr.arpa", "PTR", 0, "udp"),
    ("mixed-case", "wWw.ExAmPlE.cOm", "A", 0, "udp"),
    # dns-example's server skips every type but A and PTR: an empty NOERROR reply.
    ("unanswered-mx", "www.example.com", "MX", 0, "udp"),
    # Two questions sharing a suffix: both answered, names compressed by the server.
    ("two-questions", ["a.example.com", "b.example.com"], "A", 0, "udp"),
]

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28,
         "SRV": 33, "OPT": 41}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def build_query(qid, names, qtype, edns):
    if isinstance(names, str):
        names = [names]
    header = struct.pack(">HHHHHH", qid, 0x0100, len(names), 0, 0, 1 if edns else 0)
    body = b"".join(encode_name(n) + struct.pack(">HH", TYPES[qtype], 1) for n in names)
    if edns:
        # Root owner, type OPT, the payload size as class, extended rcode/version/flags 0.
        body += b"\0" + struct.pack(">HHIH", TYPES["OPT"], edns, 0, 0)
    return header + body


def ask_udp(port, query):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(3)
        s.sendto(query, ("127.0.0.1", port))
        return s.recv(65535)


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed mid-reply")
        data += chunk
    return data


def ask_tcp(port, query):
    with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
        s.sendall(struct.pack(">H", len(query)) + query)
        (length,) = struct.unpack(">H", recv_exact(s, 2))
        return recv_exact(s, length)


def main():
    label, port, outdir, which = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    queries = ZONE_QUERIES if which == "zone" else LIBEVENT_QUERIES
    skip = set(sys.argv[5].split(",")) if len(sys.argv) > 5 else set()
    failed = 0
    for i, (what, names, qtype, edns, transport) in enumerate(queries):
        if what in skip:
            continue
        query = build_query(0x4c00 + i, names, qtype, edns)
        try:
            reply = (ask_tcp if transport == "tcp" else ask_udp)(port, query)
        except OSError as e:
            print(f"{label}-{what}: no reply ({e})", file=sys.stderr)
            failed += 1
            continue
        path = f"{outdir}/{label}-{what}.bin"
        with open(path, "wb") as f:
            f.write(reply)
        qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", reply[:12])
        print(f"{label}-{what}.bin\t{transport}\t{len(reply)}\tflags=0x{flags:04x}"
              f"\tqd={qd} an={an} ns={ns} ar={ar}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
