"""One daemon per state file: a second ``matrixcore run`` on the same file refuses to start.

Two daemons on one state file would both fetch, both write and fight over the cursor (the ledger
still keeps messages single, but nothing else would be). The lock is an advisory ``flock`` on a file
beside the state file, so the kernel releases it whenever the holder dies, SIGKILL included: a
crashed daemon never leaves a stale lock behind. Where ``fcntl`` does not exist (Windows) there is
no lock.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from matrixcore._errors import MatrixcoreError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["StateFileInUse", "StateLock"]


class StateFileInUse(MatrixcoreError):
    """Another process holds the state file's lock."""


class StateLock:
    """Hold ``<state file>.lock`` for as long as this process uses the state file to write."""

    def __init__(self, state_path: str | Path) -> None:
        self.state_path = str(state_path)
        self.path = Path(f"{state_path}.lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise ``StateFileInUse`` naming the holder's pid (an in-memory state
        has nothing to share, so needs none)."""
        if fcntl is None or self._file is not None or self.state_path == ":memory:":
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise StateFileInUse(
                f"state file {self.state_path} is in use by another matrixcore run "
                f"(pid {holder}): one daemon per state file; stop that one, or give this one "
                "its own state file (--state)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            handle, self._file = self._file, None
            handle.close()  # closing the file drops the flock
