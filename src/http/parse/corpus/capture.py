#!/usr/bin/env python3
"""Captures the HTTP corpus of src/http/parse/corpus/: the bytes real clients send and real
servers answer, on loopback. Run through capture.sh (it installs the tools and makes the private
network namespace); this script expects to be alone in one, with only loopback.

Requests: a recorder listens on 127.0.0.1:18080, each client is run against it, and the bytes of
its one connection are written to req-<client>-<what>.http (the recorder answers every request
with an empty 200 and closes once the client has been silent for a moment).
Responses: nginx, apache2, python's http.server and a small evhttp server on Debian's libevent
are started on ports of their own, and each request below is sent on a fresh connection; what
comes back until the server closes is written to resp-<method>-<server>-<what>.http.
"""

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
WORK = tempfile.mkdtemp(prefix="http-corpus-")
RECORDER = 18080
PORTS = {"nginx": 18081, "apache": 18082, "python": 18083, "evhttp": 18084}
QUIET = 0.4  # seconds of client silence that end a captured request
MTIME = 1704067200  # the documents' modification time: 2024-01-01 00:00:00 GMT
BODY = b"line one of the upload\nline two of the upload\n" * 20


def write(name, data):
    with open(os.path.join(OUT, name + ".http"), "wb") as f:
        f.write(data)
    print(f"  {name}.http: {len(data)} bytes")


def receive(sock, until=None):
    """Everything `sock` delivers until the peer closes, the socket's timeout passes, or the
    bytes end with `until`."""
    data = b""
    try:
        while True:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
            if until and data.endswith(until):
                break
    except socket.timeout:
        pass
    return data


