"""A worker process ends with the process that started it, however that one ended.

`kill -9` of feedlens gives its pool no chance to stop the workers, and an idle worker blocks
on its queue forever, so without this it stays (with its memory) until someone kills it.
Two guards, either is enough:

- Linux: the kernel sends the worker SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG).
  It fires when the *thread* that started the worker ends; feedlens starts workers from the
  event loop's thread, which lives as long as the process.
- Everywhere: a daemon thread notices the parent is gone (the worker is handed to another
  parent, so os.getppid() changes) and ends the worker.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
WATCH_INTERVAL = 0.5  # seconds between two looks at the parent


def die_with_parent(parent: int) -> None:
    """Call first thing in a worker; `parent` is the pid of the process that started it."""
    _pdeathsig()
    if os.getppid() != parent:  # the parent died before the guard was in place
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="feedlens-parent-watch",
                     daemon=True).start()


def _pdeathsig() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):  # no libc or no prctl: the watch thread remains
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL)
    os._exit(1)  # nothing to flush: a worker only computes for its parent
