#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Drive a guest's QEMU monitor at points its job chooses.

    monitor-script.py SOCKET JOBLOG SCRIPT

SCRIPT holds one step a line:

    after REGEX    wait until a line of JOBLOG (the job's serial output)
                   matches REGEX
    send COMMAND   send COMMAND to the human monitor on the unix SOCKET

so a job can print "MCE-NOW" when the kernel is in the state a test wants
and the host injects a machine check (or an NMI) right then.  Each step
waits at most STEP_TIMEOUT seconds (default 120).  Prints what it sent and
what the monitor answered to stderr; exits non-zero if a step timed out.
"""
import os
import re
import socket
import sys
import time

STEP_TIMEOUT = float(os.environ.get("STEP_TIMEOUT", "120"))


def wait_for(pred, what):
    end = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < end:
        r = pred()
        if r:
            return r
        time.sleep(0.01)
    sys.exit(f"monitor-script: timed out waiting for {what}")


def connect(path):
    def attempt():
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            return None
    s = wait_for(attempt, f"the monitor socket {path}")
    s.settimeout(0.5)
    return s


def drain(s):
    out = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    return out.decode(errors="replace")


def answer(text, command):
    """The monitor's answer to COMMAND, without its line editor's echo."""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
    text = text.rsplit(command, 1)[-1]
    return text.replace("(qemu)", "").strip()


def seen_in(path, regex):
    def check():
        try:
            with open(path, errors="replace") as f:
                return any(regex.search(line) for line in f)
        except OSError:
            return False
    return check


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sock, joblog, script = sys.argv[1:]
    s = connect(sock)
    drain(s)
    with open(script) as f:
        steps = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
    for step in steps:
        verb, _, arg = step.partition(" ")
        if verb == "after":
            wait_for(seen_in(joblog, re.compile(arg)), f"'{arg}' in {joblog}")
        elif verb == "send":
            s.sendall((arg + "\n").encode())
            print(f"monitor-script: sent '{arg}': {answer(drain(s), arg)!r}", file=sys.stderr)
        else:
            sys.exit(f"monitor-script: unknown step '{step}'")


if __name__ == "__main__":
    main()
