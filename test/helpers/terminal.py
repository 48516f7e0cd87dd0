"""Runs a command on a pseudo terminal that the caller can hang up, as closing a terminal window or
losing an SSH session does: any line (or the end) on standard input closes the terminal. What the
command writes to the terminal is copied to standard output. Exits with the command's exit code,
128 + the signal's number when a signal ended it (as a shell reports it). Used by test/helpers/cli.ts:
Node has no pseudo terminal of its own, and killing `script` to close its terminal loses the exit code."""
import os
import pty
import select
import sys

pid, terminal = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

control = sys.stdin.fileno()
while True:
    ended, status = os.waitpid(pid, os.WNOHANG)
    if ended:
        break
    watched = [fd for fd in (terminal, control) if fd is not None]
    if not watched:
        ended, status = os.waitpid(pid, 0)
        break
    ready, _, _ = select.select(watched, [], [], 0.05)
    if terminal is not None and terminal in ready:
        try:
            os.write(1, os.read(terminal, 65536))
        except OSError:
            # EIO: every descriptor of the terminal's other side is closed.
            os.close(terminal)
            terminal = None
    if control in ready:
        os.read(control, 4096)
        if terminal is not None:
            os.close(terminal)
            terminal = None
        control = None

code = os.waitstatus_to_exitcode(status)
sys.exit(128 - code if code < 0 else code)
