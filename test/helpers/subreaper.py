#!/usr/bin/env python3
"""Runs argv as its child while being a child subreaper that never reaps orphans: what a container's
PID 1 that does not reap (or seqpulse itself as PID 1) is to the processes a deploy leaves behind.
Their zombies stay until this process exits. SIGTERM and SIGINT are passed to the child; the exit
code is the child's, as a shell reports it (128 + the signal's number when one ended it)."""
import ctypes, os, signal, sys

PR_SET_CHILD_SUBREAPER = 36
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit('prctl(PR_SET_CHILD_SUBREAPER) failed')
child = os.fork()
if child == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
for s in (signal.SIGTERM, signal.SIGINT):
    signal.signal(s, lambda sig, _frame: os.kill(child, sig))
while True:
    try:
        _, status = os.waitpid(child, 0)
        break
    except InterruptedError:
        continue
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
