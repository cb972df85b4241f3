#!/usr/bin/env python3
"""Upstream's sample/https-client.c (evhttp over a bufferevent_openssl_socket_new bufferevent in
the connecting state, dirty shutdown allowed, the server's certificate checked by OpenSSL and by
the sample's own host-name check; its errors read back with bufferevent_get_openssl_error),
unmodified, on the library under test, against `openssl s_server` on loopback with a
self-signed certificate made here, for 127.0.0.1.

Three fetches, each through a small relay of this script that holds the TLS bytes until the
sample's /proc/<pid>/maps has been read (the sample would otherwise be gone before anyone looked):
  1. https://127.0.0.1:<s_server -www>/ trusting the certificate (-crt): the sample's verdict
     on the certificate, then s_server's status page, whole (its first and last lines, the
     command line it echoes and the TLS 1.3 session it reports), and "Response line: 200 ok";
  2. a 2 MiB file of pseudo-random bytes from `s_server -WWW`: exactly those bytes;
  3. https://127.0.0.1:<s_server -www>/ trusting another certificate: no page; the sample reports
     the failed verification and prints OpenSSL's "certificate verify failed" from the error
     queue the library kept for it (bufferevent_get_openssl_error).
Run inside a private network namespace.

usage: https_client_check.py --expect system|OUR_LIBRARY [--env NAME=VALUE]... HTTPS_CLIENT"""
import re
import socket
import subprocess
import tempfile
import threading

from common import (CheckFailed, LoopbackServer, check_served, main, make_certificate, parse_args, relay,
                    served_file, start_s_server, stop)

HOST = "127.0.0.1"
BLOB_SIZE = 2 << 20
# What the sample prints on stdout before the body, when the certificate checks out.
TRUSTED = f"https server '{HOST}' has this certificate, which looks good to me:\n/CN={HOST}\n".encode()
UNTRUSTED = f"Got 'X509_verify_cert failed' for hostname '{HOST}' and certificate:\n/CN={HOST}\n".encode()
PAGE_START = b'<HTML><BODY BGCOLOR="#ffffff">\n<pre>\n'
PAGE_END = b"</pre></BODY></HTML>\r\n\r\n"


class Gate(LoopbackServer):
    """Accepts the sample's connection, says so (arrived), and relays it to the s_server on
    backend_port only once released."""

    def __init__(self, backend_port):
        self.backend_port = backend_port
        self.arrived = threading.Event()
        self.release = threading.Event()
        super().__init__()

    def serve(self, conn):
        with conn:
            self.arrived.set()
            if not self.release.wait(60):
                return
            with socket.create_connection((HOST, self.backend_port), timeout=60) as backend:
                back = threading.Thread(target=relay, args=(backend, conn), daemon=True)
                back.start()
                relay(conn, backend)
                back.join(60)


def fetch(args, backend_port, path, trusted_cert):
    """Runs the sample once through a Gate: (stdout, stderr, what check_served said)."""
    gate = Gate(backend_port)
    proc = subprocess.Popen([args.program, "-url", f"https://{HOST}:{gate.port}{path}", "-crt", trusted_cert,
                             "-timeout", "30"], env=args.program_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        while not gate.arrived.wait(0.05):
            if proc.poll() is not None:
                raise CheckFailed(f"{path}: the sample exited with status {proc.returncode} before connecting: "
                                  f"{proc.stderr.read().decode(errors='replace')[-300:]!r}")
        served = check_served(proc.pid, args)
        gate.release.set()
        out, err = proc.communicate(timeout=60)
    finally:
        gate.release.set()
        stop(proc)
        gate.sock.close()
    if proc.returncode != 0:
        raise CheckFailed(f"{path}: exit status {proc.returncode}, stderr {err.decode(errors='replace')[-300:]!r}")
    return out, err.decode(errors="replace"), served


def expect_page(out, err):
    if "Response line: 200 ok" not in err.splitlines():
        raise CheckFailed(f"/: no 'Response line: 200 ok' on stderr: {err[-300:]!r}")
    if not out.startswith(TRUSTED):
        raise CheckFailed(f"/: the sample did not accept the certificate: {out[:200]!r}")
    page = out[len(TRUSTED):]
    if not (page.startswith(PAGE_START) and page.endswith(PAGE_END)):
        raise CheckFailed(f"/: not s_server's whole page ({len(page)} bytes): starts {page[:60]!r}, ends {page[-60:]!r}")
    text = page.decode(errors="replace")
    if not re.search(r"^s_server .* -www( |$)", text, re.M):
        raise CheckFailed("/: the page does not echo s_server's command line")
    session = re.search(r"^New, (TLSv1\.3), Cipher is (\S+)$", text, re.M)
    if not session:
        raise CheckFailed("/: the page reports no TLS 1.3 session")
    return f"{session.group(1)} {session.group(2)}", len(page)


def run():
    args = parse_args(__doc__, [("program", "the https-client binary")])
    with tempfile.TemporaryDirectory(prefix="https-client-check-") as tmp:
        cert, key = make_certificate(tmp, "server")
        stranger, _ = make_certificate(tmp, "stranger")
        www_dir, blob = served_file(tmp, 11, BLOB_SIZE)
        status_server, status_port = start_s_server("-www", cert, key, tmp)
        file_server, file_port = start_s_server("-WWW", cert, key, www_dir)
        try:
            out, err, served = fetch(args, status_port, "/", cert)
            session, page_size = expect_page(out, err)

            out, err, _ = fetch(args, file_port, "/blob.bin", cert)
            if "Response line: 200 ok" not in err.splitlines() or out != TRUSTED + blob:
                body = out[len(TRUSTED):] if out.startswith(TRUSTED) else out
                raise CheckFailed(f"/blob.bin: got {len(body)} bytes, expected the {BLOB_SIZE} of the file"
                                  f"{' (different contents)' if len(body) == BLOB_SIZE else ''}; stderr {err[-300:]!r}")

            out, err, _ = fetch(args, status_port, "/", stranger)
            if not out.startswith(UNTRUSTED) or len(out) != len(UNTRUSTED) or "Response line" in err:
                raise CheckFailed(f"untrusted: expected the failed verification and no page, got stdout "
                                  f"{out[:200]!r}, stderr {err[-300:]!r}")
            lines = err.splitlines()
            if ("some request failed - no idea which one though!" not in lines
                    or not any(line.endswith(":certificate verify failed") for line in lines)):
                raise CheckFailed(f"untrusted: OpenSSL's error not reported through bufferevent_get_openssl_error: {err[-300:]!r}")
        finally:
            stop(status_server)
            stop(file_server)
    return (f"s_server's page ({page_size} bytes, {session}) and a {BLOB_SIZE >> 20} MiB file intact, "
            f"an untrusted certificate refused with OpenSSL's error; {served}")


if __name__ == "__main__":
    main(run)