class Recorder:
    """One connection at a time: everything the client sends until it pauses."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", RECORDER))
        self.sock.listen(8)
        self.captured = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            conn, _ = self.sock.accept()
            conn.settimeout(QUIET)
            data = receive(conn)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            conn.close()
            self.captured.append(data)

    def run(self, name, argv):
        before = len(self.captured)
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        deadline = time.time() + 5
        while len(self.captured) == before and time.time() < deadline:
            time.sleep(0.05)
        write(name, self.captured[before])


def requests_captures(rec):
    url = f"http://127.0.0.1:{RECORDER}"
    upload = os.path.join(WORK, "upload.txt")
    with open(upload, "wb") as f:
        f.write(BODY)
    curl = ["curl", "-s", "-o", "/dev/null", "-H", "Expect:"]
    rec.run("req-curl-get", curl + [f"{url}/index.html"])
    rec.run("req-curl-head", curl + ["-I", f"{url}/index.html"])
    rec.run("req-curl-http10", curl + ["--http1.0", f"{url}/old?x=1"])
    rec.run("req-curl-post-form", curl + ["-d", "name=libevent&version=2.1.12", f"{url}/form"])
    rec.run("req-curl-post-chunked", curl + ["-H", "Transfer-Encoding: chunked", "--data-binary", f"@{upload}", f"{url}/upload"])
    rec.run("req-curl-put", curl + ["-T", upload, f"{url}/put/upload.txt"])
    rec.run("req-curl-delete", curl + ["-X", "DELETE", f"{url}/item/7"])
    rec.run("req-curl-options", curl + ["-X", "OPTIONS", "--request-target", "*", f"{url}/"])
    rec.run("req-curl-headers", curl + ["-H", "Cookie: a=1; b=2", "-H", "Authorization: Bearer abc.def", "-H", "X-Empty;", "-A", "custom agent/1.0", "-e", "http://referer.example/", f"{url}/hdrs"])
    rec.run("req-wget-get", ["wget", "-q", "-O", "/dev/null", "--tries=1", f"{url}/file.tar.gz"])
    rec.run("req-wget-post", ["wget", "-q", "-O", "/dev/null", "--tries=1", "--post-data=q=search+terms", f"{url}/search"])
    py = [sys.executable, "-c"]
    rec.run("req-python-requests-get", py + [f"import requests; requests.get('{url}/api', params={{'q': 'a b', 'n': 3}})"])
    rec.run("req-python-requests-post-json", py + [f"import requests; requests.post('{url}/api/items', json={{'name': 'x', 'tags': [1, 2]}})"])
    rec.run("req-python-requests-chunked", py + [f"import requests; requests.post('{url}/stream', data=(p for p in [b'first part ', b'second part ', b'last']))"])
    rec.run("req-python-urllib-get", py + [f"import urllib.request; urllib.request.urlopen('{url}/urllib')"])
    rec.run("req-python-urllib-post", py + [f"import urllib.request; urllib.request.urlopen('{url}/urllib', data=b'k=v')"])
    evhttp_client = os.path.join(WORK, "evhttp_client")
    compile_c(EVHTTP_CLIENT, evhttp_client)
    rec.run("req-evhttp-get", [evhttp_client, str(RECORDER), "GET"])
    rec.run("req-evhttp-post", [evhttp_client, str(RECORDER), "POST"])


# Debian's libevent as a client: one request with a body for POST, as evhttp writes it.
EVHTTP_CLIENT = r"""
#include <event2/event.h>
#include <event2/http.h>
#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>
static void done(struct evhttp_request *req, void *arg) { event_base_loopexit(arg, NULL); }
int main(int argc, char **argv) {
    struct event_base *base = event_base_new();
    struct evhttp_connection *evcon = evhttp_connection_base_new(base, NULL, "127.0.0.1", atoi(argv[1]));
    struct evhttp_request *req = evhttp_request_new(done, base);
    int post = strcmp(argv[2], "POST") == 0;
    evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "127.0.0.1");
    if (post)
        evbuffer_add_printf(evhttp_request_get_output_buffer(req), "payload=%d", 42);
    evhttp_make_request(evcon, req, post ? EVHTTP_REQ_POST : EVHTTP_REQ_GET, post ? "/submit" : "/get?a=1");
    event_base_dispatch(base);
    evhttp_connection_free(evcon);
    event_base_free(base);
    return 0;
}
"""

# Debian's libevent as a server: a body, a chunked reply, upstream's error page, 100-continue.
EVHTTP_SERVER = r"""
#include <event2/event.h>
#include <event2/http.h>
#include <event2/buffer.h>
#include <stdlib.h>
static void hello(struct evhttp_request *req, void *arg) {
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "hello from evhttp\n");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
    evhttp_send_reply(req, HTTP_OK, "OK", b);
    evbuffer_free(b);
}
static void chunked(struct evhttp_request *req, void *arg) {
    struct evbuffer *b = evbuffer_new();
    int i;
    evhttp_send_reply_start(req, HTTP_OK, "OK");
    for (i = 0; i < 3; i++) {
        evbuffer_add_printf(b, "chunk number %d\n", i);
        evhttp_send_reply_chunk(req, b);
    }
    evhttp_send_reply_end(req);
    evbuffer_free(b);
}
static void other(struct evhttp_request *req, void *arg) { evhttp_send_error(req, HTTP_NOTFOUND, NULL); }
int main(int argc, char **argv) {
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evhttp_set_cb(http, "/hello", hello, NULL);
    evhttp_set_cb(http, "/chunked", chunked, NULL);
    evhttp_set_gencb(http, other, NULL);
    evhttp_bind_socket(http, "127.0.0.1", atoi(argv[1]));
    event_base_dispatch(base);
    return 0;
}
"""


def compile_c(source, out):
    path = out + ".c"
    with open(path, "w") as f:
        f.write(source)
    subprocess.run(["gcc", "-O1", path, "-o", out, "-levent"], check=True)


def fetch(port, raw, until=None):
    """Sends raw request bytes on a new connection; everything until the server closes (or,
    on a connection it keeps open, until the bytes end with `until`)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(raw)
    data = receive(s, until)
    s.close()
    return data


def get(path, method="GET", extra="", close=True):
    connection = "Connection: close\r\n" if close else ""
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: capture.py\r\n{extra}{connection}\r\n".encode()


