#!/usr/bin/env python3
"""Debian's fstrm_capture (package fstrm-bin), unmodified, on the library under test: a Frame
Streams collector (the transport of dnstap) built on libevent: an evconnlistener on TCP, one
socket bufferevent per sender with a read watermark, frames parsed out of the input evbuffer
(evbuffer_peek, evbuffer_pullup, evbuffer_copyout), the control handshake answered with
bufferevent_write, and a signal event to shut down.

The check writes three Frame Streams files here, each of 1500 frames of 1 to 6000 pseudo-random
bytes tagged with the file and frame number, and sends them at once over three connections with
fstrm_replay (the same package, without libevent; run as is). It passes if fstrm_capture reports
closing each connection with the right frame count, shuts down cleanly on SIGINT, and the file it
wrote holds exactly the frames sent, each sender's in its order.

usage: fstrm_check.py --expect system|OUR_LIBRARY [--env NAME=VALUE]... FSTRM_CAPTURE FSTRM_REPLAY"""
import os
import random
import re
import shutil
import struct
import subprocess
import tempfile
import time

from common import CheckFailed, check_served, free_port, main, parse_args, stop

CONTENT_TYPE = b"x-libevent-rs-check"
SENDERS, FRAMES = 3, 1500
CONTROL_START, CONTROL_STOP, FIELD_CONTENT_TYPE = 2, 3, 1


def control_frame(kind, fields=b""):
    body = struct.pack("!I", kind) + fields
    return struct.pack("!II", 0, len(body)) + body


def write_stream(path, frames):
    with open(path, "wb") as f:
        f.write(control_frame(CONTROL_START, struct.pack("!II", FIELD_CONTENT_TYPE, len(CONTENT_TYPE)) + CONTENT_TYPE))
        for frame in frames:
            f.write(struct.pack("!I", len(frame)) + frame)
        f.write(control_frame(CONTROL_STOP))


def read_stream(path):
    """The data frames of a Frame Streams file (control frames checked and skipped)."""
    with open(path, "rb") as f:
        data = f.read()
    frames, at = [], 0
    while at < len(data):
        if at + 4 > len(data):
            raise CheckFailed(f"{path}: truncated at byte {at}")
        (length,) = struct.unpack_from("!I", data, at)
        at += 4
        if length == 0:  # a control frame: its own length, then its body
            (length,) = struct.unpack_from("!I", data, at)
            at += 4 + length
            continue
        frames.append(data[at:at + length])
        at += length
    if at != len(data):
        raise CheckFailed(f"{path}: the last frame runs past the end of the file")
    return frames


def make_frames(sender):
    rng = random.Random(sender)
    return [b"sender %d frame %d:" % (sender, i) + rng.randbytes(rng.randint(1, 6000)) for i in range(FRAMES)]


def run():
    args = parse_args(__doc__, [("capture", "the fstrm_capture binary"), ("replay", "the fstrm_replay binary")])
    work = tempfile.mkdtemp(prefix="fstrm-check-")
    port = free_port()
    log_path, out_path = os.path.join(work, "capture.log"), os.path.join(work, "captured.fstrm")
    sent = {s: make_frames(s) for s in range(SENDERS)}
    for s, frames in sent.items():
        write_stream(os.path.join(work, f"sender{s}.fstrm"), frames)
    with open(log_path, "w") as log:
        # -d three times: it then logs each connection's close with its frame count.
        capture = subprocess.Popen([args.capture, "-d", "-d", "-d", "-t", CONTENT_TYPE.decode(),
                                    "-a", "127.0.0.1", "-p", str(port), "-w", out_path],
                                   env=args.program_env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 10
        while "opened output file" not in open(log_path).read():
            if capture.poll() is not None or time.monotonic() > deadline:
                raise CheckFailed(f"fstrm_capture did not start (status {capture.poll()}): {open(log_path).read()[-400:]}")
            time.sleep(0.05)
        replays = [subprocess.Popen([args.replay, "-t", CONTENT_TYPE.decode(), "-r", os.path.join(work, f"sender{s}.fstrm"),
                                     "-a", "127.0.0.1", "-p", str(port)], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for s in range(SENDERS)]
        for replay in replays:
            if replay.wait(timeout=60) != 0:
                raise CheckFailed(f"fstrm_replay failed: {replay.stdout.read().decode(errors='replace')[-300:]}")
        deadline = time.monotonic() + 15
        while len(re.findall(r"closing \(read (\d+) frames", open(log_path).read())) < SENDERS:
            if capture.poll() is not None or time.monotonic() > deadline:
                raise CheckFailed(f"fstrm_capture did not close all {SENDERS} connections: {open(log_path).read()[-400:]}")
            time.sleep(0.05)
        served = check_served(capture.pid, args)
        status = stop(capture, sig=2)
        log = open(log_path).read()
        if status != 0 or "closed output file" not in log:
            raise CheckFailed(f"SIGINT did not shut it down cleanly (status {status}): {log[-400:]}")
        counts = [int(n) for n in re.findall(r"closing \(read (\d+) frames", log)]
        if counts != [FRAMES] * SENDERS:
            raise CheckFailed(f"it reports reading {counts} frames per connection, not {FRAMES} each")
        captured = read_stream(out_path)
    finally:
        stop(capture)
        shutil.rmtree(work, ignore_errors=True)
    # Frames of different senders interleave; each sender's must come in its order.
    per_sender = {s: [f for f in captured if f.startswith(b"sender %d " % s)] for s in range(SENDERS)}
    if len(captured) != SENDERS * FRAMES or any(per_sender[s] != sent[s] for s in range(SENDERS)):
        raise CheckFailed(f"the file holds {len(captured)} frames, not exactly the {SENDERS * FRAMES} sent in order")
    megabytes = sum(len(f) for f in captured) / (1 << 20)
    return (f"captured {len(captured)} frames ({megabytes:.1f} MiB) from {SENDERS} concurrent senders "
            f"intact and in order, clean SIGINT shutdown; {served}")


if __name__ == "__main__":
    main(run)
