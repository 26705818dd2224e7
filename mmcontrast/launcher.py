"""Tie a distributed worker's life to its launcher's.

``torch.distributed.run`` forwards SIGTERM/SIGINT/SIGHUP to its workers, but a
launcher killed with SIGKILL cannot forward anything, and its workers would go on
training as orphans (holding GPUs and writing checkpoints). On Linux a worker asks
the kernel for a signal when the process that started it dies
(``PR_SET_PDEATHSIG``); elsewhere this is a no-op.

The kernel sends the signal when the *thread* that forked the worker exits; torchrun's
agent starts its workers from its main thread, so that is when the agent process dies.
The request is made when the worker reads its config (:func:`mmcontrast.runner.load_config`). A
launcher killed before that, in the worker's first seconds of imports, has already
re-parented the worker: ``tools/torchrun.sh`` exports the agent's pid as
``MMCONTRAST_LAUNCHER_PID``, and a worker whose parent is no longer that pid stops at once.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys

__all__ = ['exit_with_launcher']

_PR_SET_PDEATHSIG = 1
LAUNCHER_PID_ENV = 'MMCONTRAST_LAUNCHER_PID'


def exit_with_launcher(sig: int = signal.SIGTERM) -> bool:
    """Have this process receive ``sig`` when its parent (the launcher) dies.

    Returns whether the request was registered. If the launcher is already gone
    (the parent is not ``$MMCONTRAST_LAUNCHER_PID`` when set, or changed while
    asking), ``sig`` is sent at once.
    """
    if not sys.platform.startswith('linux'):
        return False
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    launcher = os.environ.get(LAUNCHER_PID_ENV)
    if os.getppid() != parent or (launcher and int(launcher) != parent):
        os.kill(os.getpid(), sig)
    return True
