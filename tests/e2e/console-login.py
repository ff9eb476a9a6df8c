#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Log in on a guest's serial console as a person would, through a pty.

Usage: console-login.py LOG BOOT-TIMEOUT PASSWORD MARKER -- COMMAND...
Runs COMMAND (e.g. `virsh console demo`) on a pty, presses Enter until a `login:` prompt shows,
logs in as root with PASSWORD, and in the shell writes MARKER to /root/newcomer-marker and reads
it back (shown upper-cased, so the echo of the typed line does not count). Everything the
console shows goes to LOG. One line per step on stdout; exit 0 when the shell answered,
2 no login prompt, 3 the login was refused or gave no shell, 4 the shell did not answer.
"""
import os
import pty
import re
import select
import sys
import time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


class Console:
    def __init__(self, argv, log):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvp(argv[0], argv)
        self.log = open(log, "ab")
        self.seen = ""
        self.t0 = time.monotonic()

    def read(self, wait):
        ready, _, _ = select.select([self.fd], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            return False
        if not data:
            return False
        self.log.write(data)
        self.log.flush()
        self.seen += ANSI.sub("", data.decode("utf-8", "replace"))
        self.seen = self.seen[-20000:]
        return True

    def send(self, text):
        os.write(self.fd, text.encode())

    def expect(self, pattern, timeout, poke=None, every=20):
        """Wait for pattern in what arrives from now on; send poke every `every` seconds."""
        self.seen = ""
        end = time.monotonic() + timeout
        next_poke = time.monotonic() + (1 if poke else timeout)
        while time.monotonic() < end:
            m = re.search(pattern, self.seen, re.M)
            if m:
                return m
            if poke and time.monotonic() >= next_poke:
                self.send(poke)
                next_poke = time.monotonic() + every
            if not self.read(1):
                return re.search(pattern, self.seen, re.M)
        return None

    def elapsed(self):
        return time.monotonic() - self.t0


def main():
    log, boot_timeout, password, marker = sys.argv[1:5]
    argv = sys.argv[sys.argv.index("--") + 1:]
    c = Console(argv, log)
    if not c.expect(r"login: *$", float(boot_timeout), poke="\r"):
        print("no login prompt on the console after %.0f s" % c.elapsed())
        return 2
    print("login prompt after %.0f s: %s" % (c.elapsed(), c.seen.strip().splitlines()[-1]))
    c.send("root\r")
    if not c.expect(r"[Pp]assword: *$", 60):
        print("no password prompt after 'root'")
        return 3
    c.send(password + "\r")
    m = c.expect(r"(Login incorrect|[#$] *$)", 120)
    if not m or m.group(1) == "Login incorrect":
        print("login as root refused: %r" % c.seen.strip()[-200:])
        return 3
    print("logged in as root with the printed password: a shell prompt")
    c.send("echo %s >/root/newcomer-marker && tr a-z A-Z </root/newcomer-marker\r" % marker)
    if not c.expect(re.escape(marker.upper()), 60):
        print("the shell did not answer: %r" % c.seen.strip()[-200:])
        return 4
    print("the shell wrote /root/newcomer-marker and read it back: %s" % marker.upper())
    c.send("exit\r")
    time.sleep(1)
    c.send("\x1d")  # leave virsh console
    time.sleep(1)
    try:
        os.kill(c.pid, 15)
    except ProcessLookupError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
