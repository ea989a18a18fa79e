#!/usr/bin/env python3
"""Time a terminal program in a pseudo-terminal until its output shows a marker.

    ptytime.py [--cols C] [--rows R] [--keys KEYS --after MARKER0] [--timeout S] MARKER -- CMD...

Starts CMD in a pty of the given size, reads everything it writes, and prints the milliseconds
from the start (or, with --keys, from the moment KEYS were typed, which happens once MARKER0 has
shown) until MARKER appears in the output. Exits 1 on timeout. Then sends 'q' and kills CMD.
"""
import argparse, os, pty, select, signal, struct, sys, time, fcntl, termios


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cols", type=int, default=140)
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--keys", default=None, help="bytes to type (python escapes allowed)")
    ap.add_argument("--after", default=None, help="type --keys once this shows")
    ap.add_argument("--settle", type=float, default=0.0, help="seconds to wait after --after before typing")
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("marker")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", a.rows, a.cols, 0, 0))
    t0 = time.monotonic()
    buf = b""
    typed = a.keys is None
    marker = a.marker.encode()
    after = a.after.encode() if a.after else None
    result = None
    scan_from = 0
    while time.monotonic() - t0 < a.timeout:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            buf += data
            # answer a cursor-position query so programs that ask do not stall
            if b"\x1b[6n" in data:
                os.write(fd, b"\x1b[1;1R")
        if not typed and after is not None and after in buf:
            if a.settle:
                time.sleep(a.settle)
            scan_from = len(buf)
            os.write(fd, a.keys.encode().decode("unicode_escape").encode("latin-1"))
            t0 = time.monotonic()
            typed = True
            continue
        if typed and marker in buf[scan_from:]:
            result = (time.monotonic() - t0) * 1000
            break
    try:
        os.write(fd, b"q")
        time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    if result is None:
        print("timeout", file=sys.stderr)
        sys.exit(1)
    print(f"{result:.0f}")


if __name__ == "__main__":
    main()