def start_servers(procs):
    docroot = os.path.join(WORK, "www")
    os.makedirs(os.path.join(docroot, "dir"))
    os.makedirs(os.path.join(WORK, "cgi"))
    with open(os.path.join(docroot, "index.html"), "w") as f:
        f.write("<!doctype html>\n<title>corpus</title>\n<p>a small page</p>\n")
    with open(os.path.join(docroot, "big.txt"), "w") as f:
        f.write("text that compresses well. " * 200)
    with open(os.path.join(WORK, "cgi", "hello"), "w") as f:
        # Output in parts with pauses: apache streams it, chunked on a keep-alive connection.
        f.write("#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\nX-Cgi: yes\\r\\n\\r\\n'\n"
                "for i in 1 2 3; do printf 'cgi body line %s\\n' $i; sleep 0.2; done\n")
    os.chmod(os.path.join(WORK, "cgi", "hello"), 0o755)
    for name in ["index.html", "big.txt"]:
        os.utime(os.path.join(docroot, name), (MTIME, MTIME))
    nginx_conf = os.path.join(WORK, "nginx.conf")
    with open(nginx_conf, "w") as f:
        f.write(f"""daemon off; pid {WORK}/nginx.pid; error_log {WORK}/nginx.err;
events {{ }}
http {{ access_log off; include /etc/nginx/mime.types; client_body_temp_path {WORK}/nb; proxy_temp_path {WORK}/np;
  fastcgi_temp_path {WORK}/nf; uwsgi_temp_path {WORK}/nu; scgi_temp_path {WORK}/ns;
  gzip on; gzip_types text/plain; gzip_min_length 1;
  server {{ listen 127.0.0.1:{PORTS['nginx']}; root {docroot}; autoindex on; }} }}
""")
    procs.append(subprocess.Popen(["nginx", "-c", nginx_conf, "-p", WORK]))
    apache_conf = os.path.join(WORK, "apache.conf")
    mods = ["mpm_prefork", "authz_core", "mime", "dir", "alias", "cgi", "autoindex"]
    with open(apache_conf, "w") as f:
        for m in mods:
            f.write(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n")
        f.write(f"""ServerRoot {WORK}
ServerName corpus.test
Listen 127.0.0.1:{PORTS['apache']}
PidFile {WORK}/apache.pid
ErrorLog {WORK}/apache.err
User nobody
Group nogroup
TypesConfig /etc/mime.types
DocumentRoot {docroot}
<Directory {docroot}>
  Options +Indexes
  Require all granted
</Directory>
ScriptAlias /cgi-bin/ {WORK}/cgi/
<Directory {WORK}/cgi>
  Require all granted
</Directory>
""")
    # -X: one process, in the foreground; it serves as nobody, who must read the tree.
    os.chmod(WORK, 0o755)
    procs.append(subprocess.Popen(["apache2", "-f", apache_conf, "-X"]))
    procs.append(subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(PORTS["python"]), "-d", docroot],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    evhttp_server = os.path.join(WORK, "evhttp_server")
    compile_c(EVHTTP_SERVER, evhttp_server)
    procs.append(subprocess.Popen([evhttp_server, str(PORTS["evhttp"])]))
    for port in PORTS.values():
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit(f"nothing listens on {port}")


def response_captures():
    gz = "Accept-Encoding: gzip\r\n"
    ims = "If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
    for server in ["nginx", "apache", "python"]:
        port = PORTS[server]
        write(f"resp-get-{server}-file", fetch(port, get("/index.html")))
        write(f"resp-head-{server}-file", fetch(port, get("/index.html", "HEAD")))
        write(f"resp-get-{server}-not-found", fetch(port, get("/missing")))
        write(f"resp-get-{server}-redirect", fetch(port, get("/dir")))
        write(f"resp-get-{server}-listing", fetch(port, get("/dir/")))
        write(f"resp-get-{server}-not-modified", fetch(port, get("/index.html", extra=ims)))
    write("resp-get-nginx-gzip-chunked", fetch(PORTS["nginx"], get("/big.txt", extra=gz)))
    write("resp-get-nginx-range", fetch(PORTS["nginx"], get("/big.txt", extra="Range: bytes=10-29\r\n")))
    write("resp-get-apache-cgi-chunked", fetch(PORTS["apache"], get("/cgi-bin/hello", close=False), until=b"0\r\n\r\n"))
    write("resp-get-apache-cgi-http10", fetch(PORTS["apache"], get("/cgi-bin/hello").replace(b"HTTP/1.1", b"HTTP/1.0", 1)))
    ev = PORTS["evhttp"]
    write("resp-get-evhttp-hello", fetch(ev, get("/hello")))
    write("resp-head-evhttp-hello", fetch(ev, get("/hello", "HEAD")))
    write("resp-get-evhttp-chunked", fetch(ev, get("/chunked")))
    write("resp-get-evhttp-not-found", fetch(ev, get("/missing")))
    expect = b"POST /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
    s = socket.create_connection(("127.0.0.1", ev), timeout=5)
    s.sendall(expect)
    data = receive(s, b"\r\n\r\n")  # the 100 Continue, then the body, then the answer
    s.sendall(b"hello")
    data += receive(s)
    s.close()
    write("resp-post-evhttp-continue", data)


def main():
    os.makedirs(OUT, exist_ok=True)
    rec = Recorder()
    print("requests:")
    requests_captures(rec)
    procs = []
    try:
        start_servers(procs)
        print("responses:")
        response_captures()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()


main()
